/**
 * Which Temporal dev-server settings remove the server's dispatch delay: Temporal's floor for an
 * agent turn (a workflow looping two no-op activities) under each candidate setting, all measured
 * in one process and one run, against a dev server with Temporal's defaults started beside them.
 *
 *   npx tsx bench/temporal-dispatch.ts
 *   BENCH_ROUNDS=10 BENCH_ITERATIONS=20 npx tsx bench/temporal-dispatch.ts
 *   BENCH_CONFIGS=default,transfer npx tsx bench/temporal-dispatch.ts
 *   BENCH_CONCURRENCY=8 BENCH_CONFIGS=transfer,transfer-100 npx tsx bench/temporal-dispatch.ts
 *
 * Every configuration gets its own headless dev server (started one after the other, then all
 * kept up) and its own in-process worker. The runs are interleaved: each round runs one workflow
 * of BENCH_ITERATIONS iterations (BENCH_CONCURRENCY of them at once) on every server, in an order
 * that rotates from round to round, so that load from anything else on the machine falls on all
 * configurations alike. An iteration's time is the gap between the workflow clock (the server's
 * WorkflowTaskStarted time) at its start and at the next one's; a warm-up run per server is left
 * out. Figures are per iteration (two activities, as in one agent turn): p50 and p90 over all
 * iterations and over the steady state (see BURST_ITERATIONS), each also as a fraction of the
 * default configuration's in the same run. With the defaults it takes about 2 min 15 s on 2
 * cores. temporal/TUNING.md holds the figures that chose temporal/tuning.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { findTemporalCli } from '../temporal/cli';
import { startDevServer, type DevServer } from '../temporal/dev-server';
import { dispatchDynamicConfig, fileSqlitePragmas, type DynamicConfigValue } from '../temporal/tuning';
import { closeAll, percentile, positiveIntFromEnv, round } from './common';
import type { DispatchActivities, dispatchLoop } from './dispatch-workflows';

const TASK_QUEUE = 'dispatch-bench';
const WARM_UP_ITERATIONS = 3;
/**
 * The history service's queue readers take tokens from a bucket that holds one second's worth
 * (20 reads by default) and refills at that rate, so a run's first 10-20 iterations (two reads
 * each) go at full speed whatever the setting: the limit shows once work has gone on back to back
 * for about a second, as it does under any steady load.
 * "steady" figures leave out the first BURST_ITERATIONS iterations of each run.
 */
const BURST_ITERATIONS = 20;

interface Configuration {
  name: string;
  what: string;
  /** SQLite file (in a temporary folder) instead of memory. */
  dbFile?: boolean;
  dynamicConfig: Record<string, DynamicConfigValue>;
  sqlitePragmas?: Record<string, string>;
}

const transfer = { 'history.transferProcessorMaxPollRPS': 1000 };

const configurations: Configuration[] = [
  { name: 'default', what: "in memory, Temporal's defaults", dynamicConfig: {} },
  { name: 'transfer', what: 'history.transferProcessorMaxPollRPS=1000', dynamicConfig: transfer },
  { name: 'transfer-100', what: 'history.transferProcessorMaxPollRPS=100', dynamicConfig: { 'history.transferProcessorMaxPollRPS': 100 } },
  { name: 'timer', what: 'history.timerProcessorMaxPollRPS=1000', dynamicConfig: { 'history.timerProcessorMaxPollRPS': 1000 } },
  { name: 'visibility', what: 'history.visibilityProcessorMaxPollRPS=1000', dynamicConfig: { 'history.visibilityProcessorMaxPollRPS': 1000 } },
  {
    name: 'matching-1',
    what: 'matching.numTaskqueue{Read,Write}Partitions=1',
    dynamicConfig: { 'matching.numTaskqueueReadPartitions': 1, 'matching.numTaskqueueWritePartitions': 1 },
  },
  { name: 'shipped', what: 'temporal/tuning.ts dispatchDynamicConfig (in memory: the test suite)', dynamicConfig: { ...dispatchDynamicConfig } },
  { name: 'file', what: "db file, Temporal's and SQLite's defaults", dbFile: true, dynamicConfig: {}, sqlitePragmas: {} },
  { name: 'file+transfer', what: 'db file, transfer=1000, no pragmas', dbFile: true, dynamicConfig: transfer, sqlitePragmas: {} },
  { name: 'file+transfer+wal', what: 'db file, transfer=1000, journal_mode=wal', dbFile: true, dynamicConfig: transfer, sqlitePragmas: { journal_mode: 'wal' } },
  {
    name: 'file+shipped',
    what: 'db file, temporal/tuning.ts dynamic config and pragmas (npm run dev)',
    dbFile: true,
    dynamicConfig: { ...dispatchDynamicConfig },
    sqlitePragmas: { ...fileSqlitePragmas },
  },
];

