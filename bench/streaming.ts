/**
 * First-delta latency of token streaming: the time from the provider writing the first byte of a
 * streamed reply to an SSE client of `GET /runs/:runId/events` reading the first `llm_delta`.
 *
 *   npm run bench:streaming
 *   BENCH_SAMPLES=200 npm run bench:streaming
 *
 * Self-contained like the test suite: a headless Temporal dev server and a real nats-server process
 * on free ports, the scripted provider, an in-process worker and the API (on a free port) in this
 * one process, so one clock times both ends. The path measured is the one deployed: provider SSE →
 * SDK stream in the LLM activity → NATS publish → nats-server → the API's subscription → the run's
 * SSE stream → the client. Each sample is one agent run whose single reply streams 6 chunks 20 ms
 * apart, held until the client's stream is open (a client that is not listening gets no deltas);
 * samples alternate between the two wire formats.
 *
 * Figures: first-delta latency p50/p90/p99/max per wire format and over all samples, and how much
 * earlier the first delta reached the client than the call's `llm_finished` event.
 */
import { performance } from 'node:perf_hooks';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import pino from 'pino';
import type { AddressInfo } from 'node:net';
import { connectClient } from '../client/connection';
import { buildApp } from '../src/api/app';
import { configSchema, type Config } from '../src/config/schema';
import { natsDeltaFeed } from '../src/streaming/nats';
import { findNatsServer, installNatsServer, startNatsServerProcess } from '../src/streaming/nats-server';
import { startScriptedProvider, type ScriptedProvider } from '../src/testing/scripted-model';
import { findTemporalCli } from '../temporal/cli';
import { startDevServer } from '../temporal/dev-server';
import { bundleWorkflows, createWorker } from '../worker/create';
import { closeAll, ms, percentile, positiveIntFromEnv, round } from './common';

const WARM_UP = 4;
const TEXT = 'Streaming, one piece at a time.';

function benchConfig(address: string, provider: ScriptedProvider, natsUrl: string): Config {
  return configSchema.parse({
    temporal: { address, task_queue: `bench-streaming-${process.pid}` },
    openai: { api_key: 'bench', base_url: provider.openaiBaseUrl },
    anthropic: { api_key: 'bench', base_url: provider.anthropicBaseUrl },
    streaming: { nats_url: natsUrl },
  });
}

interface Sample {
  provider: 'openai' | 'anthropic';
  /** Provider's first byte → client's first llm_delta. */
  firstDeltaMs: number;
  /** Client's first llm_delta → client's llm_finished. */
  leadMs: number;
}

/** Reads SSE messages off a fetch body, yielding `{event, data}` with the time each was read. */
async function* sseMessages(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event: string; data: string; at: number }> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const at = performance.timeOrigin + performance.now();
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length > 0) yield { event, data: data.join('\n'), at };
    }
  }
}

