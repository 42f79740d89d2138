import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/**
 * Whether a worker is really there: Temporal lists the pollers of a task queue, each by its identity
 * (the SDK's default is `pid@hostname`). A worker that died stays listed for a few minutes, so a
 * launcher that knows its worker's pid asks for that identity rather than for any poller.
 */

const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;

export interface PollerQuery {
  namespace: string;
  taskQueue: string;
  /** Wait for this identity; absent: any poller will do. */
  identity?: string;
}

/** True when the identity (or anyone) polls the task queue for both workflow and activity tasks. */
export async function isPolling(connection: Connection, query: PollerQuery): Promise<boolean> {
  for (const taskQueueType of [TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY]) {
    const { pollers } = await connection.workflowService.describeTaskQueue({
      namespace: query.namespace,
      taskQueue: { name: query.taskQueue },
      taskQueueType,
    });
    const found = (pollers ?? []).some((poller) => query.identity === undefined || poller.identity === query.identity);
    if (!found) return false;
  }
  return true;
}

export class NotPollingError extends Error {
  constructor(query: PollerQuery, detail: string) {
    super(
      `no worker${query.identity ? ` (${query.identity})` : ''} is polling task queue "${query.taskQueue}" ` +
        `in namespace "${query.namespace}" for workflow and activity tasks: ${detail}`,
    );
    this.name = 'NotPollingError';
  }
}

/**
 * Resolves once the worker polls for both kinds of task. Rejects with a NotPollingError after
 * `timeoutMs`, or as soon as `givenUp()` returns a reason (the worker process exited, say).
 */
export async function waitForPolling(
  connection: Connection,
  query: PollerQuery,
  options: { timeoutMs: number; givenUp?: () => string | undefined; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const reason = options.givenUp?.();
    if (reason) throw new NotPollingError(query, reason);
    if (await isPolling(connection, query).catch(() => false)) return;
    if (Date.now() >= deadline) throw new NotPollingError(query, `none after ${Math.round(options.timeoutMs / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
}
