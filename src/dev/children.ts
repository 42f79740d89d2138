import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { stopWithThisProcess } from '../process/watchdog';

/** Child processes of `npm run dev`, each with its output prefixed by its name. */

const colours = ['\x1b[36m', '\x1b[35m', '\x1b[33m', '\x1b[32m'];
let next = 0;

export function prefixLines(stream: Readable, prefix: string, out: NodeJS.WritableStream, muted: () => boolean = () => false): void {
  createInterface({ input: stream }).on('line', (line) => {
    if (!muted()) out.write(`${prefix} ${line}\n`);
  });
}

export function label(name: string): string {
  const colour = process.stdout.isTTY ? colours[next++ % colours.length] : '';
  return `${colour}[${name.padEnd(8)}]${colour ? '\x1b[0m' : ''}`;
}

export function spawnPrefixed(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  /** While true, its output is dropped (the Temporal server's shutdown chatter, which would bury why the stack stopped). */
  muted?: () => boolean,
): ChildProcess {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  // Dev stops its children itself on Ctrl-C, SIGTERM or its own failure; killed outright, it cannot,
  // and the stack would keep running (and holding its ports) without it. The grace is dev's own.
  stopWithThisProcess(child, 25_000);
  const prefix = label(name);
  prefixLines(child.stdout!, prefix, process.stdout, muted);
  prefixLines(child.stderr!, prefix, process.stderr, muted);
  return child;
}

/**
 * Runs a TypeScript entry point of this project with tsx, as `npm run worker` would, but as node
 * itself with tsx's loader rather than under the `tsx` launcher, which runs the script in a child of
 * its own: so the pid here is the script's (a worker's Temporal identity is `pid@hostname`), and a
 * signal sent to it reaches the script.
 */
export function spawnTsx(name: string, entry: string, env?: NodeJS.ProcessEnv): ChildProcess {
  return spawnPrefixed(name, process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, entry], env);
}
