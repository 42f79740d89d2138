import { z } from 'zod';
import { liveRunEventSchema, runEventSchema } from '../../client/run-events';
import { runSchema, runStatusSchema, turnAnswerSchema } from '../../client/run-view';

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

/**
 * A number in a query string: the text of a JSON number and nothing else. `z.coerce.number()` took
 * `?wait=` (and `?wait=%20`) as 0 and `0x10` as 16, though the document says a number; now those
 * are 400 like any other value that is not a number. Documented as `type: number`.
 */
const JSON_NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;
const queryNumber = <T extends z.ZodNumber>(schema: T) =>
  z.preprocess((value) => (typeof value === 'string' && JSON_NUMBER.test(value) ? Number(value) : value), schema);

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
      // An empty id gets this message alone: the checks after it would only repeat it in other words.
      .min(1, { error: 'must not be empty', abort: true })
      .max(255)
      .regex(/^\S+$/, 'must contain no whitespace')
      // A URL path segment of "." or ".." is resolved away by every client: /runs/.. could not name the run.
      .refine((id) => id !== '.' && id !== '..', 'must not be "." or ".."')
      .optional()
      .describe('Workflow ID to use; the same id with the same input (and spec) returns the existing run'),
    spec: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('Only for ad-hoc runs (when :name is a pattern type); `type` may be left out. Its `max_cost` (USD) and `max_tokens` set a budget for the run and all its children')
      .meta({ examples: [{ agent: { instruction: 'Add numbers.', servers: ['everything'] } }] }),
  })
  .strict();

/** Temporal's own limit on a workflow ID (the server's default `limit.maxIDLength`). */
export const MAX_RUN_ID_LENGTH = 1000;

export const runIdParams = z.object({ runId: z.string().min(1).max(MAX_RUN_ID_LENGTH) });

