import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
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
  do {
    const request = {
      namespace: client.options.namespace,
      execution: { workflowId, runId },
      waitNewEvent: true,
      ...(nextPageToken && { nextPageToken }),
    };
    const poll = () => client.workflowService.getWorkflowExecutionHistory(request);
    const response = signal ? await client.withAbortSignal(signal, poll) : await poll();
    yield* response.history?.events ?? [];
    nextPageToken = response.nextPageToken && response.nextPageToken.length > 0 ? response.nextPageToken : undefined;
  } while (nextPageToken);
}
