/**
 * Orchestration overhead of one agent turn: what Temporal, the worker and our activities add to
 * each LLM call + tool call, with a scripted provider that answers at once.
 *
 *   npm run bench
 *   BENCH_RUNS=20 BENCH_TURNS=10 npm run bench
 *
 * Self-contained like the test suite: a headless Temporal dev server on free ports, the scripted
 * provider (both wire formats), the MCP fixture over streamable HTTP, server-everything over stdio
 * and an in-process worker. It prints readable lines, then one JSON line for machines. With the
 * defaults it takes a little under 2 minutes on 2 cores, which is why stdio is measured with one
 * provider only: the provider's wire format barely moves the figure.
 *
 * Figures:
 *  - per turn: (wall time of a run with K tool turns − median wall time of a run that answers at
 *    once) / K, for both providers over streamable HTTP and for stdio, runs one at a time after a
 *    warm-up;
 *  - from the server's history timestamps of one run: llmGenerate scheduled → the following
 *    mcpCallTool completed, split into the LLM activity, the workflow task between, the tool activity;
 *    and how long its workflow tasks waited on the task queue and ran on the worker;
 *  - throughput: 50 runs of 3 tool turns started at once.
 */
import { performance } from 'node:perf_hooks';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { resolveRun } from '../src/config/resolve';
import { configSchema, type Config } from '../src/config/schema';
import { findTemporalCli } from '../temporal/cli';
import { startDevServer } from '../temporal/dev-server';
import { startFixtureHttpServer } from '../test/fixtures/mcp-fixture-server';
import { toolResultsSeen } from '../test/support/requests';
import { startScriptedProvider, type ProviderName, type ScriptedProvider, type ScriptedReply } from '../src/testing/scripted-model';
import { createWorker } from '../worker/create';
import type { AgentResult } from '../workflows/agent';
import { closeAll, ms, percentile, positiveIntFromEnv, round } from './common';

const WARM_UP_RUNS = 2;
const THROUGHPUT_RUNS = 50;
const THROUGHPUT_TURNS = 3;

interface Variant {
  provider: ProviderName;
  server: 'fixture' | 'everything';
  tool: string;
  transport: string;
}

const variants: Variant[] = [
  { provider: 'openai', server: 'fixture', tool: 'fixture-add', transport: 'streamable HTTP' },
  { provider: 'anthropic', server: 'fixture', tool: 'fixture-add', transport: 'streamable HTTP' },
  { provider: 'openai', server: 'everything', tool: 'everything-get-sum', transport: 'stdio' },
];

const variantLabel = (v: Pick<Variant, 'provider' | 'tool' | 'transport'>) => `${v.provider} + ${v.tool} (${v.transport})`;

const median = (values: readonly number[]) => percentile(values, 50);

/** K turns that each call the variant's tool once, then a final answer. */
function script(variant: Variant, turns: number): ScriptedReply[] {
  const toolTurns = Array.from({ length: turns }, (_, i) => ({
    toolCalls: [{ name: variant.tool, arguments: { a: i, b: 1 } }],
  }));
  return [...toolTurns, { text: 'done' }];
}

interface Bench {
  config: Config;
  client: Client;
  provider: ScriptedProvider;
}

interface TimedRun {
  wallMs: number;
  handle: WorkflowHandle;
}

let runCounter = 0;

/** Starts one run; the returned promise settles once its result is in and checked. */
async function startRun(bench: Bench, variant: Variant, turns: number): Promise<TimedRun> {
  const id = `bench-${variant.provider}-${variant.server}-${turns}-${++runCounter}`;
  bench.provider.script(id, script(variant, turns));
  const run = resolveRun(bench.config, 'agent', {
    type: 'agent',
    agent: { instruction: 'bench', provider: variant.provider, model: id, servers: [variant.server], max_iterations: 50 },
  });
  const started = performance.now();
  const handle = await bench.client.workflow.start(run.workflowType, {
    args: [{ name: run.name, spec: run.spec, input: 'bench' }],
    taskQueue: bench.config.temporal.task_queue,
    workflowId: id,
  });
  const result = (await handle.result()) as AgentResult;
  const wallMs = performance.now() - started;
  checkRun(bench.provider, id, turns, result);
  return { wallMs, handle };
}

/** A run that went wrong would time something else: every tool call must have succeeded. */
function checkRun(provider: ScriptedProvider, model: string, turns: number, result: AgentResult): void {
  const requests = provider.requests(model);
  const results = toolResultsSeen(requests[requests.length - 1]);
  const failed = results.filter((r) => r.isError);
  if (result.stopReason !== 'final_answer' || result.iterations !== turns + 1 || results.length !== turns || failed.length > 0) {
    throw new Error(`run ${model} did not go as scripted: ${JSON.stringify({ result, failed })}`);
  }
}

