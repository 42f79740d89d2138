import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type WorkflowBundle } from '@temporalio/worker';
import { configSchema, type Config, type ConfigInput } from '../../src/config/schema';
import type { Tracing } from '../../src/telemetry/tracing';
import { bundleWorkflows, createWorker, type AgentWorker } from '../../worker/create';
import { testStoragePath, testTemporalAddress } from './temporal-env';

/** In-process workers and clients against the suite's Temporal dev server. */

// Activity failures are expected in many tests; the SDK's own log of them is noise here.
Runtime.install({ logger: new DefaultLogger('ERROR') });

const bundles = new Map<boolean, Promise<WorkflowBundle>>();

/**
 * Workflows (the built-ins and the fixture code workflows) bundled once per test process, with or
 * without the tracing interceptors: bundling is the slow part of starting a worker.
 */
export function workflowBundle(tracing = false): Promise<WorkflowBundle> {
  let bundle = bundles.get(tracing);
  if (!bundle) {
    bundle = bundleWorkflows(undefined, require.resolve('../fixtures/code-workflows/bundle'), { tracing });
    bundles.set(tracing, bundle);
  }
  return bundle;
}

let taskQueueCounter = 0;

export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now()}-${++taskQueueCounter}`;
}

/** A full config from a partial one, with the suite's Temporal address and blob store. */
export function testConfig(input: ConfigInput, taskQueue: string): Config {
  return configSchema.parse({
    ...input,
    temporal: { ...input.temporal, address: testTemporalAddress(), task_queue: taskQueue },
    storage: { path: testStoragePath(), ...input.storage },
  });
}

export interface TestWorker extends AgentWorker {
  client: Client;
  taskQueue: string;
  config: Config;
  stop(): Promise<void>;
}

/** A worker on the config's Temporal address: the suite's server for configs from `testConfig`. */
export async function startTestWorker(config: Config, options: { tracing?: Tracing } = {}): Promise<TestWorker> {
  const { address } = config.temporal;
  const nativeConnection = await NativeConnection.connect({ address });
  const { tracing } = options;
  const agentWorker = await createWorker({
    config,
    connection: nativeConnection,
    workflowBundle: await workflowBundle(tracing !== undefined),
    ...(tracing && { tracing }),
  });
  const running = agentWorker.worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: agentWorker.storage.dataConverter });
  return {
    ...agentWorker,
    client,
    taskQueue: config.temporal.task_queue,
    config,
    async stop() {
      if (agentWorker.worker.getState() === 'RUNNING') agentWorker.worker.shutdown();
      await running;
      await agentWorker.pool.close();
      await agentWorker.deltas?.close();
      agentWorker.storage.close();
      await nativeConnection.close();
      await connection.close();
    },
  };
}
