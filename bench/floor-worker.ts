import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { DispatchActivities } from './dispatch-workflows';

/**
 * A worker process for Temporal's floor (bench/dispatch-workflows.ts: no-op activities), started
 * like the project's worker (bench/stack.ts `startWorkers`), so that the benches time it under the
 * same conditions and bench/throughput.ts can read its CPU time apart from everything else. TEMPORAL_ADDRESS and
 * TEMPORAL_TASK_QUEUE say where; it prints "worker polling" once it runs.
 */
async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./dispatch-workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: (m) => console.error(m), log() {} },
  });
  const activities: DispatchActivities = { noop: async () => undefined };
  const worker = await Worker.create({ connection, taskQueue: process.env.TEMPORAL_TASK_QUEUE!, workflowBundle, activities });
  process.once('SIGTERM', () => worker.shutdown());
  console.log(JSON.stringify({ msg: 'worker polling' }));
  await worker.run();
  await connection.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