type HistoryEvents = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>;

interface TurnTimes {
  turnMs: number;
  llmMs: number;
  betweenMs: number;
  toolMs: number;
}

/** Each turn's legs from server timestamps: llmGenerate scheduled/completed, mcpCallTool scheduled/completed. */
function turnTimes(events: HistoryEvents): TurnTimes[] {
  const typeByScheduledId = new Map<string, string>();
  const turns: TurnTimes[] = [];
  let llmScheduled: number | undefined;
  let llmCompleted: number | undefined;
  let toolScheduled: number | undefined;
  for (const event of events) {
    const at = tsToMs(event.eventTime);
    const scheduled = event.activityTaskScheduledEventAttributes;
    const completed = event.activityTaskCompletedEventAttributes;
    if (scheduled) {
      const type = scheduled.activityType?.name ?? '';
      typeByScheduledId.set(String(event.eventId), type);
      if (type === 'llmGenerate') llmScheduled = at;
      if (type === 'mcpCallTool') toolScheduled = at;
    } else if (completed) {
      const type = typeByScheduledId.get(String(completed.scheduledEventId));
      if (type === 'llmGenerate') llmCompleted = at;
      if (type === 'mcpCallTool' && llmScheduled !== undefined && llmCompleted !== undefined && toolScheduled !== undefined) {
        turns.push({
          turnMs: at - llmScheduled,
          llmMs: llmCompleted - llmScheduled,
          betweenMs: toolScheduled - llmCompleted,
          toolMs: at - toolScheduled,
        });
        llmScheduled = llmCompleted = toolScheduled = undefined;
      }
    }
  }
  return turns;
}

/** Each workflow task's wait on its task queue (scheduled → started) and its run on the worker (started → completed). */
function workflowTaskTimes(events: HistoryEvents): { queuedMs: number[]; runMs: number[] } {
  const queuedMs: number[] = [];
  const runMs: number[] = [];
  let scheduled: number | undefined;
  let started: number | undefined;
  for (const event of events) {
    const at = tsToMs(event.eventTime);
    if (event.workflowTaskScheduledEventAttributes) scheduled = at;
    if (event.workflowTaskStartedEventAttributes && scheduled !== undefined) {
      queuedMs.push(at - scheduled);
      started = at;
    }
    if (event.workflowTaskCompletedEventAttributes && started !== undefined) runMs.push(at - started);
  }
  return { queuedMs, runMs };
}

interface VariantFigures {
  provider: ProviderName;
  tool: string;
  transport: string;
  baselineMedianMs: number;
  runMedianMs: number;
  perTurnMedianMs: number;
  perTurnP90Ms: number;
  history: {
    turns: number;
    turnMedianMs: number;
    llmMedianMs: number;
    betweenMedianMs: number;
    toolMedianMs: number;
    workflowTaskQueuedMedianMs: number;
    workflowTaskRunMedianMs: number;
  };
}

async function measureVariant(bench: Bench, variant: Variant, runs: number, turns: number): Promise<VariantFigures> {
  for (let i = 0; i < WARM_UP_RUNS; i++) {
    await startRun(bench, variant, 0);
    await startRun(bench, variant, turns);
  }
  const baselines: number[] = [];
  const full: TimedRun[] = [];
  // Interleaved so that drift in the machine's load touches both samples alike.
  for (let i = 0; i < runs; i++) {
    baselines.push((await startRun(bench, variant, 0)).wallMs);
    full.push(await startRun(bench, variant, turns));
  }
  const baseline = median(baselines);
  const perTurn = full.map((r) => (r.wallMs - baseline) / turns);
  const history = await full[full.length - 1].handle.fetchHistory();
  const legs = turnTimes(history.events ?? []);
  const workflowTasks = workflowTaskTimes(history.events ?? []);
  return {
    provider: variant.provider,
    tool: variant.tool,
    transport: variant.transport,
    baselineMedianMs: round(baseline),
    runMedianMs: round(median(full.map((r) => r.wallMs))),
    perTurnMedianMs: round(median(perTurn)),
    perTurnP90Ms: round(percentile(perTurn, 90)),
    history: {
      turns: legs.length,
      turnMedianMs: round(median(legs.map((l) => l.turnMs))),
      llmMedianMs: round(median(legs.map((l) => l.llmMs))),
      betweenMedianMs: round(median(legs.map((l) => l.betweenMs))),
      toolMedianMs: round(median(legs.map((l) => l.toolMs))),
      workflowTaskQueuedMedianMs: round(median(workflowTasks.queuedMs)),
      workflowTaskRunMedianMs: round(median(workflowTasks.runMs)),
    },
  };
}

