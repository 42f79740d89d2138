import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Child processes that must not outlive the process that started them: a test environment's
 * Temporal dev server, `npm run dev`'s server, worker and API. A process that dies without
 * stopping them (an uncaught exception, `process.exit`, a closed stdout pipe, SIGTERM without a
 * handler, SIGKILL) would leave them running with init as their parent, holding their ports.
 *
 * No exit hook runs on SIGKILL, so a watchdog does it: one small node process per process that
 * starts guarded children, told each child's pid over a pipe. Only this process holds the pipe's
 * other end, so the kernel closes it however this process ends, and the watchdog reads the end of
 * its input at once: no polling of the parent pid as dev does for its own parent
 * (src/process/started-by.ts), which never changes on Windows. It then stops what is still registered
 * as `stopProcess` would: SIGTERM, then SIGKILL after the grace.
 */

/**
 * The watchdog, run with `node -e`, so that it needs no file of its own in a checkout or in the
 * installed package. It ignores SIGINT and SIGHUP: Ctrl-C or a closed terminal reach the whole
 * process group, and the watchdog has to outlive its parent to act.
 */
const WATCHDOG_SCRIPT = `
process.title = 'mcp-agent-temporal watchdog';
const guarded = new Map();
let buffered = '';
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  const lines = buffered.split('\\n');
  buffered = lines.pop();
  for (const line of lines) {
    const [op, pid, grace] = line.split(' ');
    if (op === '+') guarded.set(Number(pid), Number(grace));
    else if (op === '-') guarded.delete(Number(pid));
  }
});
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const signal = (pid, name) => { try { process.kill(pid, name); } catch {} };
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  const started = Date.now();
  for (const pid of guarded.keys()) signal(pid, 'SIGTERM');
  const tick = setInterval(() => {
    for (const [pid, grace] of guarded) {
      if (!alive(pid)) guarded.delete(pid);
      else if (Date.now() - started >= grace) { signal(pid, 'SIGKILL'); guarded.delete(pid); }
    }
    if (guarded.size === 0) { clearInterval(tick); process.exit(0); }
  }, 100);
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.on('error', stop);
`;

let watchdog: ChildProcess | undefined;
/** What the watchdog guards, by pid: told again to a new watchdog if the last one died. */
const guarded = new Map<number, number>();
/** Children to stop here as this process exits, when no watchdog could be started. */
const unwatched = new Set<ChildProcess>();

function startWatchdog(): ChildProcess | undefined {
  if (watchdog && watchdog.exitCode === null && watchdog.signalCode === null) return watchdog;
  // NODE_OPTIONS would load into the watchdog what the parent loads (tsx, an inspector on the parent's port).
  const { NODE_OPTIONS: _options, ...env } = process.env;
  try {
    const started = spawn(process.execPath, ['-e', WATCHDOG_SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'], env });
    // Neither the watchdog nor its pipe may keep this process alive.
    started.unref();
    (started.stdin as unknown as { unref?: () => void }).unref?.();
    started.on('error', () => undefined);
    started.stdin!.on('error', () => undefined);
    watchdog = started;
    for (const [pid, graceMs] of guarded) started.stdin!.write(`+ ${pid} ${graceMs}\n`);
    return started;
  } catch {
    return undefined;
  }
}

function stopUnwatched(): void {
  for (const child of unwatched) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
}

/**
 * Stops `child` when this process ends without having stopped it: SIGTERM, then SIGKILL after
 * `graceMs`. A child that exits by itself or is stopped here is forgotten, so a pid reused later is
 * never signalled.
 */
export function stopWithThisProcess(child: ChildProcess, graceMs = 5000): void {
  if (child.pid === undefined) return;
  const pid = child.pid;
  const guard = startWatchdog();
  if (guard?.pid !== undefined) {
    guarded.set(pid, graceMs);
    guard.stdin!.write(`+ ${pid} ${graceMs}\n`);
    child.once('exit', () => {
      guarded.delete(pid);
      if (watchdog?.stdin?.writable) watchdog.stdin.write(`- ${pid}\n`);
    });
    return;
  }
  // Without a watchdog, at least any exit of Node itself stops the child (not SIGKILL, nor a signal Node does not handle).
  if (unwatched.size === 0) process.on('exit', stopUnwatched);
  unwatched.add(child);
  child.once('exit', () => {
    unwatched.delete(child);
    if (unwatched.size === 0) process.off('exit', stopUnwatched);
  });
}
