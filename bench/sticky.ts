/**
 * The sticky schedule-to-start timeout (`temporal.sticky_timeout_seconds`), measured in both cases
 * it decides, for each candidate value:
 *
 *  - saturated, nothing failing: BENCH_RUNS runs of BENCH_TURNS tool turns started at once against
 *    one worker process; how many workflow tasks timed out on the worker's sticky queue (each one
 *    throws the worker's cached run away and costs a replay on the normal queue), and run latency;
 *  - a worker SIGKILLed: two worker processes, BENCH_KILL_RUNS runs whose model calls each take
 *    BENCH_MODEL_MS, the first worker killed mid-way; how much longer the runs take than the same
 *    runs with nobody killed (p50 and max), and how many sticky timeouts it took to move them.
 *
 *   npx tsx bench/sticky.ts
 *   BENCH_STICKY=1,3,5,10 BENCH_RUNS=60 npx tsx bench/sticky.ts
 *
 * The dev server is started as `npm run dev` starts it; the workers are `worker/main.ts`, started as
 * an operator would. The scripted provider and the MCP fixture run in this process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { resolveRun } from '../src/config/resolve';
import { startScriptedProvider } from '../src/testing/scripted-model';
import { findTemporalCli } from '../temporal/cli';
import { startFixtureHttpServer } from '../test/fixtures/mcp-fixture-server';
import { closeAll, percentile, positiveIntFromEnv, round } from './common';
import { startStack, writeWorkerConfig, type Stack } from './stack';
import { startWorkerChild, type WorkerChild } from './worker-child';

const projectRoot = path.resolve(__dirname, '..');
const TIMED_OUT = temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT;
const SCHEDULE_TO_START = temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START;

let runCounter = 0;

/** Seconds, with their sign: a run the kill did not touch may end a little sooner than its calm twin. */
const signed = (ms: number) => `${ms >= 0 ? '+' : ''}${round(ms / 1000)}`;

/** Starts an agent run of `turns` tool turns whose model replies each take `delayMs`. */
async function startRun(stack: Stack, taskQueue: string, turns: number, delayMs: number): Promise<WorkflowHandle> {
  const id = `sticky-${process.pid}-${++runCounter}`;
  stack.provider.script(id, [
    ...Array.from({ length: turns }, (_, i) => ({ toolCalls: [{ name: 'fixture-add', arguments: { a: i, b: 1 } }], delayMs })),
    { text: 'done', delayMs },
  ]);
  const run = resolveRun(stack.config, 'agent', {
    type: 'agent',
    agent: { instruction: 'bench', provider: 'openai', model: id, servers: ['fixture'], max_iterations: turns + 1 },
  });
  return stack.client.workflow.start(run.workflowType, { args: [{ name: run.name, spec: run.spec, input: 'bench' }], taskQueue, workflowId: id });
}

/** Workflow tasks that timed out waiting on a sticky queue, over the runs' histories. */
async function stickyTimeouts(handles: WorkflowHandle[]): Promise<number> {
  let count = 0;
  for (const handle of handles) {
    const history = await handle.fetchHistory();
    count += (history.events ?? []).filter(
      (event) => event.eventType === TIMED_OUT && event.workflowTaskTimedOutEventAttributes?.timeoutType === SCHEDULE_TO_START,
    ).length;
  }
  return count;
}

async function timedRuns(stack: Stack, taskQueue: string, count: number, turns: number, delayMs: number, during?: () => Promise<void>) {
  const started = performance.now();
  const handles = await Promise.all(Array.from({ length: count }, () => startRun(stack, taskQueue, turns, delayMs)));
  const durations = handles.map(async (handle) => {
    await handle.result();
    return performance.now() - started;
  });
  await during?.();
  return { durations: await Promise.all(durations), timeouts: await stickyTimeouts(handles) };
}

async function main(): Promise<void> {
  const candidates = (process.env.BENCH_STICKY ?? '1,3,5,10').split(',').map(Number);
  const runs = positiveIntFromEnv('BENCH_RUNS', 60);
  const turns = positiveIntFromEnv('BENCH_TURNS', 3);
  const killRuns = positiveIntFromEnv('BENCH_KILL_RUNS', 10);
  const modelMs = positiveIntFromEnv('BENCH_MODEL_MS', 400);
  const log = (line: string) => process.stderr.write(`${line}\n`);

  const provider = await startScriptedProvider();
  const fixture = await startFixtureHttpServer();
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-sticky-'));
  const closers: Array<() => Promise<void>> = [() => provider.close(), () => fixture.close(), async () => rmSync(dir, { recursive: true, force: true })];
  try {
    const stack = await startStack({ cliPath: findTemporalCli({ log }).path, name: 'sticky', provider, fixtureUrl: fixture.url }, closers);
    const workers = async (seconds: number, queue: string, count: number): Promise<WorkerChild[]> => {
      const configFile = writeWorkerConfig(stack, path.join(dir, `sticky-${seconds}.yaml`), { sticky_timeout_seconds: seconds });
      const env = { MCP_AGENT_CONFIG: configFile, TEMPORAL_ADDRESS: stack.server.address, TEMPORAL_TASK_QUEUE: queue };
      const started: WorkerChild[] = [];
      for (let i = 0; i < count; i++) started.push(await startWorkerChild(`worker-${seconds}s-${queue}-${i}`, [path.join(projectRoot, 'worker', 'main.ts')], env, dir));
      return started;
    };

    const rows: string[] = [];
    for (const seconds of candidates) {
      log(`sticky ${seconds} s: saturated`);
      const [busy] = await workers(seconds, `busy-${seconds}`, 1);
      await timedRuns(stack, `busy-${seconds}`, 10, turns, 0); // warm-up
      const saturated = await timedRuns(stack, `busy-${seconds}`, runs, turns, 0);
      await busy.stop();

      log(`sticky ${seconds} s: SIGKILL`);
      const queue = `kill-${seconds}`;
      const [victim, survivor] = await workers(seconds, queue, 2);
      const calm = await timedRuns(stack, queue, killRuns, turns, modelMs);
      const killed = await timedRuns(stack, queue, killRuns, turns, modelMs, async () => {
        await new Promise((resolve) => setTimeout(resolve, modelMs * 1.5));
        victim.kill('SIGKILL');
      });
      await survivor.stop();
      await victim.stop();

      const extra = killed.durations.map((d, i) => d - (calm.durations[i] ?? percentile(calm.durations, 50)));
      rows.push(
        `sticky ${String(seconds).padStart(2)} s | saturated (${runs} runs at once): ${saturated.timeouts} sticky timeouts, run p50 ${round(percentile(saturated.durations, 50) / 1000)} s, p99 ${round(percentile(saturated.durations, 99) / 1000)} s` +
          ` | worker SIGKILLed (${killRuns} runs): ${signed(percentile(extra, 50))} s p50, ${signed(Math.max(...extra))} s max, ${killed.timeouts} sticky timeouts`,
      );
      log(rows.at(-1)!);
    }
    process.stdout.write(`${rows.join('\n')}\n`);
  } finally {
    await closeAll(closers);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
