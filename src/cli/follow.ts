import { isClosedRunStatus, type Run } from '../../client/run-view';
import type { ApiClient, ApiReply } from './api-client';
import { CliError, ExitCode } from './exit-codes';
import type { SseEvent } from './sse';
import { closingRunEventTypes } from '../../client/run-events';

/**
 * Following a run live (`watch`, `run --wait`): its event stream until the run closes, then the
 * closed Run. A stream that ends while the run is still open (a proxy's idle timeout, an API
 * restart) is picked up again where it stopped, by Last-Event-ID.
 */

/** One event of `GET /runs/:runId/events`, whose `data:` is a RunEvent `{id, type, at, data}`. */
export interface StreamedEvent {
  /** The SSE event name, the RunEvent's type: run_started, llm_finished, tool_started, completed, ... */
  name: string;
  id?: string;
  /** ISO 8601, when Temporal recorded it. */
  at?: string;
  data: Record<string, unknown>;
  /** The `data:` text as the API sent it, for --json. */
  json: string;
}

const CLOSING_EVENTS: ReadonlySet<string> = new Set(closingRunEventTypes);

/** Reconnects in a row that bring no event before following gives up. */
const MAX_IDLE_RECONNECTS = 5;
const RECONNECT_DELAY_MS = 1000;
const RESULT_WAIT_SECONDS = 60;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads an event leniently: a field the CLI does not know, or a text `data:`, still shows. */
export function streamedEvent(sse: SseEvent): StreamedEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(sse.data);
  } catch {
    parsed = { text: sse.data };
  }
  const event = isRecord(parsed) ? parsed : { value: parsed };
  const data = isRecord(event.data) ? event.data : event;
  return {
    name: sse.event,
    ...(sse.id !== undefined && { id: sse.id }),
    ...(typeof event.at === 'string' && { at: event.at }),
    data,
    json: sse.data,
  };
}

/** How often, and how many times, `run --wait` asks whether a conversation that finished a turn is idle yet. */
const IDLE_CHECK = { everyMs: 250, times: 8 };

/**
 * For `run --wait`: a conversation has answered its input once a turn has finished and the run is
 * idle (nothing queued meanwhile), and `run --wait` then stops following it, as the MCP tool's
 * wait does; following it until it closes could take a day. Asked after a turn finishes and
 * after a resume (a run paused as its turn finished is idle only once resumed, and writes no
 * further event); a run that continues as new right after a turn shows as running until the new
 * execution's first task, so a running one is asked again for a moment. The returned function is
 * the `stop` of followRun.
 */
export function idleConversation(client: ApiClient, runId: string): (event: StreamedEvent) => Promise<ApiReply<Run> | undefined> {
  let answered = false;
  return async (event) => {
    if (event.name === 'turn_finished') answered = true;
    if (!answered || (event.name !== 'turn_finished' && event.name !== 'resumed')) return undefined;
    for (let time = 1; ; time++) {
      const reply = await client.run(runId);
      if (reply.body.status === 'idle') return reply;
      // Paused or asking someone: a later event (resumed, the next turn_finished) says when to look again.
      if (reply.body.status !== 'running' || time === IDLE_CHECK.times) return undefined;
      await new Promise((resolve) => setTimeout(resolve, IDLE_CHECK.everyMs));
    }
  };
}

/** The run once closed, by the API's long poll. */
export async function closedRun(client: ApiClient, runId: string): Promise<ApiReply<Run>> {
  for (;;) {
    const reply = await client.result(runId, RESULT_WAIT_SECONDS);
    if (reply.status === 200 && isClosedRunStatus(reply.body.status)) return reply;
  }
}

/**
 * `signal` stops following (the promise then rejects), for a chat that leaves a conversation open.
 * `stop`, asked after each event, may end following early with the Run it gives.
 */
export async function followRun(
  client: ApiClient,
  runId: string,
  onEvent: (event: StreamedEvent) => void | Promise<void>,
  signal?: AbortSignal,
  stop?: (event: StreamedEvent) => Promise<ApiReply<Run> | undefined>,
): Promise<ApiReply<Run>> {
  let lastEventId: string | undefined;
  for (let idleReconnects = 0; ; ) {
    let received = false;
    let closing = false;
    for await (const sse of client.events(runId, lastEventId, signal)) {
      const event = streamedEvent(sse);
      lastEventId = event.id ?? lastEventId;
      received = true;
      closing ||= CLOSING_EVENTS.has(event.name);
      await onEvent(event);
      const stopped = closing ? undefined : await stop?.(event);
      if (stopped) return stopped;
    }
    signal?.throwIfAborted();
    if (closing || isClosedRunStatus((await client.run(runId)).body.status)) return closedRun(client, runId);
    idleReconnects = received ? 0 : idleReconnects + 1;
    if (idleReconnects > MAX_IDLE_RECONNECTS) {
      throw new CliError(ExitCode.Unreachable, `the event stream of ${runId} keeps ending while the run is still open`);
    }
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_DELAY_MS));
  }
}
