import { NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../activities';
import type { Config } from '../src/config/schema';
import { loadFunctions } from '../src/functions/registry';
import { McpPool } from '../src/mcp/pool';
import { openStorage, type Storage } from '../src/storage/open';

export interface WorkerOptions {
  config: Config;
  connection: NativeConnection;
  /** Defaults to the config's task queue. */
  taskQueue?: string;
  logger?: Logger;
  /** A prebuilt bundle (tests build one and share it); default: bundle `workflows/` now. */
  workflowBundle?: WorkflowBundle;
  identity?: string;
}

export interface AgentWorker {
  worker: Worker;
  pool: McpPool;
  /** The blob store the worker's activities and large payloads use; close it after the worker. */
  storage: Storage;
}

/**
 * A worker for every pattern workflow and activity. The MCP pool belongs to the process: any
 * activity on it may use any live session, whichever run opened it.
 */
export async function createWorker(options: WorkerOptions): Promise<AgentWorker> {
  const { config } = options;
  // Before anything is opened: a function that cannot load stops start-up with a ConfigError.
  const functions = loadFunctions(config.functions);
  const pool = new McpPool(config.mcp.servers, options.logger);
  const storage = openStorage(config.storage);
  const worker = await Worker.create({
    connection: options.connection,
    namespace: config.temporal.namespace,
    taskQueue: options.taskQueue ?? config.temporal.task_queue,
    ...(options.identity && { identity: options.identity }),
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities(config, pool, functions, storage.blobs),
    dataConverter: storage.dataConverter,
    ...(config.temporal.max_concurrent_activities && {
      maxConcurrentActivityTaskExecutions: config.temporal.max_concurrent_activities,
    }),
    ...(config.temporal.max_concurrent_workflow_tasks && {
      maxConcurrentWorkflowTaskExecutions: config.temporal.max_concurrent_workflow_tasks,
    }),
    // In-flight LLM and tool calls get this long to finish on shutdown before they are cancelled
    // and handed back to Temporal for another worker to retry.
    shutdownGraceTime: '20 seconds',
    // A run's next workflow task goes first to the worker that ran the last one. If that worker
    // died, waiting the default 10 s before another may take it shows as a stalled run.
    stickyQueueScheduleToStartTimeout: '3 seconds',
  });
  return { worker, pool, storage };
}
