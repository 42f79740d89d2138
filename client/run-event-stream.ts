import { isGrpcServiceError, type Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import {
  extstoreInboundOptions,
  visit,
  walkGetWorkflowExecutionHistoryResponse,
} from '@temporalio/common/lib/internal-non-workflow';
import type { temporal } from '@temporalio/proto';
import { RunNotFoundError } from './run-errors';
import { isAfter, positionOf, RunEventMapper, type EventPosition, type RunEvent } from './run-events';

/**
 * A run's events as they happen, from its Temporal history: each execution of its
 * continued-as-new chain is read page by page with `waitNewEvent` long polls, so a new event
 * arrives as soon as Temporal records it and nothing polls on a timer. The stream ends when the
 * chain's last execution closes. An aborted `signal` cancels the long poll in flight at once.
 *
 * Resuming after an event id reads the chain from its start again (history has no way to start
 * in the middle), feeding the mapper every event so later ones keep their context, and yields
 * only what comes after.
 */

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface RunEventStreamOptions {
  client: Client;
  /** The run's id: its workflow ID. */
  runId: string;
  /** Yield only events after this one (a client's Last-Event-ID). */
  after?: EventPosition;
  signal?: AbortSignal;
}

/** Throws RunNotFoundError for an unknown run, so callers can answer 404 before streaming. */
export async function openRunEventStream(options: RunEventStreamOptions): Promise<AsyncGenerator<RunEvent, void>> {
  const firstRunId = await firstExecution(options.client, options.runId);
  return runEvents(options, firstRunId);
}

async function firstExecution(client: Client, workflowId: string): Promise<string> {
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    return description.raw.workflowExecutionInfo?.firstRunId || description.runId;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new RunNotFoundError(workflowId);
    throw error;
  }
}

async function* runEvents(options: RunEventStreamOptions, firstRunId: string): AsyncGenerator<RunEvent, void> {
  const { client, runId: workflowId, after, signal } = options;
  const converter = client.options.loadedDataConverter;
  const mapper = new RunEventMapper({ payloadConverter: converter.payloadConverter, failureConverter: converter.failureConverter });
  let runId: string | undefined = firstRunId;
  for (let execution = 0; runId !== undefined; execution++) {
    let nextRunId: string | undefined;
    for await (const event of executionEvents(client, workflowId, runId, signal)) {
      nextRunId = event.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? nextRunId;
      const runEvent = mapper.map(event, execution);
      if (runEvent && isAfter(positionOf(event, execution), after)) yield runEvent;
    }
    runId = nextRunId;
  }
}

/**
 * Every event of one execution, waiting for new ones while it runs. Temporal answers a long poll
 * with no events when its own timeout passes; the page token then says where to go on.
 */
async function* executionEvents(
  client: Client,
  workflowId: string,
  runId: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<HistoryEvent, void> {
  let nextPageToken: Uint8Array | undefined;
  let pageSize = SERVER_PAGE_SIZE;
  for (;;) {
    const request = {
      namespace: client.options.namespace,
      execution: { workflowId, runId },
      waitNewEvent: true,
      maximumPageSize: pageSize,
      ...(nextPageToken && { nextPageToken }),
    };
    const poll = () => client.workflowService.getWorkflowExecutionHistory(request);
    let response: Awaited<ReturnType<typeof poll>>;
    try {
      response = signal ? await abortable(client, signal, poll) : await poll();
    } catch (error) {
      pageSize = smallerPageSize(error, pageSize);
      continue;
    }
    await resolveStoredPayloads(client, response);
    yield* response.history?.events ?? [];
    if (!response.nextPageToken || response.nextPageToken.length === 0) return;
    nextPageToken = response.nextPageToken;
  }
}

/**
 * The raw history call leaves payloads that left history for the store (Temporal external
 * storage) as claims; events show what they stand for.
 */
export async function resolveStoredPayloads(
  client: Client,
  response: temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryResponse,
): Promise<void> {
  const { externalStorage } = client.options.loadedDataConverter;
  if (externalStorage) await visit(response, walkGetWorkflowExecutionHistoryResponse, extstoreInboundOptions(externalStorage));
}

/** 0 asks for the server's own page size (up to 1000 events). */
const SERVER_PAGE_SIZE = 0;
const FIRST_SMALLER_PAGE_SIZE = 64;
const GRPC_RESOURCE_EXHAUSTED = 8;

/**
 * A page can hold more than the gRPC channel takes in one message: 4 MB unless the connection
 * raises `grpc.max_receive_message_length` (the SDK's own 128 MB default goes under a key grpc-js
 * ignores), while events carry payloads of up to 2 MB and a closed execution comes in big pages.
 * Such a page is asked for again in fewer events, down to one; any other error is rethrown.
 */
function smallerPageSize(error: unknown, pageSize: number): number {
  const tooLarge =
    isGrpcServiceError(error) && error.code === GRPC_RESOURCE_EXHAUSTED && /larger than max/i.test(error.message);
  if (!tooLarge || pageSize === 1) throw error;
  return pageSize === SERVER_PAGE_SIZE ? FIRST_SMALLER_PAGE_SIZE : Math.max(1, Math.floor(pageSize / 4));
}

/**
 * Runs one call under its own abort signal, linked to the stream's for as long as the call lasts:
 * the SDK adds a listener to the signal it is given and never removes it, which on a stream's
 * long-lived signal would pile up one listener per poll.
 */
async function abortable<T>(client: Client, signal: AbortSignal, call: () => Promise<T>): Promise<T> {
  signal.throwIfAborted();
  const callAbort = new AbortController();
  const forward = () => callAbort.abort(signal.reason);
  signal.addEventListener('abort', forward, { once: true });
  try {
    return await client.withAbortSignal(callAbort.signal, call);
  } finally {
    signal.removeEventListener('abort', forward);
  }
}
