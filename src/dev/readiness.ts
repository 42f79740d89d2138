import net from 'node:net';
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

/**
 * Whether something already listens on the API's port. Asked before anything starts: an API that
 * cannot bind exits, but another server there could answer /health and pass for it.
 */
export function portTaken(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    // Any other refusal (a privileged port, an address not on this machine) is the API's to report.
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRINUSE'));
    probe.listen({ host, port }, () => probe.close(() => resolve(false)));
  });
}

export function portTakenMessage(host: string, port: number): string {
  return `port ${port} on ${host} is in use by another program, so the API cannot listen there; stop that program, or pick another port with PORT=<port>`;
}

export class NotHealthyError extends Error {
  constructor(url: string, detail: string) {
    super(`the API did not answer ${url}/health with 200: ${detail}`);
    this.name = 'NotHealthyError';
  }
}

/**
 * Resolves once `url` answers /health with 200. Rejects with a NotHealthyError after `timeoutMs`
 * (saying what answered instead), or as soon as `givenUp()` returns a reason.
 */
export async function waitUntilHealthy(
  url: string,
  options: { timeoutMs: number; givenUp?: () => string | undefined; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let last = 'nothing answered';
  for (;;) {
    const reply = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    if (reply?.status === 200) return;
    if (reply) last = `the last answer was ${reply.status}`;
    const reason = options.givenUp?.();
    if (reason) throw new NotHealthyError(url, reason);
    if (Date.now() >= deadline) throw new NotHealthyError(url, `none within ${Math.round(options.timeoutMs / 1000)} s (${last})`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
}