export const listRunsQuery = z
  .object({
    status: runStatusSchema.optional(),
    workflow: z
      .string()
      .min(1, { error: 'must not be empty', abort: true })
      // Control characters (Unicode Cc: U+0000-001F, U+007F-009F), whitespace and backslashes never
      // make a workflow name; the visibility store would answer them with an error of its own. Quotes
      // are refused too, though a config name may hold one: the store drops quotes at the ends of a
      // literal and never matches a `"`, so `calc'` listed the calc runs. Spelt without \p{...} so
      // that the document's `pattern` works in every regex dialect (Python's too).
      .regex(
        // eslint-disable-next-line no-control-regex -- control characters are what it keeps out
        /^[^\s\\'"\x00-\x1f\x7f-\x9f]+$/u,
        'must be a workflow name (no whitespace, control characters, quotes or backslashes)',
      )
      .optional(),
    limit: queryNumber(z.number().int().min(1).max(MAX_LIST_LIMIT)).default(DEFAULT_LIST_LIMIT),
  })
  .strict();

export const resultQuery = z
  .object({
    wait: queryNumber(z.number().min(0))
      .default(0)
      .describe(`Seconds to wait for the run to close; at most ${MAX_WAIT_SECONDS} are used`),
  })
  .strict();

export const provideInputBody = z
  .object({
    value: jsonValue(
      'The answer: any JSON for input; {approved, reason?} for an approval; {action: accept | decline | cancel, content?} matching `schema` for an elicitation',
    ),
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
  .object({
    input: jsonValue('The message: text, or any JSON but null')
      // null starts a conversation idle; as a message it says nothing, and the transcript showed "null".
      .refine((value) => value !== null, { message: 'must be text or JSON other than null' })
      // The refinement is invisible to JSON Schema; the document says it too, so clients and fuzzers know.
      .meta({ not: { type: 'null' } }),
  })
  .strict();

/** A client's own id for a message, so that sending it again (after a 503, say) is not a second message. */
export const sendMessageHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe(
      'Your id for this message: the same key sent again to the same run with the same input is the same message (its turn is ' +
        'answered once); with a different input it is refused (idempotency_key_reused) and not delivered',
    ),
});

export const sendMessageQuery = z
  .object({
    wait: queryNumber(z.number().min(0))
      .default(0)
      .describe(`Seconds to wait for the turn's answer; at most ${MAX_WAIT_SECONDS} are used`),
  })
  .strict();

/** The Run, and the turn the message starts or waits for. */
export const messageRunSchema = runSchema.extend({
  turn: z.number().describe('The turn this message starts, or is queued for (1-based)'),
  answer: turnAnswerSchema
    .optional()
    .describe(
      "With ?wait, once that turn has finished: its own outcome and answer (`result` stays the latest answer, which a later message's turn may already have replaced)",
    ),
});

export const MAX_TRANSCRIPT_PAGE = 500;

export const transcriptQuerySchema = z
  .object({
    cursor: z
      .string()
      .regex(/^\d{1,9}$/, 'must be the `next` of an earlier page')
      .optional()
      .describe('The `next` of the previous page'),
    limit: queryNumber(z.number().int().min(1).max(MAX_TRANSCRIPT_PAGE)).default(100),
  })
  .strict();

export { transcriptPageSchema } from '../../client/transcripts';

/** An event id, `<execution>-<history event id>`: what `parseEventId` reads. */
const EVENT_ID = /^\d{1,9}-\d{1,15}$/;

/**
 * Other headers pass through untouched: the validated object replaces `request.headers`. An empty
 * Last-Event-ID is no id, as for an EventSource that has seen none: the stream starts at the top.
 */
export const runEventsHeaders = z.looseObject({
  'last-event-id': z
    .string()
    .regex(/^(\d{1,9}-\d{1,15})?$/, 'must be an event id of this stream, like 0-12')
    .optional()
    .describe('Resume after this event: the id of the last event received (empty: from the start)'),
});

/** What each SSE `data:` line of `GET /runs/:runId/events` holds. */
export { liveRunEventSchema, runEventSchema };

/**
 * One message of the event stream as the document describes it: for `text/event-stream` the schema
 * covers each event's fields (OpenAPI 3.2's reading, which tools apply to 3.1 documents too), with
 * `data` a JSON text whose content is a RunEvent, or a LiveRunEvent (no `id`) for what history does
 * not hold.
 */
export const runEventMessageSchema = z
  .object({
    id: z
      .string()
      .regex(EVENT_ID)
      .optional()
      .describe("The RunEvent's id; send the last one back as Last-Event-ID to resume. Live events have none"),
    event: z.union([runEventSchema.shape.type, liveRunEventSchema.shape.type]),
    data: z
      .string()
      .describe('The RunEvent or LiveRunEvent as JSON, on one line')
      .meta({
        contentMediaType: 'application/json',
        contentSchema: { anyOf: [{ $ref: '#/components/schemas/RunEvent' }, { $ref: '#/components/schemas/LiveRunEvent' }] },
      }),
  })
  .meta({ id: 'RunEventMessage' });

/**
 * MCP servers of the config (contract section 11): their tools, resources and prompts as the
 * servers list them. The objects are open: whatever else a server sends (annotations, icons,
 * `_meta`) passes through.
 */

export const mcpServersSchema = z.object({
  servers: z.array(
    z.object({
      name: z.string(),
      transport: z.enum(['stdio', 'streamable_http', 'sse', 'websocket']),
      description: z.string().optional(),
    }),
  ),
});

/**
 * The query of a route that takes none: a key is refused (400 `query.x: unknown key`), as on /runs,
 * rather than ignored. The servers' lists come whole (every page the server has, see
 * src/mcp/tool-list.ts), so there is no `cursor` to take either.
 */
export const noQuery = z.object({}).strict();

/** The `:name` of a server; `names` (the config's) go into the document only: any other name is 404. */
export const serverNameParams = (names: readonly string[]) =>
  z.object({
    name: z
      .string()
      .min(1)
      .describe('A server under mcp.servers in the config')
      .meta(names.length > 0 ? { enum: [...names] } : {}),
  });

export const serverPromptParams = (names: readonly string[]) =>
  serverNameParams(names).extend({ prompt: z.string().min(1).describe("The prompt's name, as the server lists it") });

const openObject = z.looseObject({});

export const mcpToolSchema = z
  .looseObject({
    name: z.string(),
    title: z.string().optional(),
    description: z.string().optional(),
    inputSchema: openObject.describe("JSON Schema of the tool's arguments"),
    outputSchema: openObject.optional(),
    annotations: openObject.optional(),
  })
  .meta({ id: 'McpTool' });

export const mcpToolsSchema = z.object({
  tools: z.array(mcpToolSchema).describe("The server's tools after its allowed_tools: what agents are offered"),
});

export const mcpResourceSchema = z
  .looseObject({
    uri: z.string(),
    name: z.string(),
    title: z.string().optional(),
    description: z.string().optional(),
    mimeType: z.string().optional(),
    size: z.number().optional(),
  })
  .meta({ id: 'McpResource' });

export const mcpResourceTemplateSchema = z
  .looseObject({
    uriTemplate: z.string().describe('An RFC 6570 URI template'),
    name: z.string(),
    title: z.string().optional(),
    description: z.string().optional(),
    mimeType: z.string().optional(),
  })
  .meta({ id: 'McpResourceTemplate' });

export const mcpResourcesSchema = z.object({
  resources: z.array(mcpResourceSchema),
  resourceTemplates: z.array(mcpResourceTemplateSchema).describe('Families of resources, read by URIs the templates make'),
});

export const readResourceQuery = z
  .object({
    uri: z
      .url({
        // A missing uri is a different mistake from a malformed one: it needs naming, and encoding in a query string.
        error: (issue) =>
          issue.input === undefined
            ? "required: the resource's URI, e.g. ?uri=file%3A%2F%2F%2Fnotes.md"
            : 'must be a URI with a scheme, like file:///notes.md',
      })
      .describe("The resource's URI, as listed or made from a template"),
  })
  .strict();

export const mcpResourceContentsSchema = z
  .object({
    contents: z.array(
      z
        .looseObject({
          uri: z.string(),
          mimeType: z.string().optional(),
          text: z.string().optional().describe('Text content'),
          blob: z.string().optional().describe('Binary content, base64'),
        })
        .meta({ id: 'McpResourceContent' }),
    ),
  })
  .describe('One resource: text parts as text, binary parts as base64 with their MIME type');

export const mcpPromptSchema = z
  .looseObject({
    name: z.string(),
    title: z.string().optional(),
    description: z.string().optional(),
    arguments: z
      .array(z.looseObject({ name: z.string(), description: z.string().optional(), required: z.boolean().optional() }))
      .optional(),
  })
  .meta({ id: 'McpPrompt' });

export const mcpPromptsSchema = z.object({ prompts: z.array(mcpPromptSchema) });

/** No body is `{}`: a prompt without arguments needs nothing sent, as `POST /runs/:runId/pause` needs none. */
export const getPromptBody = z
  .object({
    arguments: z
      .record(z.string(), z.string())
      .describe("The prompt's arguments: MCP prompt arguments are strings")
      .optional(),
  })
  .strict()
  .optional();

export const mcpPromptResultSchema = z.looseObject({
  description: z.string().optional(),
  messages: z.array(
    z.looseObject({
      role: z.enum(['user', 'assistant']),
      content: z.looseObject({ type: z.string().describe('text, image, audio, resource or resource_link') }),
    }),
  ),
});
