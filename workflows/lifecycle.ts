import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  ChildWorkflowFailure,
  ContinueAsNew,
  isCancellation,
  LocalActivityDoBackoff,
  log,
  patched,
  TemporalFailure,
  TimeoutFailure,
  WorkflowError,
} from '@temporalio/workflow';
import { FailureTypes } from '../src/failure-types';
import { callTimeoutText } from '../src/patterns/call-timeouts';
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
    await control.holdCompletionWhilePaused();
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
      await control.lastReportDelivered();
      throw overBudget;
    }
    if (isCancellation(err)) {
      if (patched(Patches.CancelWins)) await control.childrenClosed();
      control.close('cancelled');
      await control.lastReportDelivered();
      throw err;
    }
    if (err instanceof TemporalFailure) {
      control.close('failed');
      await control.lastReportDelivered();
      throw readableFailure(err);
    }
    // Continue-as-new and a local activity's backoff are the SDK's own ways out, not failures.
    if (err instanceof ContinueAsNew || err instanceof LocalActivityDoBackoff) throw err;
    // The code no longer matches the run's history (a deployment problem): the workflow task
    // retries, so that a fixed deployment carries the run on.
    if (err instanceof WorkflowError) throw err;
    // Any other error is a bug in workflow code, ours or a user's, and as deterministic as the
    // code: a retried workflow task would fail the same way forever while the run looked running.
    // The run fails with it, readably; the stack goes to the worker's log.
    control.close('failed');
    await control.lastReportDelivered();
    const error = err instanceof Error ? err : new Error(String(err));
    log.error(`The workflow code threw ${error.name}: ${error.message}`, { stack: error.stack });
    throw ApplicationFailure.create({ message: error.message, type: error.name, nonRetryable: true });
  }
}

/**
 * The root cause of a failure, as people read it: its message and its type, past the wrappers (a
 * child run's failure is already its own root cause, flattened so). The run's failure is all the
 * API sees, so a call's timeout is said here, with the call and its setting, where Temporal's own
 * words ("activity StartToClose timeout") name neither.
 */
export function readableFailure(failure: TemporalFailure): ApplicationFailure {
  let err = failure;
  while (err instanceof ChildWorkflowFailure && err.cause instanceof TemporalFailure) err = err.cause;
  if (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure) {
    const message = callTimeoutText(err.activityType, err.cause.timeoutType);
    if (message) return ApplicationFailure.create({ message, type: FailureTypes.CallTimedOut, nonRetryable: true });
  }
  const root = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : err;
  if (root instanceof ApplicationFailure) {
    return ApplicationFailure.create({ message: root.message, type: root.type ?? 'Error', nonRetryable: true });
  }
  return ApplicationFailure.create({ message: root.message, type: root.name, nonRetryable: true });
}
