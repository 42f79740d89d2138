import { proxyActivities } from '@temporalio/workflow';

/**
 * Workflow code of bench/temporal-dispatch.ts and bench/floor-worker.ts (each bundles it): Temporal's
 * floor for an agent turn, two no-op activities one after the other. Not part of the project's workflows.
 */

export interface DispatchActivities {
  noop(): Promise<void>;
}

const { noop } = proxyActivities<DispatchActivities>({ startToCloseTimeout: '10 seconds' });

/**
 * Runs `iterations` pairs of no-op activities and returns the workflow clock at the start of each
 * iteration and after the last one: the start times of the workflow tasks, as the server stamped them.
 */
export async function dispatchLoop(iterations: number): Promise<number[]> {
  const stamps = [Date.now()];
  for (let i = 0; i < iterations; i++) {
    await noop();
    await noop();
    stamps.push(Date.now());
  }
  return stamps;
}
