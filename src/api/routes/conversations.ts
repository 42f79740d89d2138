import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { RunsClient } from '../../../client/runs';
import { transcriptPage } from '../../../client/transcripts';
import type { ConversationStore } from '../../conversation/store';
import {
  bodyErrors,
  errorBodySchema,
  MAX_WAIT_SECONDS,
  messageRunSchema,
  runIdParams,
  runSchema,
  sendMessageBody,
  sendMessageHeaders,
  sendMessageQuery,
  transcriptPageSchema,
  transcriptQuerySchema,
} from '../schemas';

export interface ConversationRouteOptions {
  runs: RunsClient;
  conversations: ConversationStore;
}

const unavailable = { 503: errorBodySchema };
/** Every route of a run: a runId over the length Temporal takes is 400. */
const notFound = { 400: errorBodySchema, 404: errorBodySchema, ...unavailable };

/** How soon a client that got "still answering" should ask again. */
const RETRY_AFTER_SECONDS = 1;

/** Conversations (contract section 9): messages in, the transcript out, and close. */
export const conversationRoutes: FastifyPluginAsyncZod<ConversationRouteOptions> = async (app, { runs, conversations }) => {
  app.post(
    '/runs/:runId/messages',
    {
      schema: {
        summary: 'Send a conversation its next message (202 with the turn; with ?wait, 200 once answered)',
        description: [
          'The message starts the next turn, or waits for it while a turn runs (`on_message_while_busy: queue`);',
          'a conversation with `reject` answers 409 run_busy meanwhile, one with `interrupt` stops the running',
          'turn and answers this message instead. With `?wait=` the reply comes once the turn is done (200; `answer`',
          'is that turn\'s own outcome and answer, `result` the latest answer), or, with Retry-After, as soon as the',
          'run waits for a person (202 with pendingInput) or when the wait runs out (202).',
          "503 workflow_task_failing at once when the run's workflow task keeps failing (the Run's `workflowTaskFailing`);",
          '503 worker_unavailable when no worker took the message in time (Temporal may still deliver it).',
          'An Idempotency-Key sent again with the same input is the same message (the same turn); with a different input it is',
          '422 idempotency_key_reused, and that message is not delivered.',
        ].join(' '),
        tags: ['conversations'],
        params: runIdParams,
        querystring: sendMessageQuery,
        headers: sendMessageHeaders,
        body: sendMessageBody,
        response: { 200: messageRunSchema, 202: messageRunSchema, 409: errorBodySchema, 422: errorBodySchema, ...bodyErrors, ...notFound },
      },
    },
    async (request, reply) => {
      const { runId } = request.params;
      const messageId = request.headers['idempotency-key'];
      const sent = await runs.sendMessage(runId, request.body.input, { ...(messageId && { messageId }) });
      const wait = Math.min(request.query.wait, MAX_WAIT_SECONDS);
      if (wait === 0) return reply.code(202).send({ ...sent.run, turn: sent.turn });
      const { run, finished, answer } = await runs.waitForTurn(runId, sent.turn, wait);
      if (finished) return reply.code(200).send({ ...run, turn: sent.turn, ...(answer && { answer }) });
      return reply.code(202).header('retry-after', String(RETRY_AFTER_SECONDS)).send({ ...run, turn: sent.turn });
    },
  );

  app.get(
    '/runs/:runId/messages',
    {
      schema: {
        summary: "The run's transcript, oldest message first, a page at a time",
        tags: ['conversations'],
        params: runIdParams,
        querystring: transcriptQuerySchema,
        response: { 200: transcriptPageSchema, 409: errorBodySchema, ...notFound },
      },
    },
    async (request) => {
      const position = await runs.transcriptPosition(request.params.runId);
      return transcriptPage(conversations, position, Number(request.query.cursor ?? 0), request.query.limit);
    },
  );

  app.post(
    '/runs/:runId/close',
    {
      schema: {
        summary: 'Close a conversation: it completes with its last answer once its turns are done',
        tags: ['conversations'],
        params: runIdParams,
        response: { 202: runSchema, 409: errorBodySchema, ...notFound },
      },
    },
    async (request, reply) => reply.code(202).send(await runs.close(request.params.runId)),
  );
};
