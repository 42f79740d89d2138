import { spawnSync, type ChildProcess } from 'node:child_process';

/** The live processes of a process group, as `pid command line`; a zombie left for its reaper is gone already. */
export function groupProcesses(pgid: number): string[] {
  const { stdout } = spawnSync('ps', ['-eo', 'pid=,pgid=,stat=,args='], { encoding: 'utf8' });
  return stdout.split('\n').flatMap((line) => {
    const [pid, group, stat, ...args] = line.trim().split(/\s+/);
    return Number(group) === pgid && !stat.startsWith('Z') ? [`${pid} ${args.join(' ')}`] : [];
  });
}

/**
 * After a test that killed npm alone: whatever of its group is left goes, and its pipes are
 * closed, which a reparented process would otherwise hold open after npm itself is gone.
 */
export function killNpmGroup(npm: ChildProcess): void {
  try {
    process.kill(-npm.pid!, 'SIGKILL');
  } catch {
    // The group is gone already.
  }
  npm.stdout!.destroy();
  npm.stderr!.destroy();
}
