import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort, stopProcess } from '../../temporal/dev-server';
import { findNatsServer, NATS_SERVER_MODULE, NATS_SERVER_VERSION, natsServerArgs, natsServerBin } from '../../src/streaming/nats-server';

/**
 * A real NATS server process for tests, on a free port. The binary is found as `npm run dev`
 * finds it; when there is none it is built into .tools/nats-server/bin with `go install` through
 * the Go module proxy (.ci/run does so before the suite).
 */

export interface NatsServer {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function natsServerBinary(): string {
  const found = findNatsServer();
  if (found) return found.path;
  const built = spawnSync('go', ['install', `${NATS_SERVER_MODULE}@${NATS_SERVER_VERSION}`], {
    env: { ...process.env, GOBIN: natsServerBin },
    encoding: 'utf8',
    timeout: 600_000,
  });
  const after = findNatsServer();
  if (built.status !== 0 || !after) {
    throw new Error(
      `nats-server is needed for the streaming tests: install Go and run GOBIN=.tools/nats-server/bin go install ${NATS_SERVER_MODULE}@${NATS_SERVER_VERSION}, ` +
        `or set NATS_SERVER_PATH. ${built.error?.message ?? built.stderr ?? ''}`,
    );
  }
  return after.path;
}

export async function startNatsServer(): Promise<NatsServer> {
  const binary = natsServerBinary();
  const port = await freePort();
  const child = spawn(binary, natsServerArgs(port), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 20_000;
  while (!(await answers(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stopProcess(child);
      throw new Error(`nats-server did not start on port ${port}:\n${output.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url: `nats://127.0.0.1:${port}`, process: child, stop: () => stopProcess(child) };
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('INFO'));
    });
    socket.once('error', () => resolve(false));
  });
}
