/**
 * Latency of the HTTP API under load: how long `POST /workflows/:name/run` takes to answer 202
 * while runs pile up, and how soon `GET /runs/:runId/events` delivers a new run's first event.
 *
 *   npm run bench:api
 *   BENCH_REQUESTS=2000 BENCH_CONNECTIONS=20 npm run bench:api
 *
 * Self-contained like the test suite: a headless Temporal dev server on free ports, the scripted
 * provider, an in-process worker and the API on a free port, all in this one process (so the
 * worker's work on the runs competes with the API for the event loop, as it would not with a
 * separate worker). Each run is one LLM call that answers at once.
 *
 * Figures:
 *  - start: autocannon sends BENCH_REQUESTS (500) run requests over BENCH_CONNECTIONS (10)
 *    connections, each with its own `id`; p50/p90/p99 latency of the 202 replies, and requests per
 *    second over the whole batch. Every run must then complete.
 *  - first event: BENCH_SSE_SAMPLES (50) runs one at a time; the time from sending the POST, and
 *    from opening the event stream right after its 202, to the first SSE message.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import autocannon from 'autocannon';
import { configSchema, type Config } from '../src/config/schema';
import { findTemporalCli } from '../temporal/cli';
import { startDevServer } from '../temporal/dev-server';
import { startScriptedProvider } from '../src/testing/scripted-model';
import { closeAll, ms, percentile, positiveIntFromEnv, round, startWorkerAndApi } from './common';

const WORKFLOW = 'bench';
const MODEL = 'bench-api-latency';
const INPUT = 'What is 2 + 3?';
const WARM_UP_REQUESTS = 20;
const RUNS_DONE_TIMEOUT_MS = 180_000;

function benchConfig(address: string, openaiBaseUrl: string): Config {
  return configSchema.parse({
    temporal: { address, task_queue: `bench-api-${process.pid}` },
    default_provider: 'openai',
    openai: { api_key: 'bench', base_url: openaiBaseUrl },
    agents: { answerer: { instruction: 'Answer at once.', model: MODEL } },
    workflows: { [WORKFLOW]: { type: 'agent', agent: 'answerer', description: 'One LLM call' } },
  });
}

async function postRun(api: string, id: string): Promise<void> {
  const reply = await fetch(`${api}/workflows/${WORKFLOW}/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ input: INPUT, id }),
  });
  if (reply.status !== 202) throw new Error(`POST /workflows/${WORKFLOW}/run answered ${reply.status}: ${await reply.text()}`);
}

interface StartFigures {
  requests: number;
  connections: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  requestsPerSecond: number;
}

async function measureStarts(api: string, requests: number, connections: number): Promise<StartFigures> {
  const result = await autocannon({
    url: `${api}/workflows/${WORKFLOW}/run`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ input: INPUT, id: 'bench-api-[<id>]' }),
    idReplacement: true,
    connections,
    amount: requests,
  });
  if (result['2xx'] !== requests || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `not every run request was accepted: ${JSON.stringify({ '2xx': result['2xx'], non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts, statusCodes: result.statusCodeStats })}`,
    );
  }
  return {
    requests,
    connections,
    p50Ms: result.latency.p50,
    p90Ms: result.latency.p90,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    requestsPerSecond: round(result.requests.total / result.duration),
  };
}

/** Waits until `expected` runs of the bench's task queue have completed; a failed run stops the bench. */
async function waitForRuns(client: Client, taskQueue: string, expected: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const failed = await client.workflow.count(`TaskQueue = '${taskQueue}' AND ExecutionStatus != 'Running' AND ExecutionStatus != 'Completed'`);
    if (failed.count > 0) throw new Error(`${failed.count} bench runs did not complete`);
    const completed = await client.workflow.count(`TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Completed'`);
    if (completed.count >= expected) return performance.now() - started;
    if (performance.now() - started > RUNS_DONE_TIMEOUT_MS) throw new Error(`only ${completed.count} of ${expected} runs completed in time`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface FirstEvent {
  /** The event type of the first message. */
  event: string;
  fromPostMs: number;
  fromOpenMs: number;
}

type EventsProbe = { available: true; first: FirstEvent } | { available: false; reason: string };

/** Starts a run, opens its event stream once the 202 is in, and reads up to the first message. */
async function firstEvent(api: string, id: string): Promise<EventsProbe> {
  const posted = performance.now();
  await postRun(api, id);
  const opened = performance.now();
  const abort = new AbortController();
  const reply = await fetch(`${api}/runs/${encodeURIComponent(id)}/events`, { signal: abort.signal });
  try {
    if (reply.status !== 200 || !reply.headers.get('content-type')?.startsWith('text/event-stream') || !reply.body) {
      return { available: false, reason: `GET /runs/:runId/events answered ${reply.status} ${await reply.text()}` };
    }
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of reply.body) {
      buffered += decoder.decode(chunk, { stream: true });
      // A message ends with a blank line; comment-only blocks (`: ping`) are not messages.
      for (let end = buffered.indexOf('\n\n'); end !== -1; end = buffered.indexOf('\n\n')) {
        const block = buffered.slice(0, end).split('\n');
        buffered = buffered.slice(end + 2);
        if (!block.some((line) => line.startsWith('data:'))) continue;
        const arrived = performance.now();
        const event = block.find((line) => line.startsWith('event:'))?.slice('event:'.length).trim() ?? 'message';
        return { available: true, first: { event, fromPostMs: arrived - posted, fromOpenMs: arrived - opened } };
      }
    }
    throw new Error(`the event stream of ${id} ended without a message`);
  } finally {
    abort.abort();
  }
}

interface EventFigures {
  samples: number;
  firstEventTypes: string[];
  fromPost: { p50Ms: number; p99Ms: number; maxMs: number };
  fromOpen: { p50Ms: number; p99Ms: number; maxMs: number };
}

async function measureFirstEvents(api: string, samples: number): Promise<EventFigures | { skipped: string }> {
  const firsts: FirstEvent[] = [];
  for (let i = 1; i <= samples; i++) {
    const probe = await firstEvent(api, `bench-api-events-${process.pid}-${i}`);
    if (!probe.available) return { skipped: probe.reason };
    firsts.push(probe.first);
  }
  const figures = (values: number[]) => ({
    p50Ms: round(percentile(values, 50)),
    p99Ms: round(percentile(values, 99)),
    maxMs: round(Math.max(...values)),
  });
  return {
    samples,
    firstEventTypes: [...new Set(firsts.map((f) => f.event))],
    fromPost: figures(firsts.map((f) => f.fromPostMs)),
    fromOpen: figures(firsts.map((f) => f.fromOpenMs)),
  };
}

async function main(): Promise<void> {
  const requests = positiveIntFromEnv('BENCH_REQUESTS', 500);
  const connections = positiveIntFromEnv('BENCH_CONNECTIONS', 10);
  const sseSamples = positiveIntFromEnv('BENCH_SSE_SAMPLES', 50);
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const log = (line: string) => process.stderr.write(`${line}\n`);

  const cli = findTemporalCli({ log });
  const devServer = await startDevServer({ cliPath: cli.path, uiPort: false });
  const provider = await startScriptedProvider();
  const closers: Array<() => Promise<void>> = [() => provider.close(), () => devServer.stop()];
  try {
    const config = benchConfig(devServer.address, provider.openaiBaseUrl);
    const totalRuns = WARM_UP_REQUESTS + requests + sseSamples;
    provider.script(MODEL, Array.from({ length: totalRuns }, () => ({ text: '5' })));

    const { api, temporal } = await startWorkerAndApi(config, closers);

    console.log(`API latency: Temporal dev server (${cli.source}) at ${devServer.address}, in-process worker, API at ${api}, provider answers at once`);
    for (let i = 1; i <= WARM_UP_REQUESTS; i++) await postRun(api, `bench-api-warm-up-${process.pid}-${i}`);

    const starts = await measureStarts(api, requests, connections);
    console.log(
      `POST /workflows/${WORKFLOW}/run, ${starts.requests} requests over ${starts.connections} connections, each with its own id:` +
        ` p50 ${ms(starts.p50Ms)}, p90 ${ms(starts.p90Ms)}, p99 ${ms(starts.p99Ms)}, max ${ms(starts.maxMs)}; ${starts.requestsPerSecond.toFixed(1)} req/s`,
    );
    const drainMs = await waitForRuns(temporal.client, config.temporal.task_queue, WARM_UP_REQUESTS + requests);
    console.log(`  all ${WARM_UP_REQUESTS + requests} runs completed, the last ${(drainMs / 1000).toFixed(1)} s after the batch`);

    const events = await measureFirstEvents(api, sseSamples);
    if ('skipped' in events) {
      console.log(`First SSE event: skipped, the API has no event stream yet (${events.skipped})`);
    } else {
      console.log(
        `First SSE event (${events.firstEventTypes.join(', ')}), ${events.samples} runs one at a time:` +
          ` from the POST p50 ${ms(events.fromPost.p50Ms)}, p99 ${ms(events.fromPost.p99Ms)};` +
          ` from opening the stream p50 ${ms(events.fromOpen.p50Ms)}, p99 ${ms(events.fromOpen.p99Ms)}`,
      );
    }
    console.log(JSON.stringify({ bench: 'api-latency', warmUpRequests: WARM_UP_REQUESTS, starts, drainMs: round(drainMs), events }));
  } finally {
    await closeAll(closers);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
