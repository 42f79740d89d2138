import type { WorkflowTaskFailing } from './run-view';

/**
 * Why an operation on a run could not be done, in terms any front end (API, CLI, MCP server) can
 * turn into its own answer. Each carries a stable snake_case `code`.
 */

export class RunNotFoundError extends Error {
  readonly code = 'run_not_found';

  constructor(readonly runId: string) {
    super(`No run has the id "${runId}".`);
    this.name = 'RunNotFoundError';
  }
}

/**
 * How a closed run ended, as a verb phrase that reads right for every status: "has already
 * failed", "has already been cancelled" ("is already failed" did not).
 */
export function alreadyClosed(status: string): string {
  switch (status) {
    case 'cancelled':
    case 'terminated':
      return `has already been ${status}`;
    case 'completed':
    case 'failed':
      return `has already ${status}`;
    case 'timed_out':
      return 'has already timed out';
    default:
      return `has already closed (${status.replace(/_/g, ' ')})`;
  }
}

export class RunClosedError extends Error {
  readonly code = 'run_closed';

  constructor(
    readonly runId: string,
    readonly status: string,
  ) {
    super(`Run "${runId}" ${alreadyClosed(status)}.`);
    this.name = 'RunClosedError';
  }
}

/** A start with an id that an earlier run with a different workflow, input or spec already holds. */
export class RunIdInUseError extends Error {
  readonly code = 'id_in_use';

  constructor(readonly runId: string) {
    super(`The id "${runId}" belongs to an existing run with a different workflow, input or spec.`);
    this.name = 'RunIdInUseError';
  }
}

export type InputRejectionCode = 'nothing_pending' | 'wrong_request_id' | 'invalid_value';

/** The run's `provide_input` validator turned the input down. */
export class InputRejectedError extends Error {
  constructor(
    readonly code: InputRejectionCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'InputRejectedError';
  }
}

/**
 * No worker took the request in time, so the run could not answer. An Update (`held`: what it
 * carried) is not withdrawn by the caller's deadline: Temporal keeps it and hands it to the next
 * worker that polls, so the message must not tell the person it was lost.
 */
export class WorkerUnavailableError extends Error {
  readonly code = 'worker_unavailable';

  constructor(
    readonly runId: string,
    held?: 'input' | 'message',
  ) {
    super(
      held
        ? `No worker took the ${held} for run "${runId}" in time. Temporal still holds it, so it may yet be delivered ` +
            `when a worker returns: check that a worker is running on its task queue, and check the run before sending something different.`
        : `No worker answered for run "${runId}" in time; check that a worker is running on its task queue.`,
    );
    this.name = 'WorkerUnavailableError';
  }
}

/**
 * The run's workflow task keeps failing (`failing`: the Run's `workflowTaskFailing`), so it can take
 * or answer nothing now: a worker cannot run its code. Said at once rather than after waiting for a
 * worker, as no worker would take it. `what` the caller sent, if anything; `held`: sent before the
 * failure was seen, so Temporal may still hand it to the run once it goes on.
 */
export class WorkflowTaskFailingError extends Error {
  readonly code = 'workflow_task_failing';

  constructor(
    readonly runId: string,
    readonly failing: WorkflowTaskFailing,
    options: { what?: 'input' | 'message'; held?: boolean } = {},
  ) {
    const cannot = options.what ? `cannot take the ${options.what} now` : 'cannot answer now';
    const goesOn = 'the run goes on once a worker can run it (a deploy of code that can replay its history, with the workflow type it started as).';
    super(
      `Run "${runId}" ${cannot}: its workflow task keeps failing (attempt ${failing.attempt}): ${failing.message.replace(/\.?\s*$/, '.')} ` +
        (options.held
          ? 'Temporal may still deliver it once a worker can run the run again; check the run before sending something different.'
          : options.what
            ? `Nothing was delivered; ${goesOn}`
            : `${goesOn.charAt(0).toUpperCase()}${goesOn.slice(1)}`),
    );
    this.name = 'WorkflowTaskFailingError';
  }
}

/** The run keeps no transcript: only tool loops shown with `describe` (agent, swarm, and code workflows' own) do. */
export class NoTranscriptError extends Error {
  readonly code = 'no_transcript';

  constructor(readonly runId: string) {
    super(
      `Run "${runId}" keeps no transcript: only agent and swarm runs, and code workflows that show their ToolLoop with describe(), do; ` +
        'its result has its answer.',
    );
    this.name = 'NoTranscriptError';
  }
}

export type MessageRejectionCode = 'not_a_conversation' | 'run_busy' | 'run_closing' | 'invalid_message';

/** The run's `send_message` validator turned the message down, or the run is no conversation. */
export class MessageRejectedError extends Error {
  constructor(
    readonly code: MessageRejectionCode,
    message: string,
  ) {
    super(message);
    this.name = 'MessageRejectedError';
  }
}

/**
 * A message sent with an idempotency key (the API's Idempotency-Key, the MCP tool's message_id)
 * that a different message to the run already used: Temporal answered with that message's turn and
 * did not deliver this one.
 */
export class IdempotencyKeyReusedError extends Error {
  readonly code = 'idempotency_key_reused';

  constructor(
    readonly runId: string,
    readonly key: string,
  ) {
    super(
      `The idempotency key "${key}" was already used for a different message to run "${runId}", so this message was not sent; ` +
        'send it with a new key.',
    );
    this.name = 'IdempotencyKeyReusedError';
  }
}
