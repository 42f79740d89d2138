import type { Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { openRunEventStream } from '../../../client/run-event-stream';
import { isAfter, parseEventId } from '../../../client/run-events';
import { watchRetries } from '../../../client/retrying';
import type { DeltaFeed } from '../../streaming/nats';
import type { LiveEvent, LlmDeltaEvent } from '../../streaming/messages';
import { DeltaGate } from '../delta-gate';
import { errorBodySchema, runEventMessageSchema, runEventsHeaders, runIdParams } from '../schemas';
import { formatSseComment, formatSseMessage, SSE_HEADERS, writeSse } from '../sse';

export interface RunEventRouteOptions {
  client: Client;
  /** Where `llm_delta` events come from (streaming.nats_url); none: the stream has none. */
  deltas?: DeltaFeed;
}

/** Often enough for proxies with a 30 to 60 s idle timeout to keep the connection. */
const HEARTBEAT_MS = 15_000;

/**
 * `GET /runs/:runId/events`: the run's events as Server-Sent Events until it closes. An unknown
 * run gets a JSON 404 before the stream starts. A client that goes away aborts the history long
 * poll in flight, so it costs nothing from then on; closing the API ends every stream.
 */
export const runEventRoutes: FastifyPluginAsyncZod<RunEventRouteOptions> = async (app, { client, deltas }) => {
  const streams = new Set<AbortController>();
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.abort();
  });

  app.get(
    '/runs/:runId/events',
    {
      schema: {
        summary: 'The run as it happens: Server-Sent Events until it closes',
        description: [
          'Each message has `id` (resume with it as Last-Event-ID), `event` (the type) and one `data` line with',
          'the RunEvent as JSON; `retrying` events (a call Temporal is retrying, which history does not show until it ends)',
          "and `workflow_task_failing` events (the run's workflow task keeps failing: it makes no progress until a worker can run it)",
          'come without an id and are not replayed on reconnect. So do `llm_delta` events (with streaming configured): pieces of a model reply',
          'being written, of this run and of every run below it, best effort (one may be missing; `seq` counts them per call attempt),',
          "between a call's `llm_started` and `llm_finished`; the `llm_finished` event has the whole reply. A reconnect with Last-Event-ID",
          'gets every durable event after that id, without gaps, and deltas from then on only. `tool_progress` and `tool_log` events',
          "(with streaming configured) are an MCP server's progress notifications and log messages for a running tool call of the",
          'run or a run below it, live and best effort like deltas.',
          'The stream ends after `completed`, `failed`, `cancelled`, `terminated` or',
          '`timed_out`; an EventSource would reconnect, so close it on those. `: ping` comments come every 15 s.',
        ].join(' '),
        tags: ['runs'],
        params: runIdParams,
        headers: runEventsHeaders,
        response: {
          200: {
            description: 'Server-Sent Events: each has `id`, `event` (the type) and `data`, a RunEvent as JSON',
            content: { 'text/event-stream': { schema: runEventMessageSchema } },
          },
          400: errorBodySchema,
          404: errorBodySchema,
          503: errorBodySchema,
        },
      },
    },
    async (request, reply) => {
      const lastEventId = request.headers['last-event-id'];
      // An empty Last-Event-ID names no event: from the start, as without one.
      const after = lastEventId ? parseEventId(lastEventId) : undefined;
      const abort = new AbortController();
      const { runId } = request.params;
      // From the start even after a Last-Event-ID when deltas are on: the events passed over tell
      // which calls are running now. Those events are still read either way (history has no middle).
      const events = await openRunEventStream({ client, runId, after: deltas ? undefined : after, signal: abort.signal });

      reply.hijack();
      const response = reply.raw;
      response.writeHead(200, SSE_HEADERS);
      response.flushHeaders();
      response.on('close', () => abort.abort());
      streams.add(abort);
      const heartbeat = setInterval(() => response.write(formatSseComment('ping')), HEARTBEAT_MS);
      // History has no trace of a call being retried until it ends, nor of a workflow task failing again; this watch tells the client meanwhile.
      const retries = new AbortController();
      const watching = watchRetries({
        client,
        runId: request.params.runId,
        signal: AbortSignal.any([abort.signal, retries.signal]),
        onEvent: async (event) => {
          if (!response.writableEnded) await writeSse(response, formatSseMessage({ event: event.type, data: event }), abort.signal);
        },
      });
      const gate = new DeltaGate(runId);
      // Best effort: a delta that finds the socket's buffer full is dropped rather than queued.
      const writeLive = (event: LiveEvent) => {
        if (response.writableEnded || response.writableNeedDrain) return;
        response.write(formatSseMessage({ event: event.type, data: event }));
      };
      const writeDeltas = (list: LlmDeltaEvent[]) => list.forEach(writeLive);
      // Subscribed before history is read, so no delta of a call this stream shows starting is missed.
      // A tool call's progress and log messages pass as they come: they belong to no model call.
      const unwatch = deltas && !abort.signal.aborted
        ? await deltas.watch(runId, (event) => (event.type === 'llm_delta' ? writeDeltas(gate.live(event)) : writeLive(event))).catch((error: unknown) => {
            request.log.warn({ err: error }, 'no llm_delta events for this stream');
            return undefined;
          })
        : undefined;
      try {
        for await (const event of events) {
          const released = gate.durable(event);
          if (after && !isAfter(parseEventId(event.id)!, after)) continue;
          await writeSse(response, formatSseMessage({ id: event.id, event: event.type, data: event }), abort.signal);
          writeDeltas(released);
        }
      } catch (error) {
        if (!abort.signal.aborted) request.log.warn({ err: error }, 'run event stream broke off');
      } finally {
        unwatch?.();
        clearInterval(heartbeat);
        retries.abort();
        await watching.catch(() => undefined);
        streams.delete(abort);
        response.end();
      }
    },
  );
};
