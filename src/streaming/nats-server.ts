import { existsSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../temporal/cli';

/**
 * The NATS server binary (github.com/nats-io/nats-server, Apache-2.0), for `npm run dev` and the
 * tests: NATS_SERVER_PATH, else `nats-server` on PATH, else the project-local build that
 * NATS_SERVER_INSTALL puts in .tools/nats-server/bin (the Go module proxy is enough).
 */

export const NATS_SERVER_MODULE = 'github.com/nats-io/nats-server/v2';
export const NATS_SERVER_VERSION = 'v2.15.3';
export const natsServerBin = path.join(projectRoot, '.tools', 'nats-server', 'bin');
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