interface Running {
  configuration: Configuration;
  server: DevServer;
  client: Client;
  /** Every measured iteration. */
  iterationsMs: number[];
  /** Iterations past the first BURST_ITERATIONS of their run. */
  steadyMs: number[];
  wallPerIterationMs: number[];
}

let runCounter = 0;

async function runLoop(running: Running, iterations: number, concurrency: number, record: boolean): Promise<void> {
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const started = performance.now();
      const stamps = await running.client.workflow.execute<typeof dispatchLoop>('dispatchLoop', {
        taskQueue: TASK_QUEUE,
        workflowId: `dispatch-${process.pid}-${++runCounter}`,
        args: [iterations],
      });
      const wallMs = performance.now() - started;
      if (!record) return;
      for (let i = 1; i < stamps.length; i++) {
        running.iterationsMs.push(stamps[i] - stamps[i - 1]);
        if (i > BURST_ITERATIONS) running.steadyMs.push(stamps[i] - stamps[i - 1]);
      }
      running.wallPerIterationMs.push(wallMs / iterations);
    }),
  );
}

async function start(configuration: Configuration, cliPath: string, workflowBundle: { code: string }, dbDir: string, closers: Array<() => Promise<void>>): Promise<Running> {
  const server = await startDevServer({
    cliPath,
    uiPort: false,
    dbFile: configuration.dbFile ? path.join(dbDir, `${configuration.name}.db`) : undefined,
    dynamicConfig: configuration.dynamicConfig,
    sqlitePragmas: configuration.sqlitePragmas,
  });
  closers.unshift(() => server.stop());
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  closers.unshift(() => nativeConnection.close());
  const activities: DispatchActivities = { noop: async () => undefined };
  const worker = await Worker.create({ connection: nativeConnection, taskQueue: TASK_QUEUE, workflowBundle, activities });
  const workerRun = worker.run();
  closers.unshift(async () => {
    worker.shutdown();
    await workerRun;
  });
  const connection = await Connection.connect({ address: server.address });
  closers.unshift(() => connection.close());
  return { configuration, server, client: new Client({ connection }), iterationsMs: [], steadyMs: [], wallPerIterationMs: [] };
}

const pad = (text: string, width: number) => text.padEnd(width);
const num = (value: number) => value.toFixed(1);
/** Four right-aligned columns, 30 characters in all. */
const cols = (...cells: string[]) => cells.map((cell) => cell.padStart(7)).join(' ').padStart(30);