async function sample(api: string, provider: ScriptedProvider, wire: 'openai' | 'anthropic', n: number): Promise<Sample> {
  const model = `bench-stream-${wire}-${process.pid}-${n}`;
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  provider.script(model, [{ text: TEXT, chunkChars: Math.ceil(TEXT.length / 6), chunkDelayMs: 20, holdUntil: held }]);
  const started = await fetch(`${api}/workflows/agent/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ input: 'Go.', spec: { type: 'agent', agent: { instruction: 'Answer.', provider: wire, model } } }),
  });
  if (started.status !== 202) throw new Error(`run start answered ${started.status}: ${await started.text()}`);
  const { runId } = (await started.json()) as { runId: string };
  const abort = new AbortController();
  const events = await fetch(`${api}/runs/${encodeURIComponent(runId)}/events`, { signal: abort.signal });
  let firstDeltaAt: number | undefined;
  let finishedAt: number | undefined;
  try {
    for await (const message of sseMessages(events.body!)) {
      if (message.event === 'run_started') release();
      if (message.event === 'llm_delta') firstDeltaAt ??= message.at;
      if (message.event === 'llm_finished') finishedAt = message.at;
      if (message.event === 'completed' || message.event === 'failed') break;
    }
  } finally {
    abort.abort();
  }
  const firstByteAt = provider.requests(model)[0]?.firstChunkAt;
  if (firstDeltaAt === undefined || finishedAt === undefined || firstByteAt === undefined) {
    throw new Error(`run ${runId}: no delta (${firstDeltaAt}), llm_finished (${finishedAt}) or provider first byte (${firstByteAt})`);
  }
  return { provider: wire, firstDeltaMs: firstDeltaAt - firstByteAt, leadMs: finishedAt - firstDeltaAt };
}

function figures(values: number[]) {
  return {
    p50Ms: round(percentile(values, 50)),
    p90Ms: round(percentile(values, 90)),
    p99Ms: round(percentile(values, 99)),
    maxMs: round(Math.max(...values)),
  };
}

async function main(): Promise<void> {
  const samples = positiveIntFromEnv('BENCH_SAMPLES', 100);
  const log = (line: string) => console.error(`bench: ${line}`);
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const cli = findTemporalCli({ log });
  const natsBinary = findNatsServer() ?? installNatsServer(log);
  if (!natsBinary) throw new Error('no nats-server: see README, "Streaming"');
  const [devServer, nats, provider] = await Promise.all([
    startDevServer({ cliPath: cli.path, uiPort: false }),
    startNatsServerProcess(natsBinary.path),
    startScriptedProvider(),
  ]);
  const closers: Array<() => Promise<void>> = [() => provider.close(), () => nats.stop(), () => devServer.stop()];
  try {
    const config = benchConfig(devServer.address, provider, nats.url);
    const nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
    closers.unshift(() => nativeConnection.close());
    const logger = pino({ level: 'silent' });
    const { worker, pool, storage, deltas } = await createWorker({
      config,
      connection: nativeConnection,
      workflowBundle: await bundleWorkflows(logger),
    });
    const running = worker.run();
    closers.unshift(async () => {
      worker.shutdown();
      await running;
      await pool.close();
      await deltas?.close();
      storage.close();
    });
    const temporal = connectClient(config);
    closers.unshift(async () => {
      await temporal.connection.close();
      temporal.storage.close();
    });
    const feed = natsDeltaFeed({ natsUrl: nats.url, subjectPrefix: config.streaming.subject_prefix, namespace: config.temporal.namespace, name: 'api' });
    closers.unshift(() => feed.close());
    const app = await buildApp({ config, client: temporal.client, storage: temporal.storage, uiUrl: 'http://localhost:8233', logger, deltas: feed });
    await app.listen({ host: '127.0.0.1', port: 0 });
    closers.unshift(() => app.close());
    const api = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    console.log(`Streaming: Temporal dev server (${cli.source}), nats-server (${natsBinary.source}) at ${nats.url}, in-process worker and API at ${api}`);
    for (let i = 0; i < WARM_UP; i++) await sample(api, provider, i % 2 === 0 ? 'openai' : 'anthropic', -1 - i);
    const started = performance.now();
    const results: Sample[] = [];
    for (let i = 0; i < samples; i++) results.push(await sample(api, provider, i % 2 === 0 ? 'openai' : 'anthropic', i));
    const seconds = (performance.now() - started) / 1000;

    const rows = [
      ['all', results],
      ['openai', results.filter((r) => r.provider === 'openai')],
      ['anthropic', results.filter((r) => r.provider === 'anthropic')],
    ] as const;
    console.log(`\n${samples} runs in ${seconds.toFixed(1)} s; first delta = provider's first byte → SSE client's first llm_delta`);
    for (const [name, rs] of rows) {
      const f = figures(rs.map((r) => r.firstDeltaMs));
      console.log(`  ${name.padEnd(10)} n=${String(rs.length).padEnd(4)} p50 ${ms(f.p50Ms)}  p90 ${ms(f.p90Ms)}  p99 ${ms(f.p99Ms)}  max ${ms(f.maxMs)}`);
    }
    const lead = figures(results.map((r) => r.leadMs));
    console.log(`  first delta ahead of llm_finished: p50 ${ms(lead.p50Ms)}, p99 ${ms(lead.p99Ms)} (the stream itself lasts ~100 ms)`);
    console.log(JSON.stringify({ samples, firstDelta: Object.fromEntries(rows.map(([name, rs]) => [name, figures(rs.map((r) => r.firstDeltaMs))])), lead }));
  } finally {
    await closeAll(closers);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
