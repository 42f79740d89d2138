import type { ChildProcess } from 'node:child_process';
import { stopProcess } from '../../temporal/dev-server';

/**
 * Keeps one child process running: when it exits on its own it is started again after a delay that
 * doubles with each crash in a row (1 s, 2 s, 4 s, ... up to a cap), and falls back to the first
 * delay once a child has stayed up for a while. `stop()` ends it for good.
 */

export interface BackoffPolicy {
  /** Delay before the first restart of a crash series. */
  initialMs: number;
  /** No delay is longer. */
  maxMs: number;
  /** A child that ran at least this long before it crashed starts a new series. */
  resetAfterMs: number;
}

export const WORKER_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 30_000, resetAfterMs: 60_000 };

/** The delay before the `crashes`-th restart in a row (1-based): initial, 2×, 4×, ..., capped. */
export function restartDelay(policy: BackoffPolicy, crashes: number): number {
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, Math.min(crashes - 1, 30)));
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** How long the child ran. */
  uptimeMs: number;
}

export function describeExit(exit: Pick<ChildExit, 'code' | 'signal'>): string {
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

export interface Restart {
  /** How many crashes in a row this one ends (1 for the first since a child stayed up). */
  crashes: number;
  delayMs: number;
}

export interface SupervisorHooks {
  /** A child was spawned; `restarts` counts the restarts before it (0 for the first child). */
  started?(child: ChildProcess, restarts: number): void;
  /** A child exited on its own. Return false to give up: nothing is restarted after that. */
  crashed?(exit: ChildExit, restart: Restart, child: ChildProcess): boolean | void;
  /** A restart was scheduled and is starting now. */
  restarting?(restart: Restart): void;
}

export class Supervisor {
  private child: ChildProcess | undefined;
  private startedAt = 0;
  private crashes = 0;
  private restarts = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly spawnChild: () => ChildProcess,
    private readonly policy: BackoffPolicy,
    private readonly hooks: SupervisorHooks = {},
  ) {}

  /** The running child, if any (none while a restart waits). */
  get current(): ChildProcess | undefined {
    return this.child;
  }

  start(): ChildProcess {
    if (this.stopped) throw new Error('the supervisor was stopped');
    const child = this.spawnChild();
    this.child = child;
    this.startedAt = Date.now();
    child.once('exit', (code, signal) => this.exited(child, { code, signal, uptimeMs: Date.now() - this.startedAt }));
    this.hooks.started?.(child, this.restarts);
    return child;
  }

  /** No more restarts; the running child, if any, gets SIGTERM (SIGKILL after `graceMs`). */
  async stop(graceMs?: number): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.child) await stopProcess(this.child, graceMs);
  }

  private exited(child: ChildProcess, exit: ChildExit): void {
    if (this.child === child) this.child = undefined;
    if (this.stopped) return;
    if (exit.uptimeMs >= this.policy.resetAfterMs) this.crashes = 0;
    this.crashes += 1;
    const restart = { crashes: this.crashes, delayMs: restartDelay(this.policy, this.crashes) };
    if (this.hooks.crashed?.(exit, restart, child) === false) {
      this.stopped = true;
      return;
    }
    this.timer = setTimeout(() => {
      if (this.stopped) return;
      this.restarts += 1;
      this.hooks.restarting?.(restart);
      this.start();
    }, restart.delayMs);
  }
}
