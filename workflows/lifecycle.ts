import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  isCancellation,
  patched,
  TemporalFailure,
} from '@temporalio/workflow';
import { Patches } from './definitions';
import type { RunControl } from './run-control';

/**
 * Runs a pattern's body and records how it ended: the status search attribute, and a failure a
 * person can read (the root cause's message and type, not a chain of wrappers). A run whose tree
 * went over its budget fails with BudgetExceeded, however the body ended meanwhile (the budget
 * check cancelled it, so that is most often as cancelled).
 */
export async function runToCompletion<T>(control: RunControl, body: () => Promise<T>): Promise<T> {
  try {
    const result = await body();
    const overBudget = control.budgetExceeded();
    if (overBudget) throw overBudget;
    // A cancel that arrived in the same activation as the last child's or activity's result has
    // nothing left to interrupt; it still wins, so a run never ends completed after its cancel was
    // accepted (and its parent, cancelled too, sees a cancelled child rather than an answer).
    if (CancellationScope.current().consideredCancelled && patched(Patches.CancelWins)) {
      throw new CancelledFailure('Run cancelled');
    }
    control.close('completed');
    return result;
  } catch (err) {
    const overBudget = control.budgetExceeded();
    if (overBudget) {
      // Children were cancelled with the run's scope: their ends belong in this run's history.
      await control.childrenClosed();
      control.close('failed');
      throw overBudget;
    }
    if (isCancellation(err)) {
      if (patched(Patches.CancelWins)) await control.childrenClosed();
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
