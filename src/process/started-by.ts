import type { Logger } from 'pino';

/**
 * The pid of the process that started this one, read as soon as this module loads: each entry
 * point that watches for it (`npm run dev`, `npm run worker`, `npm run api`) imports this module
 * first, because the rest of its start-up takes a second or more, and npm killed in that window
 * would leave the process reparented already, its parent pid then that of the reaper.
 */
export const startedBy = process.ppid;

/**
 * Calls `orphaned` once the process that started this one is gone, when npm started it.
 *
 * SIGTERM to npm alone (a process manager, a CI job, `kill <npm pid>`) ends npm, but the `sh -c`
 * npm runs a script under does not pass the signal on where sh is dash: the script's process is
 * reparented, and would keep running (polling, listening) with nobody left to stop it. So when npm
 * started this process (npm_lifecycle_event is set under `npm run` and `npx` alike, and in what
 * such a process starts in turn), its parent going away is taken as that SIGTERM. Launched
 * otherwise (from a shell, `nohup … &`), a process keeps running after its parent exits, as any
 * program does. Nothing may sit between that `sh` and this process, or it would be the one
 * reparented: hence `node --import tsx` in the npm scripts rather than the tsx launcher, which
 * runs the script in a child of its own. On Windows a parent pid does not change when the parent
 * exits, so this never fires there.
 *
 * `orphaned` decides what stopping means, and must do nothing if the process is stopping already
 * (Ctrl-C reaches the shell too, so the parent goes while the process drains).
 */
export function whenOrphaned(orphaned: () => void): void {
  if (!process.env.npm_lifecycle_event) return;
  const timer = setInterval(() => {
    if (process.ppid === startedBy) return;
    clearInterval(timer);
    orphaned();
  }, 1000);
  // Never what keeps a process that has stopped everything else alive.
  timer.unref();
}

/**
 * `whenOrphaned` for a process that a SIGTERM stops gracefully (the worker, the API): it logs why,
 * then sends itself SIGTERM, so that it stops exactly as that signal stops it. Unless `stopping()`,
 * when its handler may be spent and a second signal would end it at once.
 */
export function sigtermWhenOrphaned(logger: Logger, name: string, stopping: () => boolean): void {
  whenOrphaned(() => {
    if (stopping()) return;
    logger.info({ startedBy }, `the process that started the ${name} is gone; stopping as on SIGTERM`);
    process.kill(process.pid, 'SIGTERM');
  });
}
