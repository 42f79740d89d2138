import type { AddressInfo } from 'node:net';
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import pino from 'pino';
import { connectClient, type TemporalClient } from '../client/connection';
import { buildApp } from '../src/api/app';
import type { Config } from '../src/config/schema';
import { createWorker } from '../worker/create';

/** Pieces every benchmark here shares: settings from the environment, figures, clean shutdown, a worker and API. */

export function positiveIntFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

/** Nearest-rank percentile of an unsorted sample. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const ms = (value: number) => `${value.toFixed(1)} ms`;
export const round = (value: number) => Math.round(value * 100) / 100;

/** Runs every closer even when one fails, so the dev server never outlives the bench. */
export async function closeAll(closers: ReadonlyArray<() => Promise<void>>): Promise<void> {
  const failures: unknown[] = [];
  for (const close of closers) await close().catch((error: unknown) => failures.push(error));
  if (failures.length > 0) throw failures[0];
}

/**
 * An in-process worker (workflows bundled now) and the API on a free port, against the config's
 * Temporal; their closers go to the front of `closers`, so they stop before the server does.
 */
export async function startWorkerAndApi(
  config: Config,
  closers: Array<() => Promise<void>>,
): Promise<{ api: string; temporal: TemporalClient }> {
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: (m) => console.error(m), log() {} },
  });
  const nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
  closers.unshift(() => nativeConnection.close());
  const { worker, pool, storage } = await createWorker({ config, connection: nativeConnection, workflowBundle });
  const running = worker.run();
  closers.unshift(async () => {
    worker.shutdown();
    await running;
    await pool.close();
    storage.close();
  });
  const temporal = connectClient(config);
  closers.unshift(async () => {
    await temporal.connection.close();
    temporal.storage.close();
  });
  const app = await buildApp({ config, client: temporal.client, storage: temporal.storage, uiUrl: 'http://localhost:8233', logger: pino({ level: 'silent' }) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  closers.unshift(() => app.close());
  return { api: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, temporal };
}
