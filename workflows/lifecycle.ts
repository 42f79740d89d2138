import { ActivityFailure, ApplicationFailure, isCancellation, TemporalFailure } from '@temporalio/workflow';
import type { RunControl } from './run-control';

/**
 * Runs a pattern's body and records how it ended: the status search attribute, and a failure a
 * person can read (the root cause's message and type, not a chain of wrappers).
 */
export async function runToCompletion<T>(control: RunControl, body: () => Promise<T>): Promise<T> {
  try {
    const result = await body();
    control.close('completed');
    return result;
  } catch (err) {
    if (isCancellation(err)) {
      control.close('cancelled');
      throw err;
    }
    if (err instanceof TemporalFailure) {
      control.close('failed');
      throw readableFailure(err);
    }
    // Not a Temporal failure: a bug in workflow code. Let the workflow task fail and retry, so a
    // fixed deployment can carry the run on.
    throw err;
  }
}

/** The root cause of a failure, as people read it: its message and its type. */
export function readableFailure(err: TemporalFailure): ApplicationFailure {
  const root = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : err;
  if (root instanceof ApplicationFailure) {
    return ApplicationFailure.create({ message: root.message, type: root.type ?? 'Error', nonRetryable: true });
  }
  return ApplicationFailure.create({ message: root.message, type: root.name, nonRetryable: true });
}
