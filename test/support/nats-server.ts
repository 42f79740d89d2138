import { spawnSync } from 'node:child_process';
import {
  findNatsServer,
  NATS_SERVER_MODULE,
  NATS_SERVER_VERSION,
  natsServerBin,
  startNatsServerProcess,
  type NatsServerProcess,
} from '../../src/streaming/nats-server';

/**
 * A real NATS server process for tests, on a free port. The binary is found as `npm run dev`
 * finds it; when there is none it is built into .tools/nats-server/bin with `go install` through
 * the Go module proxy (.ci/run does so before the suite).
 */

export type NatsServer = NatsServerProcess;

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

/** On a free port, or on `port` (a restart where clients expect it). */
export function startNatsServer(port?: number): Promise<NatsServer> {
  return startNatsServerProcess(natsServerBinary(), port === undefined ? {} : { port });
}
