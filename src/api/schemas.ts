import { z } from 'zod';
import { parseEventId, runEventSchema } from '../../client/run-events';
import { runSchema, runStatusSchema } from '../../client/run-view';

/**
 * Request and response shapes of the HTTP API (contract section 6). Routes validate and
 * serialise with these, and the OpenAPI document at /docs/json is generated from them.
 */

export { runSchema };

/** Any JSON value, but present: a JSON body cannot carry `undefined`, so absence is the only miss. */
const jsonValue = (description: string) =>
  z
    .unknown()
    .refine((value) => value !== undefined, { message: 'required' })
    .describe(description);

export const MAX_LIST_LIMIT = 500;
export const DEFAULT_LIST_LIMIT = 50;
export const MAX_WAIT_SECONDS = 60;

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().describe('snake_case, stable'),
      message: z.string().describe('A sentence for people'),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'Error' });

/** The largest JSON body the API reads (Fastify's own default, named so errors can say it). */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** What every route with a JSON body may also answer: too large (413), not JSON (415). */
export const bodyErrors = { 413: errorBodySchema, 415: errorBodySchema };

export const healthSchema = z.object({ ok: z.literal(true), temporal: z.literal('reachable') });

export const workflowsSchema = z.object({
  workflows: z.array(
    z.object({
      name: z.string(),
      type: z.string().describe('Pattern type'),
      description: z.string(),
    }),
  ),
});

export const workflowNameParams = z.object({
  name: z.string().min(1).describe('A config workflow name, or a pattern type for an ad-hoc run'),
});

export const startRunBody = z
  .object({
    input: jsonValue('What the run works on: a string for an agent, or any JSON'),
    id: z
      .string()
      .min(1)
      .max(255)
      .regex(/^\S+$/, 'must contain no whitespace')
      .optional()
      .describe('Workflow ID to use; the same id with the same input returns the existing run'),
    spec: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('Only for ad-hoc runs (when :name is a pattern type); `type` may be left out')
      .meta({ examples: [{ agent: { instruction: 'Add numbers.', servers: ['everything'] } }] }),
  })
  .strict();

export const runIdParams = z.object({ runId: z.string().min(1) });

export const listRunsQuery = z
  .object({
    status: runStatusSchema.optional(),
    workflow: z
      .string()
      .min(1)
      // Control characters, whitespace and backslashes never make a workflow name; the visibility
      // store would answer them with an error of its own.
      .regex(/^[^\s\\\p{Cc}]+$/u, 'must be a workflow name (no whitespace, control characters or backslashes)')
      .optional(),
    limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).default(DEFAULT_LIST_LIMIT),
  })
  .strict();

export const resultQuery = z
  .object({
    wait: z.coerce
      .number()
      .min(0)
      .default(0)
      .describe(`Seconds to wait for the run to close; at most ${MAX_WAIT_SECONDS} are used`),
  })
  .strict();

export const provideInputBody = z
  .object({
    value: jsonValue('The answer: any JSON for input; {approved, reason?} for an approval'),
    requestId: z.string().min(1).optional().describe("The pending request's id; default the oldest one"),
  })
  .strict();

export const cancelBody = z
  .object({
    reason: z
      .string()
      .min(1)
      .max(1000)
      .optional()
      .describe("Why; shown as the `cancelled` event's reason (default: cancelled through the API)"),
  })
  .strict()
  .optional();

export const runsListSchema = z.object({ runs: z.array(runSchema) });

export const sendMessageBody = z
  .object({ input: jsonValue('The message: text, or any JSON') })
  .strict();

export const sendMessageQuery = z
  .object({
    wait: z.coerce
      .number()
      .min(0)
      .default(0)
      .describe(`Seconds to wait for the turn's answer; at most ${MAX_WAIT_SECONDS} are used`),
  })
  .strict();

/** The Run, and the turn the message starts or waits for. */
export const messageRunSchema = runSchema.extend({
  turn: z.number().describe('The turn this message starts, or is queued for (1-based)'),
});

export const MAX_TRANSCRIPT_PAGE = 500;

export const transcriptQuerySchema = z
  .object({
    cursor: z
      .string()
      .regex(/^\d{1,9}$/, 'must be the `next` of an earlier page')
      .optional()
      .describe('The `next` of the previous page'),
    limit: z.coerce.number().int().min(1).max(MAX_TRANSCRIPT_PAGE).default(100),
  })
  .strict();

export { transcriptPageSchema } from '../../client/transcripts';

/** Other headers pass through untouched: the validated object replaces `request.headers`. */
export const runEventsHeaders = z.looseObject({
  'last-event-id': z
    .string()
    .refine((id) => parseEventId(id) !== undefined, 'must be an event id of this stream, like 0-12')
    .optional()
    .describe('Resume after this event: the id of the last event received'),
});

/** What each SSE `data:` line of `GET /runs/:runId/events` holds. */
export { runEventSchema };
