/**
 * What a long conversation costs Temporal and the store: conversations of N turns driven through
 * the HTTP API, each turn a message, a tool call returning 4 KB, and an answer.
 *
 *   npm run bench:history
 *   BENCH_TURNS=100,500,1000 npm run bench:history
 *
 * Self-contained like the test suite: a headless Temporal dev server on free ports, the scripted
 * provider, the MCP fixture over streamable HTTP, an in-process worker and the API, with the file
 * store in a fresh folder. For each N it prints:
 *  - the transcript's bytes (UTF-8 of every message's text, read back through GET /runs/:id/messages),
 *    the floor any design must store once;
 *  - Temporal history bytes summed over the continue-as-new chain (the server's own count), and
 *    the executions in it;
 *  - bytes the run added to the store;
 *  - their ratios to the transcript (targets: history at most 3x, store at most 1.5x), the history
 *    bytes per turn (flat from N to N means linear growth), and what sending the whole conversation
 *    with every LLM call would have put into history instead.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { executionSizes } from '../client/executions';
import { configSchema, type Config } from '../src/config/schema';
import { findTemporalCli } from '../temporal/cli';
import { startDevServer } from '../temporal/dev-server';
import { startFixtureHttpServer } from '../test/fixtures/mcp-fixture-server';
import { startScriptedProvider, type ScriptedProvider } from '../src/testing/scripted-model';
import { closeAll, round, startWorkerAndApi } from './common';

const TOOL_RESULT_BYTES = 4096;
/**
 * Each turn's tool result is its own text (a 16-character unit naming the conversation and the
 * turn, repeated), so no two share a blob, not even across the conversations of one bench run.
 */
const UNIT_CHARS = 16;
const MAX_WAIT = 60;

function turnsFromEnv(): number[] {
  const raw = process.env.BENCH_TURNS ?? '100,500';
  const turns = raw.split(',').map((part) => Number(part.trim()));
  if (turns.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`BENCH_TURNS must be positive integers, got "${raw}"`);
  return turns;
}

function benchConfig(address: string, provider: ScriptedProvider, fixtureUrl: string, storagePath: string): Config {
  return configSchema.parse({
    temporal: { address, task_queue: `bench-history-${process.pid}` },
    openai: { api_key: 'bench-key', base_url: provider.openaiBaseUrl },
    mcp: { servers: { fixture: { url: fixtureUrl, allowed_tools: ['repeat'] } } },
    storage: { path: storagePath },
  });
}

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? folderBytes(full) : statSync(full).size;
  }
  return total;
}

interface Api {
  post(route: string, body?: unknown): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any -- API replies
  get(route: string): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any -- API replies
}

