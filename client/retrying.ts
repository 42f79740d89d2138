import type { Client } from '@temporalio/client';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { callTimeoutText } from '../src/patterns/call-timeouts';
import { preview, type LiveRunEvent } from './run-events';
import type { RetryingActivity } from './run-view';
import { failingAttempt, readWorkflowTaskFailure } from './workflow-task';

/**
 * A model or tool call that Temporal is retrying leaves no trace in history until it finally ends
 * (the attempts are the server's, not the workflow's), so only an execution's pending activities
 * show it: for the Run and listings (`retrying`), and for live event streams, which ask again
 * while they stay open.
 */

type PendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;

/** The first pending activity that has failed at least once, as the Run shows it. */
export function retryingActivity(pending: readonly PendingActivity[]): RetryingActivity | undefined {
  const failing = pending.find((activity) => (activity.attempt ?? 1) > 1 && activity.lastFailure);
  if (!failing) return undefined;
  const next = optionalTsToDate(failing.nextAttemptScheduleTime);
  return {
    activity: failing.activityType?.name ?? 'activity',
    attempt: failing.attempt ?? 2,
    ...(failing.maximumAttempts ? { maximumAttempts: failing.maximumAttempts } : {}),
    lastError: lastErrorOf(failing),
    ...(next && { nextAttemptAt: next.toISOString() }),
  };
}

function lastErrorOf(activity: PendingActivity): string {
  const timeout = activity.lastFailure?.timeoutFailureInfo;
  const readable = timeout && callTimeoutText(activity.activityType?.name, timeout.timeoutType);
  return readable || (activity.lastFailure?.message ?? '');
}

/** How often an open event stream asks Temporal whether a call is being retried, or the workflow task keeps failing. */
export const RETRY_WATCH_INTERVAL_MS = 2000;

export interface RetryWatchOptions {
  client: Client;
  runId: string;
  /** Ends the watch; it also ends by itself once the run closes. */
  signal: AbortSignal;
  /** A `retrying` or `workflow_task_failing` event. */
  onEvent(event: LiveRunEvent): void | Promise<void>;
  intervalMs?: number;
}

/**
 * A `retrying` event each time a failing call's attempt changes, and a `workflow_task_failing`
 * event each time the attempt of a workflow task that keeps failing does (its history is read then
 * only, for the failure's message), for as long as the run is open. Best effort: a description
 * that fails (Temporal restarting) is tried again at the next tick, and a retry that starts and
 * succeeds between two ticks is not seen.
 */
export async function watchRetries(options: RetryWatchOptions): Promise<void> {
  const { client, runId, signal } = options;
  const interval = options.intervalMs ?? RETRY_WATCH_INTERVAL_MS;
  const handle = client.workflow.getHandle(runId);
  let reported: string | undefined;
  let reportedTaskAttempt: number | undefined;
  while (!signal.aborted) {
    try {
      const { raw } = await client.withAbortSignal(signal, () => handle.describe());
      const retrying = retryingActivity(raw.pendingActivities ?? []);
      const key = retrying && `${retrying.activity}/${retrying.attempt}`;
      if (retrying && key !== reported) {
        await options.onEvent({
          type: 'retrying',
          at: new Date().toISOString(),
          data: { ...retrying, lastError: preview(retrying.lastError) },
        });
      }
      reported = key;
      const taskAttempt = failingAttempt(raw.pendingWorkflowTask);
      if (taskAttempt !== undefined && taskAttempt !== reportedTaskAttempt) {
        const execution = { workflowId: runId, runId: raw.workflowExecutionInfo?.execution?.runId ?? undefined };
        const failing = await client.withAbortSignal(signal, () => readWorkflowTaskFailure(client, execution, raw.pendingWorkflowTask));
        if (failing) {
          await options.onEvent({ type: 'workflow_task_failing', at: new Date().toISOString(), data: { ...failing, message: preview(failing.message) } });
        }
      }
      reportedTaskAttempt = taskAttempt;
      // Open means running, or continued as new (describe answers for the latest execution).
      if (raw.workflowExecutionInfo?.closeTime) return;
    } catch {
      if (signal.aborted) return;
    }
    await sleep(interval, signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
