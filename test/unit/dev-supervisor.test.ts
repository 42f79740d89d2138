import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { restartDelay, Supervisor, WORKER_BACKOFF, type ChildExit, type Restart } from '../../src/dev/supervisor';

/**
 * The supervisor `npm run dev` keeps its worker with, on real child processes: a child that crashes
 * (a non-zero exit, a SIGKILL) is started again with a doubling delay, a child that stayed up starts
 * a new series, and `stop()` ends the child with no restart after it.
 */

/** A node process that counts its starts in a file and exits with code 3 for the first `failures` of them. */
function flaky(dir: string, failures: number): () => ChildProcess {
  const counter = path.join(dir, 'starts');
  writeFileSync(counter, '0');
  const script = `
    const fs = require('node:fs');
    const n = Number(fs.readFileSync(${JSON.stringify(counter)}, 'utf8')) + 1;
    fs.writeFileSync(${JSON.stringify(counter)}, String(n));
    if (n <= ${failures}) process.exit(3);
    setInterval(() => {}, 1000);
  `;
  return () => spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
}

function starts(dir: string): number {
  return Number(readFileSync(path.join(dir, 'starts'), 'utf8'));
}

function recorder() {
  const crashes: { exit: ChildExit; restart: Restart }[] = [];
  const children: ChildProcess[] = [];
  let notify = () => {};
  const started = (child: ChildProcess) => {
    children.push(child);
    notify();
  };
  /** Resolves once `n` children have been started. */
  const startedCount = (n: number) =>
    new Promise<void>((resolve) => {
      notify = () => children.length >= n && resolve();
      notify();
    });
  return { crashes, children, started, startedCount };
}

const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

test('the delays double from the first one up to the cap', () => {
  expect([1, 2, 3, 4, 5, 6, 7].map((n) => restartDelay(WORKER_BACKOFF, n))).toEqual([
    1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
  ]);
  expect(restartDelay(WORKER_BACKOFF, 1000)).toBe(30_000);
});

test('a child that exits non-zero is restarted with growing delays, one that is SIGKILLed too', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'supervisor-'));
  const seen = recorder();
  const supervisor = new Supervisor(flaky(dir, 2), { initialMs: 10, maxMs: 25, resetAfterMs: 60_000 }, {
    started: seen.started,
    crashed: (exit, restart) => void seen.crashes.push({ exit, restart }),
  });
  try {
    supervisor.start();
    await seen.startedCount(3);
    expect(seen.crashes.map(({ exit, restart }) => [exit.code, exit.signal, restart.crashes, restart.delayMs])).toEqual([
      [3, null, 1, 10],
      [3, null, 2, 20],
    ]);
    const third = seen.children[2];
    expect(supervisor.current).toBe(third);

    third.kill('SIGKILL');
    await seen.startedCount(4);
    expect(seen.crashes[2].exit).toMatchObject({ code: null, signal: 'SIGKILL' });
    // A third crash in a row: 40 ms, capped at 25.
    expect(seen.crashes[2].restart).toEqual({ crashes: 3, delayMs: 25 });
    expect(alive(seen.children[3])).toBe(true);
  } finally {
    await supervisor.stop();
  }
});

test('a child that stayed up long enough starts a new series at the first delay', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'supervisor-'));
  const seen = recorder();
  // Every child counts as having stayed up, so no crash is "in a row".
  const supervisor = new Supervisor(flaky(dir, 3), { initialMs: 10, maxMs: 1000, resetAfterMs: 0 }, {
    started: seen.started,
    crashed: (exit, restart) => void seen.crashes.push({ exit, restart }),
  });
  try {
    supervisor.start();
    await seen.startedCount(4);
    expect(seen.crashes.map(({ restart }) => restart)).toEqual([
      { crashes: 1, delayMs: 10 },
      { crashes: 1, delayMs: 10 },
      { crashes: 1, delayMs: 10 },
    ]);
  } finally {
    await supervisor.stop();
  }
});

test('a crash hook that returns false ends the supervision', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'supervisor-'));
  const supervisor = new Supervisor(flaky(dir, 1), { initialMs: 10, maxMs: 10, resetAfterMs: 60_000 }, { crashed: () => false });
  const first = supervisor.start();
  await new Promise((resolve) => first.once('exit', resolve));
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(starts(dir)).toBe(1);
  expect(supervisor.current).toBeUndefined();
  expect(() => supervisor.start()).toThrow(/stopped/);
});

test('stop() ends the child and nothing is restarted after it', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'supervisor-'));
  const seen = recorder();
  const supervisor = new Supervisor(flaky(dir, 0), { initialMs: 10, maxMs: 10, resetAfterMs: 60_000 }, {
    started: seen.started,
    crashed: (exit, restart) => void seen.crashes.push({ exit, restart }),
  });
  const child = supervisor.start();
  await supervisor.stop();
  expect(child.signalCode).toBe('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(seen.crashes).toEqual([]);
  expect(seen.children).toHaveLength(1);
  expect(supervisor.current).toBeUndefined();
});