function apiAt(base: string): Api {
  const call = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${base}${route}`, {
      method,
      ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    return { status: response.status, body: await response.json() };
  };
  return { post: (route, body) => call('POST', route, body), get: (route) => call('GET', route) };
}

interface Figures {
  turns: number;
  seconds: number;
  transcriptBytes: number;
  historyBytes: number;
  executions: number;
  storedBytes: number;
  /** What history would hold if every LLM call carried the conversation so far. */
  wholeConversationBytes: number;
}

async function conversation(api: Api, provider: ScriptedProvider, turns: number, storagePath: string): Promise<Figures & { runId: string }> {
  const model = `bench-history-${turns}-${process.pid}`;
  for (let turn = 1; turn <= turns; turn++) {
    const unit = `n${String(turns).padStart(4, '0')}t${String(turn).padStart(5, '0')}-res-`.slice(0, UNIT_CHARS);
    provider.script(model, [
      { toolCalls: [{ name: 'fixture-repeat', arguments: { text: unit, times: TOOL_RESULT_BYTES / UNIT_CHARS } }] },
      { text: `Here is what turn ${turn} found.` },
    ]);
  }
  const storedBefore = folderBytes(storagePath);
  const started = performance.now();
  const spec = { type: 'agent', conversation: true, agent: { instruction: 'You look things up.', provider: 'openai', model, servers: ['fixture'] } };
  const start = await api.post('/workflows/agent/run', { input: 'Question 1: what is there?', spec });
  if (start.status !== 202) throw new Error(`start: ${start.status} ${JSON.stringify(start.body)}`);
  const runId: string = start.body.runId;
  const id = encodeURIComponent(runId);
  for (let waited = 0; (await api.get(`/runs/${id}`)).body.status !== 'idle'; waited++) {
    if (waited > 600) throw new Error('the first turn did not finish');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (let turn = 2; turn <= turns; turn++) {
    const reply = await api.post(`/runs/${id}/messages?wait=${MAX_WAIT}`, { input: `Question ${turn}: and now?` });
    if (reply.status !== 200) throw new Error(`turn ${turn}: ${reply.status} ${JSON.stringify(reply.body)}`);
    if (turn % 50 === 0) process.stderr.write(`  ${turns}-turn conversation: turn ${turn}\n`);
  }
  await api.post(`/runs/${id}/close`);
  const closed = await api.get(`/runs/${id}/result?wait=${MAX_WAIT}`);
  if (closed.body.status !== 'completed') throw new Error(`the conversation ended ${closed.body.status}`);
  const seconds = (performance.now() - started) / 1000;

  let transcriptBytes = 0;
  let wholeConversationBytes = 0;
  let messages = 0;
  for (let cursor: string | undefined = '0'; cursor !== undefined; ) {
    const page = await api.get(`/runs/${id}/messages?cursor=${cursor}&limit=500`);
    for (const message of page.body.messages as { role: string; text: string; toolCalls?: unknown[] }[]) {
      const bytes = utf8(message.text) + (message.toolCalls ? utf8(JSON.stringify(message.toolCalls)) : 0);
      // An LLM call is made after each user message and each tool result; it would carry all before it.
      if (message.role !== 'assistant') wholeConversationBytes += transcriptBytes + bytes;
      transcriptBytes += bytes;
      messages++;
    }
    cursor = page.body.next;
  }
  if (messages !== turns * 4) throw new Error(`expected ${turns * 4} messages in the transcript, read ${messages}`);
  return { runId, turns, seconds, transcriptBytes, wholeConversationBytes, storedBytes: folderBytes(storagePath) - storedBefore, historyBytes: 0, executions: 0 };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

async function main(): Promise<void> {
  const sizes = turnsFromEnv();
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const cli = findTemporalCli({ log });
  const storagePath = mkdtempSync(path.join(tmpdir(), 'mcp-agent-bench-history-'));
  const devServer = await startDevServer({ cliPath: cli.path, uiPort: false });
  const [provider, fixture] = await Promise.all([startScriptedProvider(), startFixtureHttpServer()]);
  const closers: Array<() => Promise<void>> = [
    () => fixture.close(),
    () => provider.close(),
    () => devServer.stop(),
    async () => rmSync(storagePath, { recursive: true, force: true }),
  ];
  try {
    const config = benchConfig(devServer.address, provider, fixture.url, storagePath);
    const stack = await startWorkerAndApi(config, closers);
    const { temporal } = stack;
    const api = apiAt(stack.api);

    console.log(
      `History of long conversations: Temporal dev server (${cli.source}) at ${devServer.address}, in-process worker and API, ` +
        `file store; each turn a message, one tool call returning ${TOOL_RESULT_BYTES} bytes, an answer`,
    );
    const results: Figures[] = [];
    for (const turns of sizes) {
      const figures = await conversation(api, provider, turns, storagePath);
      const handle = temporal.client.workflow.getHandle(figures.runId);
      const firstRunId = (await temporal.client.workflowService.describeWorkflowExecution({
        namespace: config.temporal.namespace,
        execution: { workflowId: figures.runId },
      })).workflowExecutionInfo?.firstRunId;
      const chain = await executionSizes(temporal.client, handle.workflowId, firstRunId ?? (await handle.describe()).runId);
      figures.historyBytes = chain.reduce((sum, execution) => sum + execution.historySize, 0);
      figures.executions = chain.length;
      results.push(figures);
      const { transcriptBytes: t } = figures;
      console.log(
        `${turns} turns in ${figures.seconds.toFixed(0)} s: transcript ${mb(t)}; history ${mb(figures.historyBytes)} over ${figures.executions} executions` +
          ` (${round(figures.historyBytes / t)}x the transcript, ${kb(figures.historyBytes / turns)} a turn);` +
          ` store +${mb(figures.storedBytes)} (${round(figures.storedBytes / t)}x);` +
          ` the whole conversation in every LLM call would have been ${mb(figures.wholeConversationBytes)} of history (${round(figures.wholeConversationBytes / t)}x)`,
      );
    }
    if (results.length > 1) {
      const [first, last] = [results[0], results.at(-1)!];
      console.log(
        `Growth from ${first.turns} to ${last.turns} turns: history a turn ${kb(first.historyBytes / first.turns)} → ${kb(last.historyBytes / last.turns)}` +
          ` (ratio ${round(last.historyBytes / last.turns / (first.historyBytes / first.turns))}; 1 is linear)`,
      );
    }
    console.log(
      JSON.stringify({
        bench: 'history',
        toolResultBytes: TOOL_RESULT_BYTES,
        results: results.map((r) => ({
          ...r,
          seconds: round(r.seconds),
          historyPerTranscript: round(r.historyBytes / r.transcriptBytes),
          storedPerTranscript: round(r.storedBytes / r.transcriptBytes),
          historyBytesPerTurn: Math.round(r.historyBytes / r.turns),
        })),
      }),
    );
  } finally {
    await closeAll(closers);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
