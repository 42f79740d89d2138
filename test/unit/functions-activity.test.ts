import path from 'node:path';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createFunctionActivities } from '../../activities/functions';
import { type CallFunctionResult } from '../../activities/contracts';
import { FailureTypes } from '../../src/failure-types';
import { loadFunctions } from '../../src/functions/registry';

/** callFunction in a mock activity context: nothing else needs to run. */

const orders = path.resolve(__dirname, '../fixtures/functions/orders.ts');
const exportsByName = {
  lookup_order: 'lookupOrder',
  start_refund: 'startRefund',
  cancel_order: 'cancelOrder',
  fail_halfway: 'failHalfway',
  retry_later: 'retryLater',
  nothing: 'nothing',
  count_in_bigint: 'countInBigint',
  replace_context_variables: 'replaceContextVariables',
  wait_for_cancellation: 'waitForCancellation',
};
const registry = loadFunctions(
  Object.fromEntries(Object.entries(exportsByName).map(([name, exported]) => [name, { module: orders, export: exported }])),
);
const { callFunction } = createFunctionActivities(registry);

function activityEnvironment(): MockActivityEnvironment {
  return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
}

describe('callFunction', () => {
  it('returns what the function returned, as JSON', async () => {
    const result = await activityEnvironment().run(callFunction, { name: 'lookup_order', args: { id: 'A-1' } });
    expect(result).toEqual({
      value: { id: 'A-1', item: 'kettle', status: 'shipped', placedAt: '2026-01-05T10:00:00.000Z' },
      isError: false,
      contextVariables: {},
    });
  });

  it('keeps the context variables the function changed and the agent it transferred to', async () => {
    const contextVariables = { customer: 'ada', refunds_started: 1 };
    const result = await activityEnvironment().run(callFunction, {
      name: 'start_refund',
      args: { id: 'A-1' },
      contextVariables,
    });
    expect(result).toEqual({
      value: 'Refund started for A-1.',
      isError: false,
      contextVariables: { customer: 'ada', refunds_started: 2, refund_order: 'A-1' },
      transferTo: 'refunds',
    });
    expect(contextVariables).toEqual({ customer: 'ada', refunds_started: 1 });
  });

  it('keeps context variables the function replaced with a new object', async () => {
    const result = await activityEnvironment().run(callFunction, {
      name: 'replace_context_variables',
      args: {},
      contextVariables: { old: 1 },
    });
    expect(result).toEqual({ value: null, isError: false, contextVariables: { fresh: true } });
  });

  it('turns undefined into null', async () => {
    const result = await activityEnvironment().run(callFunction, { name: 'nothing', args: {} });
    expect(result).toEqual({ value: null, isError: false, contextVariables: {} });
  });

  it("answers with the function's error instead of failing the activity", async () => {
    const result = await activityEnvironment().run(callFunction, { name: 'cancel_order', args: { id: 'A-1' } });
    expect(result).toEqual({
      value: null,
      isError: true,
      error: 'Orders cannot be cancelled once shipped.',
      contextVariables: {},
    });
  });

  it('drops the changes a function made to context variables before it threw', async () => {
    const result = await activityEnvironment().run(callFunction, {
      name: 'fail_halfway',
      args: {},
      contextVariables: { step: 1 },
    });
    expect(result).toEqual({ value: null, isError: true, error: 'gave up halfway', contextVariables: { step: 1 } });
  });

  it('answers with a clear error when the result cannot travel as JSON', async () => {
    const input = { name: 'count_in_bigint', args: {} };
    const result: CallFunctionResult = await activityEnvironment().run(callFunction, input);
    expect(result.isError).toBe(true);
    expect(result.error).toBe(
      'Function "count_in_bigint" returned a value JSON cannot carry: ' +
        'result.count is a bigint, which JSON cannot represent; use a string or a number',
    );
  });

  it('lets an ApplicationFailure the function throws fail the activity, so Temporal retries it', async () => {
    const failure = await activityEnvironment()
      .run(callFunction, { name: 'retry_later', args: {} })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'InventoryBusy', message: 'inventory service busy', nonRetryable: false });
  });

  it('fails without retries for a function the config does not name', async () => {
    const failure = await activityEnvironment()
      .run(callFunction, { name: 'refund_everything', args: {} })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: FailureTypes.UnknownFunction, nonRetryable: true });
    expect((failure as Error).message).toBe(
      `Unknown function "refund_everything". Configured: ${Object.keys(exportsByName).join(', ')}`,
    );
  });

  it('passes the cancellation signal, and a cancelled call ends as cancelled', async () => {
    const env = activityEnvironment();
    const running = env.run(callFunction, { name: 'wait_for_cancellation', args: {} });
    env.cancel();
    await expect(running).rejects.toBeInstanceOf(CancelledFailure);
  });
});
