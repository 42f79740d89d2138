// First: the parent pid must be read before the seconds start-up takes, in which npm may go (see there).
import { sigtermWhenOrphaned } from '../src/process/started-by';
import { NativeConnection } from '@temporalio/worker';
import { ConfigError } from '../src/config/errors';
import { loadConfig } from '../src/config/load';
import { temporalConnectionSettings } from '../src/config/temporal-connection';
import { createLogger } from '../src/logging';
import { installWorkerRuntime } from '../src/telemetry/runtime';
import { startTracing } from '../src/telemetry/tracing';
import { createWorker } from './create';

/**
 * `npm run worker`: one worker process. Start as many as you like on one task queue; Temporal
 * shares the work among them. SIGINT/SIGTERM stop polling, let in-flight calls finish within the
 * grace time, and hand the rest back to Temporal for another worker. Started by npm, it stops the
 * same way once npm is gone (src/process/started-by.ts).
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('worker', config.logger.level);
  installWorkerRuntime(config, logger);
  const tracing = startTracing(config, 'worker');
  const { address, namespace, task_queue: taskQueue } = config.temporal;
  const connection = await NativeConnection.connect(temporalConnectionSettings(config.temporal));
  const { worker, pool, storage, deltas } = await createWorker({ config, connection, logger, tracing });
  logger.info(
    { address, namespace, taskQueue, servers: Object.keys(config.mcp.servers), storage: storage.blobs.location, streaming: config.streaming.nats_url ?? 'off' },
    'worker polling',
  );
  const running = worker.run();
  // After run(), whose RUNNING state is what says the SDK's signal handlers (which stop it) are still there.
  sigtermWhenOrphaned(logger, 'worker', () => worker.getState() !== 'RUNNING');
  try {
    await running;
  } finally {
    await pool.close();
    await deltas?.close();
    storage.close();
    await connection.close();
    await tracing?.shutdown();
    logger.info('worker stopped');
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String((err as Error)?.stack ?? err)}\n`);
  process.exit(1);
});