async function measureThroughput(bench: Bench): Promise<{ runs: number; turns: number; wallMs: number; runsPerSecond: number }> {
  const variant = variants[0];
  const started = performance.now();
  await Promise.all(Array.from({ length: THROUGHPUT_RUNS }, () => startRun(bench, variant, THROUGHPUT_TURNS)));
  const wallMs = performance.now() - started;
  return {
    runs: THROUGHPUT_RUNS,
    turns: THROUGHPUT_TURNS,
    wallMs: round(wallMs),
    runsPerSecond: round(THROUGHPUT_RUNS / (wallMs / 1000)),
  };
}

function printVariant(figures: VariantFigures, turns: number): void {
  const h = figures.history;
  console.log(`  ${variantLabel(figures)}`);
  console.log(
    `    per turn: median ${ms(figures.perTurnMedianMs)}, p90 ${ms(figures.perTurnP90Ms)}` +
      `  (run of ${turns} turns ${ms(figures.runMedianMs)}, run of 0 turns ${ms(figures.baselineMedianMs)})`,
  );
  console.log(
    `    history, one run (${h.turns} turns): llmGenerate scheduled → mcpCallTool completed median ${ms(h.turnMedianMs)}` +
      ` = LLM activity ${ms(h.llmMedianMs)} + workflow task ${ms(h.betweenMedianMs)} + tool activity ${ms(h.toolMedianMs)}`,
  );
  console.log(
    `    workflow tasks of that run: median ${ms(h.workflowTaskQueuedMedianMs)} scheduled → started (task queue),` +
      ` ${ms(h.workflowTaskRunMedianMs)} started → completed (worker)`,
  );
}

async function main(): Promise<void> {
  const runs = positiveIntFromEnv('BENCH_RUNS', 20);
  const turns = positiveIntFromEnv('BENCH_TURNS', 10);
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const log = (line: string) => process.stderr.write(`${line}\n`);

  const cli = findTemporalCli({ log });
  const devServer = await startDevServer({ cliPath: cli.path, uiPort: false });
  const provider = await startScriptedProvider();
  const fixture = await startFixtureHttpServer();
  const closers: Array<() => Promise<void>> = [() => provider.close(), () => fixture.close(), () => devServer.stop()];
  try {
    const config = configSchema.parse({
      temporal: { address: devServer.address, task_queue: `bench-${process.pid}` },
      anthropic: { api_key: 'bench', base_url: provider.anthropicBaseUrl },
      openai: { api_key: 'bench', base_url: provider.openaiBaseUrl },
      mcp: {
        servers: {
          fixture: { url: fixture.url },
          everything: {
            command: process.execPath,
            args: [require.resolve('@modelcontextprotocol/server-everything/dist/index.js'), 'stdio'],
          },
        },
      },
    });
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../workflows'),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error: (m) => console.error(m), log() {} },
    });
    const nativeConnection = await NativeConnection.connect({ address: devServer.address });
    closers.unshift(() => nativeConnection.close());
    const { worker, pool } = await createWorker({ config, connection: nativeConnection, workflowBundle });
    const running = worker.run();
    closers.unshift(async () => {
      worker.shutdown();
      await running;
      await pool.close();
    });
    const connection = await Connection.connect({ address: devServer.address });
    closers.unshift(() => connection.close());
    const bench: Bench = { config, client: new Client({ connection, namespace: config.temporal.namespace }), provider };

    console.log(`Turn overhead: Temporal dev server (${cli.source}) at ${devServer.address}, in-process worker, provider answers at once`);
    console.log(`Per-turn orchestration overhead: ${turns} tool turns per run, ${runs} runs each, one run at a time`);
    const perVariant: VariantFigures[] = [];
    for (const variant of variants) {
      const figures = await measureVariant(bench, variant, runs, turns);
      printVariant(figures, turns);
      perVariant.push(figures);
    }
    const throughput = await measureThroughput(bench);
    console.log(
      `Throughput: ${throughput.runs} runs of ${throughput.turns} tool turns (${variantLabel(variants[0])}) started at once: ` +
        `${(throughput.wallMs / 1000).toFixed(2)} s, ${throughput.runsPerSecond.toFixed(1)} runs/s`,
    );
    console.log(JSON.stringify({ bench: 'turn-overhead', runs, turns, warmUpRuns: WARM_UP_RUNS, variants: perVariant, throughput }));
  } finally {
    await closeAll(closers);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