async function main(): Promise<void> {
  const rounds = positiveIntFromEnv('BENCH_ROUNDS', 6);
  const iterations = positiveIntFromEnv('BENCH_ITERATIONS', 30);
  const concurrency = positiveIntFromEnv('BENCH_CONCURRENCY', 1);
  if (iterations <= BURST_ITERATIONS) throw new Error(`BENCH_ITERATIONS must be over ${BURST_ITERATIONS}, so that steady figures exist`);
  const only = process.env.BENCH_CONFIGS?.split(',').map((name) => name.trim()).filter(Boolean);
  const chosen = only ? configurations.filter((c) => c.name === 'default' || only.includes(c.name)) : configurations;
  if (only) {
    const unknown = only.filter((name) => !configurations.some((c) => c.name === name));
    if (unknown.length > 0) throw new Error(`BENCH_CONFIGS: unknown ${unknown.join(', ')}; known: ${configurations.map((c) => c.name).join(', ')}`);
  }
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const benchStarted = performance.now();

  const cli = findTemporalCli({ log });
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./dispatch-workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: (m) => console.error(m), log() {} },
  });
  const dbDir = mkdtempSync(path.join(tmpdir(), 'temporal-dispatch-bench-'));
  const closers: Array<() => Promise<void>> = [async () => rmSync(dbDir, { recursive: true, force: true })];
  try {
    const servers: Running[] = [];
    for (const configuration of chosen) {
      log(`starting a dev server: ${configuration.name} (${configuration.what})`);
      servers.push(await start(configuration, cli.path, workflowBundle, dbDir, closers));
    }
    for (const running of servers) await runLoop(running, WARM_UP_ITERATIONS, concurrency, false);
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < servers.length; i++) await runLoop(servers[(i + r) % servers.length], iterations, concurrency, true);
      log(`round ${r + 1}/${rounds} done (${((performance.now() - benchStarted) / 1000).toFixed(0)} s)`);
    }

    const stats = (values: readonly number[]) => ({ p50: percentile(values, 50), p90: percentile(values, 90) });
    const base = servers.find((s) => s.configuration.name === 'default')!;
    const baseAll = stats(base.iterationsMs);
    const baseSteady = stats(base.steadyMs);
    const ratio = (value: number, of: number) => (value / of).toFixed(2);
    console.log(
      `Temporal dispatch: ${cli.path} (${cli.source}); two no-op activities per iteration, ${rounds} interleaved rounds of ` +
        `${concurrency === 1 ? 'one run' : `${concurrency} concurrent runs`} of ${iterations} iterations per configuration, in-process worker per server`,
    );
    console.log(
      `${pad('', 18)}  ${'all iterations'.padEnd(30)}  ${`steady (iteration > ${BURST_ITERATIONS})`.padEnd(30)}`,
    );
    console.log(
      `${pad('configuration', 18)}  ${cols('p50 ms', 'p90 ms', 'p50 ×', 'p90 ×')}  ${cols('p50 ms', 'p90 ms', 'p50 ×', 'p90 ×')}  wall/it  settings`,
    );
    const figures = servers.map((s) => {
      const all = stats(s.iterationsMs);
      const steady = stats(s.steadyMs);
      const wall = percentile(s.wallPerIterationMs, 50);
      console.log(
        `${pad(s.configuration.name, 18)}  ${cols(num(all.p50), num(all.p90), ratio(all.p50, baseAll.p50), ratio(all.p90, baseAll.p90))}` +
          `  ${cols(num(steady.p50), num(steady.p90), ratio(steady.p50, baseSteady.p50), ratio(steady.p90, baseSteady.p90))}` +
          `  ${num(wall).padStart(7)}  ${s.configuration.what}`,
      );
      return {
        name: s.configuration.name,
        dynamicConfig: s.configuration.dynamicConfig,
        sqlitePragmas: s.configuration.sqlitePragmas,
        dbFile: Boolean(s.configuration.dbFile),
        samples: s.iterationsMs.length,
        p50Ms: all.p50,
        p90Ms: all.p90,
        p50VsDefault: round(all.p50 / baseAll.p50),
        p90VsDefault: round(all.p90 / baseAll.p90),
        steadyP50Ms: steady.p50,
        steadyP90Ms: steady.p90,
        steadyP50VsDefault: round(steady.p50 / baseSteady.p50),
        steadyP90VsDefault: round(steady.p90 / baseSteady.p90),
        wallPerIterationMedianMs: round(wall),
      };
    });
    console.log(
      `(×: p50 and p90 as a fraction of the default configuration's in this run; wall/it: median over runs of ` +
        `a run's client wall time / iterations; ${((performance.now() - benchStarted) / 1000).toFixed(0)} s in all)`,
    );
    console.log(JSON.stringify({ bench: 'temporal-dispatch', rounds, iterations, concurrency, burstIterations: BURST_ITERATIONS, configurations: figures }));
  } finally {
    await closeAll(closers);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
