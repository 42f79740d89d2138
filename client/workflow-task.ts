import type { Client } from '@temporalio/client';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { WorkflowTaskFailing } from './run-view';

/**
 * A run whose workflow task keeps failing (a deploy whose code cannot replay the run's history, a
 * workflow type the workers' bundle lacks) makes no progress and takes no input, yet its status is
 * still what it last said. Temporal shows it only in the execution's description, as the pending
 * workflow task's attempt: above 1, it failed before (a task that fails on a worker's sticky queue
 * is retried on the normal one first without counting). Why it failed is in the history's last
 * WorkflowTaskFailed (or TimedOut) event: the first failure of the series, since the SDK reports
 * a failing task once and lets the later attempts time out, and Temporal records no retry.
 */

type PendingWorkflowTask = temporal.api.workflow.v1.IPendingWorkflowTaskInfo;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/**
 * How many of the newest events are read, newest first, to find that failure: past the signals
 * (pause, input by signal) that may have come since.
 */
export const WORKFLOW_TASK_FAILURE_EVENTS = 50;

/** The pending workflow task's attempt when it has failed before, else undefined. */
export function failingAttempt(pending: PendingWorkflowTask | null | undefined): number | undefined {
  const attempt = pending?.attempt ?? 1;
  return attempt > 1 ? attempt : undefined;
}

const { WorkflowTaskFailedCause, TimeoutType } = temporal.api.enums.v1;

/** `WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR` → `non deterministic error`. */
function enumWords(name: string | undefined, prefix: string): string | undefined {
  return name?.startsWith(prefix) ? name.slice(prefix.length).toLowerCase().replace(/_/g, ' ') : undefined;
}

function failedMessage(failed: temporal.api.history.v1.IWorkflowTaskFailedEventAttributes): string {
  const message = failed.failure?.message?.trim();
  if (message) return message;
  const cause = enumWords(WorkflowTaskFailedCause[failed.cause ?? 0], 'WORKFLOW_TASK_FAILED_CAUSE_');
  return `The workflow task failed${cause && cause !== 'unspecified' ? ` (${cause})` : ''}; the worker's log says why.`;
}

function timedOutMessage(timedOut: temporal.api.history.v1.IWorkflowTaskTimedOutEventAttributes): string {
  const kind = enumWords(TimeoutType[timedOut.timeoutType ?? 0], 'TIMEOUT_TYPE_');
  return `The workflow task timed out${kind && kind !== 'unspecified' ? ` (${kind})` : ''}: the worker that took it did not finish it in time (it stopped, or the task is stuck).`;
}

/**
 * The Run's `workflowTaskFailing` from the pending workflow task and the newest events of the
 * execution's history, newest first: the last failure or timeout of a workflow task, unless a task
 * completed after it. Undefined for a task that has not failed.
 */
export function workflowTaskFailure(
  pending: PendingWorkflowTask | null | undefined,
  newestFirst: readonly HistoryEvent[],
): WorkflowTaskFailing | undefined {
  const attempt = failingAttempt(pending);
  if (attempt === undefined) return undefined;
  for (const event of newestFirst) {
    if (event.workflowTaskCompletedEventAttributes) break;
    const failed = event.workflowTaskFailedEventAttributes;
    const timedOut = event.workflowTaskTimedOutEventAttributes;
    if (!failed && !timedOut) continue;
    const since = optionalTsToDate(event.eventTime);
    return {
      attempt,
      cause: failed ? 'failed' : 'timed_out',
      message: failed ? failedMessage(failed) : timedOutMessage(timedOut!),
      ...(since && { since: since.toISOString() }),
    };
  }
  return { attempt, cause: 'failed', message: "The workflow task keeps failing; the worker's log says why." };
}

/**
 * Whether an Update (input, a message) is refused at once rather than sent: a task that failed
 * fails again, but one that only timed out once (its worker died mid-task) is most likely taken by
 * another worker within the Update's wait. Temporal itself refuses Updates from the third attempt.
 */
export function refusesUpdates(failing: WorkflowTaskFailing | undefined): failing is WorkflowTaskFailing {
  return failing !== undefined && (failing.cause === 'failed' || failing.attempt >= 3);
}

/**
 * The same for a described execution: one short read of its history, newest first, and only when
 * its workflow task has failed before; nothing is read for a healthy run.
 */
export async function readWorkflowTaskFailure(
  client: Client,
  execution: { workflowId: string; runId?: string },
  pending: PendingWorkflowTask | null | undefined,
): Promise<WorkflowTaskFailing | undefined> {
  if (failingAttempt(pending) === undefined) return undefined;
  const response = await client.workflowService.getWorkflowExecutionHistoryReverse({
    namespace: client.options.namespace,
    execution,
    maximumPageSize: WORKFLOW_TASK_FAILURE_EVENTS,
  });
  return workflowTaskFailure(pending, response.history?.events ?? []);
}
