/**
 * Throughput per core: N runs of K tool turns started at once against one worker process, and the
 * same number of Temporal floor runs (K iterations of two no-op activities) against a worker
 * process of their own; runs/s, and CPU time per run and per turn of each worker process and of the
 * dev server.
 *
 *   npm run bench:throughput
 *   BENCH_RUNS=100 BENCH_TURNS=3 BENCH_BATCHES=5 npm run bench:throughput
 *
 * The dev server is started as `npm run dev` starts it (temporal/tuning.ts). The project's worker
 * is `worker/main.ts`, started as an operator would (a YAML config named by MCP_AGENT_CONFIG); the
 * floor's is bench/floor-worker.ts. The scripted provider (OpenAI's wire format) and the MCP
 * fixture (streamable HTTP) run in this process, which is not measured. Batches of the floor, the
 * agent with an ordinary tool, the agent with the tool marked `local: true` and the direct calls
 * (bench/direct-worker.ts, a process of its own) alternate, after a warm-up batch of each; figures
 * are medians over batches. CPU times are read from /proc (Linux). Besides per turn, the worker's
 * CPU beyond the calls is also given per activity: a run of K tool turns makes 2K + 2 activities
 * (its tool listing and its final answer besides the K pairs), the floor's K iterations 2K.
 * BENCH_PROFILE_DIR=<dir> has the agent's worker and the floor's write CPU profiles there (node
 * --cpu-prof, in <dir>/agent and <dir>/floor), one file per thread, to compare what each spends;
 * BENCH_BASELINE=<dir> (a checkout of another commit, with its node_modules) adds that checkout's
 * worker, measured the same way in the same batches, for before/after figures from one run.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startScriptedProvider } from '../src/testing/scripted-model';
import { findTemporalCli } from '../temporal/cli';
import { startFixtureHttpServer } from '../test/fixtures/mcp-fixture-server';
import { closeAll, percentile, positiveIntFromEnv, round } from './common';
import { startDirectChild } from './direct';
import { startWorkerChild } from './worker-child';
import { finishAgentRun, floorRun, startAgentRun, startStack, startWorkers, toolTurns, waitForPollers } from './stack';

const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU time of a process and all its threads, in ms; from /proc/<pid>/stat. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the command name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

interface Batch {
  wallMs: number;
  workerCpuMs: number;
  serverCpuMs: number;
}

type Kind = 'floor' | 'project' | 'local' | 'direct' | 'baseline-project' | 'baseline-local';

async function main(): Promise<void> {
  const runs = positiveIntFromEnv('BENCH_RUNS', 50);
  const turns = positiveIntFromEnv('BENCH_TURNS', 3);
  const batches = positiveIntFromEnv('BENCH_BATCHES', 3);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const benchStarted = performance.now();

  const cli = findTemporalCli({ log });
  const provider = await startScriptedProvider();
  const fixture = await startFixtureHttpServer();
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-throughput-'));
  const closers: Array<() => Promise<void>> = [() => provider.close(), () => fixture.close(), async () => rmSync(dir, { recursive: true, force: true })];
  try {
    const stack = await startStack(
      { cliPath: cli.path, name: 'throughput', provider, fixtureUrl: fixture.url },
      closers,
    );
    const serverPid = stack.server.process.pid!;
    // BENCH_PROFILE_DIR=dir: the agent's and the floor's workers write CPU profiles (node --cpu-prof) there when they stop.
    const profileDir = process.env.BENCH_PROFILE_DIR;
    log('starting the worker processes');
    const { project: projectWorker, floor: floorWorker, configFile } = await startWorkers(stack, dir, closers, profileDir);
    // BENCH_BASELINE=<dir>: a checkout of an earlier commit (with node_modules) whose worker runs the same runs on a task queue of its own, batch by batch with the others.
    const baselineDir = process.env.BENCH_BASELINE ? path.resolve(process.env.BENCH_BASELINE) : undefined;
    const baselineQueue = `${stack.config.temporal.task_queue}-baseline`;
    const baselineWorker = baselineDir
      ? await startWorkerChild(`${baselineDir}/worker/main.ts`, [path.join(baselineDir, 'worker', 'main.ts')], {
          MCP_AGENT_CONFIG: configFile,
          TEMPORAL_ADDRESS: stack.server.address,
          TEMPORAL_TASK_QUEUE: baselineQueue,
        }, dir)
      : undefined;
    if (baselineWorker) {
      closers.unshift(() => baselineWorker.stop());
      await waitForPollers(stack, baselineQueue);
    }
    const directWorker = await startDirectChild({ OPENAI_BASE_URL: provider.openaiBaseUrl, FIXTURE_URL: fixture.url });
    closers.unshift(() => directWorker.stop());
    let directRuns = 0;

    const batchOf = async (kind: Kind): Promise<Batch> => {
      const baseline = kind.startsWith('baseline');
      const worker = kind === 'floor' ? floorWorker : kind === 'direct' ? directWorker : baseline ? baselineWorker! : projectWorker;
      const on = baseline ? { ...stack, config: { ...stack.config, temporal: { ...stack.config.temporal, task_queue: baselineQueue } } } : stack;
      const [workerBefore, serverBefore] = [cpuMs(worker.pid), cpuMs(serverPid)];
      const started = performance.now();
      if (kind === 'direct') {
        const models = Array.from({ length: runs }, () => `direct-${process.pid}-${++directRuns}`);
        for (const model of models) provider.script(model, toolTurns('fixture-add', turns));
        await directWorker.run(models, turns);
      } else await Promise.all(
        Array.from({ length: runs }, async () => {
          if (kind === 'floor') await floorRun(stack, turns);
          else await finishAgentRun(await startAgentRun(on, kind.endsWith('project') ? 'fixture' : 'quick', turns));
        }),
      );
      const wallMs = performance.now() - started;
      return { wallMs, workerCpuMs: cpuMs(worker.pid) - workerBefore, serverCpuMs: cpuMs(serverPid) - serverBefore };
    };

    const kinds: Kind[] = ['floor', 'project', 'local', 'direct', ...(baselineWorker ? (['baseline-project', 'baseline-local'] as const) : [])];
    log('warming up');
    for (const kind of kinds) {
      log(`  warm-up: ${kind}`);
      await batchOf(kind);
    }
    const measured = new Map<Kind, Batch[]>(kinds.map((kind) => [kind, []]));
    for (let b = 0; b < batches; b++) {
      for (let i = 0; i < kinds.length; i++) {
        const kind = kinds[(i + b) % kinds.length];
        measured.get(kind)!.push(await batchOf(kind));
      }
      log(`batch ${b + 1}/${batches} done (${((performance.now() - benchStarted) / 1000).toFixed(0)} s)`);
    }

    const median = (values: number[]) => percentile(values, 50);
    const figures = kinds.map((kind) => {
      const all = measured.get(kind)!;
      const wallMs = median(all.map((b) => b.wallMs));
      const workerCpuPerRun = median(all.map((b) => b.workerCpuMs / runs));
      const serverCpuPerRun = median(all.map((b) => b.serverCpuMs / runs));
      return {
        kind,
        runsPerSecond: round(runs / (wallMs / 1000)),
        wallMs: round(wallMs),
        workerCpuMsPerRun: round(workerCpuPerRun),
        workerCpuMsPerTurn: round(workerCpuPerRun / turns),
        serverCpuMsPerRun: round(serverCpuPerRun),
      };
    });
    const labels: Record<Kind, string> = {
      floor: `floor (${turns} iterations of two no-op activities)`,
      project: `agent (${turns} turns: LLM + tool activity)`,
      local: `agent, local tool (local: true)`,
      direct: `direct calls (SDK + MCP client, no Temporal)`,
      'baseline-project': `baseline's agent (${process.env.BENCH_BASELINE ?? ''})`,
      'baseline-local': `baseline's agent, local tool`,
    };
    console.log(
      `Throughput: ${runs} runs started at once, ${batches} batches each, one worker process each; ` +
        `dev server as npm run dev starts it; Temporal ${cli.source}`,
    );
    console.log(`${''.padEnd(44)} ${'runs/s'.padStart(7)} ${'worker CPU/run'.padStart(15)} ${'/turn'.padStart(9)} ${'server CPU/run'.padStart(15)}`);
    for (const f of figures) {
      console.log(
        `${labels[f.kind].padEnd(44)} ${f.runsPerSecond.toFixed(1).padStart(7)} ${`${f.workerCpuMsPerRun.toFixed(1)} ms`.padStart(15)} ` +
          `${`${f.workerCpuMsPerTurn.toFixed(1)} ms`.padStart(9)} ${`${f.serverCpuMsPerRun.toFixed(1)} ms`.padStart(15)}`,
      );
    }
    const [floor, project, local, direct] = figures;
    const beyondCalls = (f: (typeof figures)[number]) => ((f.workerCpuMsPerTurn - direct.workerCpuMsPerTurn) / floor.workerCpuMsPerTurn).toFixed(2);
    const baselineProject = figures.find((f) => f.kind === 'baseline-project');
    if (baselineProject) {
      console.log(
        `agent worker CPU per run, this checkout / baseline: ${(project.workerCpuMsPerRun / baselineProject.workerCpuMsPerRun).toFixed(2)}x; ` +
          `runs/s ${(project.runsPerSecond / baselineProject.runsPerSecond).toFixed(2)}x`,
      );
    }
    console.log(
      `worker CPU per turn, agent / floor: ${(project.workerCpuMsPerTurn / floor.workerCpuMsPerTurn).toFixed(2)}x ` +
        `(local tool: ${(local.workerCpuMsPerTurn / floor.workerCpuMsPerTurn).toFixed(2)}x); ` +
        `beyond the calls, (agent − direct) / floor: ${beyondCalls(project)}x (local tool: ${beyondCalls(local)}x); ` +
        `${((performance.now() - benchStarted) / 1000).toFixed(0)} s in all`,
    );
    // An agent run of K tool turns makes K + 2 activities more than K pairs: its tool listing and its final answer.
    const agentActivities = 2 * turns + 2;
    const floorActivities = 2 * turns;
    const perActivity = (f: (typeof figures)[number]) =>
      (((f.workerCpuMsPerRun - direct.workerCpuMsPerRun) / agentActivities) / (floor.workerCpuMsPerRun / floorActivities)).toFixed(2);
    console.log(
      `per activity (the agent's ${agentActivities}: a tool listing, ${turns + 1} model calls, ${turns} tool calls; the floor's ${floorActivities}), ` +
        `(agent − direct) / floor: ${perActivity(project)}x (local tool: ${perActivity(local)}x)`,
    );
    console.log(JSON.stringify({ bench: 'throughput', runs, turns, batches, figures }));
  } finally {
    await closeAll(closers);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
