// First: the parent pid must be read before the seconds start-up takes, in which npm may go (see there).
import { sigtermWhenOrphaned } from '../process/started-by';
import { connectClient } from '../../client/connection';
import { ConfigError } from '../config/errors';
import { loadConfig, runtimeSettings } from '../config/load';
import { createLogger } from '../logging';
import { startTracing } from '../telemetry/tracing';
import { natsDeltaFeed } from '../streaming/nats';
import { buildApp } from './app';

/**
 * `npm run api`: the HTTP API process. It starts whether or not Temporal is up (the connection is
 * lazy; /health says 503 meanwhile) and closes the server, then the connection, on SIGINT/SIGTERM,
 * and, started by npm, once npm is gone (src/process/started-by.ts).
 */

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

async function main(): Promise<void> {
  const config = loadConfig();
  const settings = runtimeSettings();
  const logger = createLogger('api', config.logger.level);
  const tracing = startTracing(config, 'api');
  const { connection, client, storage } = connectClient(config);
  const { nats_url: natsUrl, subject_prefix: subjectPrefix } = config.streaming;
  const deltas = natsUrl
    ? natsDeltaFeed({ natsUrl, subjectPrefix, namespace: config.temporal.namespace, name: 'api', logger })
    : undefined;
  const app = await buildApp({ config, client, storage, uiUrl: settings.temporalUiUrl, logger, tracing: tracing !== undefined, ...(deltas && { deltas }) });

  if (config.api.tokens.length === 0 && !LOOPBACK_HOSTS.has(settings.host)) {
    logger.warn({ host: settings.host }, 'no api.tokens configured: anyone who can reach this address can start and control runs');
  }

  let stopping = false;
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await app.close();
    await deltas?.close();
    await connection.close();
    storage.close();
    await tracing?.shutdown();
  };
  process.once('SIGINT', (signal) => void stop(signal));
  process.once('SIGTERM', (signal) => void stop(signal));
  sigtermWhenOrphaned(logger, 'API', () => stopping);

  await app.listen({ host: settings.host, port: settings.port });
  logger.info(
    {
      temporal: config.temporal.address,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.task_queue,
      streaming: natsUrl ?? 'off',
    },
    'API ready; OpenAPI document at /docs/json',
  );
}

function startFailure(error: unknown): string {
  if (error instanceof ConfigError) return error.message;
  const listen = error as (NodeJS.ErrnoException & { address?: string; port?: number }) | undefined;
  if (listen?.code === 'EADDRINUSE') {
    return `API failed to start: port ${listen.port} on ${listen.address} is in use by another program; stop it, or pick another port with PORT=<port>`;
  }
  return `API failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}

main().catch((error: unknown) => {
  // Exit rather than wait for the event loop to drain: what start-up opened (a NATS connection
  // that keeps reconnecting, say) would keep a process that serves nothing alive.
  process.stderr.write(`${startFailure(error)}\n`, () => process.exit(1));
});
