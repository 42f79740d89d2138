/**
 * The workflow side of a run alone: CPU to replay an agent run's recorded history (K tool turns)
 * against the floor's (K iterations of two no-op activities), in one process, with no I/O and no
 * other process sharing the cores. What a worker's workflow thread spends on a run is this and
 * little else (the activities and the SDK's main-thread work are `npm run bench:throughput`'s),
 * and it varies far less from run to run than a throughput batch does.
 *
 *   npm run bench:replay
 *   BENCH_TURNS=10 BENCH_REPLAYS=300 BENCH_ROUNDS=4 npm run bench:replay
 *
 * It records one run of each on a dev server started as `npm run dev` starts it, then replays each
 * history BENCH_REPLAYS times per round (a worker per round, as `mcp-agent replay` does),
 * alternating, and prints the median CPU per run and per turn of the rounds after the first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { startScriptedProvider } from '../src/testing/scripted-model';
import { openStorage } from '../src/storage/open';
import { findTemporalCli } from '../temporal/cli';
import { startFixtureHttpServer } from '../test/fixtures/mcp-fixture-server';
import { bundleWorkflows } from '../worker/create';
import { closeAll, percentile, positiveIntFromEnv, round } from './common';
import { finishAgentRun, floorRun, startAgentRun, startStack, startWorkers } from './stack';

type History = temporal.api.history.v1.IHistory;

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

async function main(): Promise<void> {
  const turns = positiveIntFromEnv('BENCH_TURNS', 3);
  const replays = positiveIntFromEnv('BENCH_REPLAYS', 200);
  const rounds = positiveIntFromEnv('BENCH_ROUNDS', 4);
  const log = (line: string) => process.stderr.write(`${line}\n`);

  const cli = findTemporalCli({ log });
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-replay-'));
  const provider = await startScriptedProvider();
  const fixture = await startFixtureHttpServer();
  const closers: Array<() => Promise<void>> = [() => provider.close(), () => fixture.close()];
  let recorded: { agent: History; floor: History };
  try {
    log('recording a run of each');
    const stack = await startStack({ cliPath: cli.path, name: 'replay', provider, fixtureUrl: fixture.url }, closers);
    await startWorkers(stack, dir, closers);
    const agent = await startAgentRun(stack, 'fixture', turns);
    await finishAgentRun(agent);
    const floor = await floorRun(stack, turns);
    recorded = { agent: await agent.handle.fetchHistory(), floor: await floor.handle.fetchHistory() };
  } finally {
    await closeAll(closers);
  }

  log('bundling both');
  // Each round's replay worker would log its state changes, several lines each, between the figures.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const storage = openStorage({ driver: 'file', path: path.join(dir, 'storage'), inline_bytes: 1024, payload_threshold_bytes: 64 * 1024, cache_mb: 8 });
  const bundles: Record<'agent' | 'floor', WorkflowBundle> = {
    agent: await bundleWorkflows(),
    floor: await bundleWorkflowCode({ workflowsPath: require.resolve('./dispatch-workflows'), logger: quiet }),
  };
  const cpuPerRun: Record<'agent' | 'floor', number[]> = { agent: [], floor: [] };
  for (let r = 0; r < rounds; r++) {
    for (const kind of ['agent', 'floor'] as const) {
      const histories = (async function* () {
        for (let i = 0; i < replays; i++) yield { workflowId: `replay-${kind}-${r}-${i}`, history: recorded[kind] };
      })();
      const before = process.cpuUsage();
      for await (const result of Worker.runReplayHistories({ workflowBundle: bundles[kind], dataConverter: storage.dataConverter }, histories)) {
        if (result.error) throw new Error(`the ${kind} run's history did not replay: ${String(result.error)}`);
      }
      const cpu = process.cpuUsage(before);
      // The first round warms the bundles and V8 up.
      if (r > 0) cpuPerRun[kind].push((cpu.user + cpu.system) / 1000 / replays);
    }
    log(`round ${r + 1}/${rounds} done`);
  }
  storage.close();
  rmSync(dir, { recursive: true, force: true });

  const agent = percentile(cpuPerRun.agent, 50);
  const floor = percentile(cpuPerRun.floor, 50);
  console.log(`Replay CPU, the workflow side alone: ${replays} replays a round, ${rounds - 1} rounds after a warm-up; runs of ${turns} turns`);
  console.log(`  floor (two no-op activities a turn)  ${floor.toFixed(2)} ms a run, ${(floor / turns).toFixed(2)} ms a turn`);
  console.log(`  agent (LLM + tool activity a turn)   ${agent.toFixed(2)} ms a run, ${(agent / turns).toFixed(2)} ms a turn`);
  console.log(`  agent / floor: ${(agent / floor).toFixed(2)}x`);
  console.log(JSON.stringify({ bench: 'replay-cpu', turns, replays, rounds, agentMsPerRun: round(agent), floorMsPerRun: round(floor) }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
