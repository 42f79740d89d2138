import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { searchAttributeNames } from '../workflows/definitions';
import type { TemporalConnectionSettings } from '../src/config/temporal-connection';
import { stopWithThisProcess } from '../src/process/watchdog';
import { dispatchDynamicConfig, fileSqlitePragmas, type DynamicConfigValue } from './tuning';

/**
 * Starts `temporal server start-dev` with our custom search attributes and the dispatch tuning of
 * temporal/tuning.ts (see temporal/TUNING.md), and waits until it answers.
 */

export interface DevServerOptions {
  cliPath: string;
  ip?: string;
  port?: number;
  /** A UI port, or `false` for a headless server. */
  uiPort?: number | false;
  /** SQLite file for a persistent server; absent means in-memory. */
  dbFile?: string;
  namespace?: string;
  /** Where the Web UI asks for payloads to show (the API's `/codec`), so stored content is shown. */
  codecEndpoint?: string;
  /** Port of the server's Prometheus `/metrics` endpoint; absent: the CLI picks a free one. */
  metricsPort?: number;
  readyTimeoutMs?: number;
  /** `--dynamic-config-value`s; absent: `dispatchDynamicConfig` (temporal/tuning.ts). `{}` for Temporal's defaults. */
  dynamicConfig?: Readonly<Record<string, DynamicConfigValue>>;
  /** `--sqlite-pragma`s; absent: `fileSqlitePragmas` with a `dbFile`, none in memory. `{}` for SQLite's defaults. */
  sqlitePragmas?: Readonly<Record<string, string>>;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function freePort(ip = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, ip, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function devServerArgs(options: DevServerOptions & { port: number }): string[] {
  const args = ['server', 'start-dev', '--ip', options.ip ?? '127.0.0.1', '--port', String(options.port)];
  if (options.uiPort === false) args.push('--headless');
  else if (options.uiPort !== undefined) args.push('--ui-port', String(options.uiPort));
  if (options.uiPort !== false && options.codecEndpoint) args.push('--ui-codec-endpoint', options.codecEndpoint);
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  if (options.namespace && options.namespace !== 'default') args.push('--namespace', options.namespace);
  if (options.metricsPort !== undefined) args.push('--metrics-port', String(options.metricsPort));
  for (const [key, value] of Object.entries(options.dynamicConfig ?? dispatchDynamicConfig)) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  const pragmas = options.sqlitePragmas ?? (options.dbFile ? fileSqlitePragmas : {});
  for (const [name, value] of Object.entries(pragmas)) args.push('--sqlite-pragma', `${name}=${value}`);
  for (const name of searchAttributeNames) args.push('--search-attribute', `${name}=Keyword`);
  args.push('--log-level', 'warn');
  return args;
}

/** True when a Temporal frontend answers at `address` within `timeoutMs`. */
export async function temporalAnswers(target: string | TemporalConnectionSettings, timeoutMs = 2000): Promise<boolean> {
  const settings = typeof target === 'string' ? { address: target } : target;
  try {
    const connection = await Connection.connect({ ...settings, connectTimeout: timeoutMs });
    try {
      await connection.workflowService.getSystemInfo({});
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

/**
 * Starts a server and waits until it answers. A server on a port picked here is retried once on
 * another port, since a free port can be taken between the check and the server's own bind.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  try {
    return await startOnce(options);
  } catch (err) {
    if (options.port !== undefined) throw err;
    return startOnce(options);
  }
}

async function startOnce(options: DevServerOptions): Promise<DevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port ?? (await freePort(ip));
  if (options.dbFile) mkdirSync(path.dirname(options.dbFile), { recursive: true });
  const child = spawn(options.cliPath, devServerArgs({ ...options, ip, port }), { stdio: ['ignore', 'pipe', 'pipe'] });
  // A test that dies before it stops the server (a throw, SIGKILL) must not leave it running, its ports held.
  stopWithThisProcess(child);
  // Keep the tail of the server's output to explain an early exit.
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(...chunk.toString().split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - 20));
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const address = `${ip}:${port}`;
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) =>
      reject(new Error(`temporal server exited early (code ${code}, signal ${signal}):\n${tail.join('\n')}`)),
    ),
  );
  exited.catch(() => undefined);
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    const up = await Promise.race([temporalAnswers(address, 1000), exited]);
    if (up) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`temporal server did not answer at ${address} in time`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    address,
    uiUrl: options.uiPort === false ? undefined : `http://${ip}:${options.uiPort ?? 8233}`,
    process: child,
    stop: () => stopProcess(child),
  };
}

/** SIGTERM, then SIGKILL if the process lingers. */
export async function stopProcess(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(timer);
}
