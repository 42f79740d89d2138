import { spawn } from 'node:child_process';
import path from 'node:path';
import pino from 'pino';
import type { ConfigInput } from '../../src/config/schema';
import { natsDeltaPublisher } from '../../src/streaming/nats';
import { startScriptedProvider, type ScriptedProvider } from '../../src/testing/scripted-model';
import { projectRoot, providerConfig } from '../support/agent-env';
import { startApiProcess, type ApiProcess } from '../support/api-process';
import { uniqueTaskQueue } from '../support/harness';
import { startNatsServer, type NatsServer } from '../support/nats-server';
import { openSse, type ParsedRunEvent, type SseStream } from '../support/sse';
import { startWorkerProcess, type WorkerExit, type WorkerProcess } from '../support/worker-process';

/**
 * Token streaming across processes as deployed: two worker processes and two API processes, all
 * connected through a real nats-server process, the real SDK clients streaming from the scripted
 * provider. A run started on one API is watched on the other.
 */

let nats: NatsServer;
let provider: ScriptedProvider;
const workers: WorkerProcess[] = [];
let apiA: ApiProcess;
let apiB: ApiProcess;
const taskQueue = uniqueTaskQueue('streaming');

beforeAll(async () => {
  [nats, provider] = await Promise.all([startNatsServer(), startScriptedProvider()]);
  const config: ConfigInput = { ...providerConfig(provider), streaming: { nats_url: nats.url } };
  const started = await Promise.all([
    startWorkerProcess({ config, taskQueue, label: 'worker 1' }),
    startWorkerProcess({ config, taskQueue, label: 'worker 2' }),
    startApiProcess({ config, taskQueue, label: 'API A' }),
    startApiProcess({ config, taskQueue, label: 'API B' }),
  ]);
  workers.push(started[0] as WorkerProcess, started[1] as WorkerProcess);
  [apiA, apiB] = started.slice(2) as ApiProcess[];
});

afterAll(async () => {
  await Promise.all([...workers.map((w) => w.stop()), apiA?.stop(), apiB?.stop()]);
  await provider?.close();
  await nats?.stop();
});

let counter = 0;
const uniqueModel = (label: string) => `${label}-${++counter}-${Date.now()}`;

function agent(providerName: 'openai' | 'anthropic', model: string) {
  return { instruction: 'You help.', provider: providerName, model };
}

async function startRun(api: ApiProcess, name: string, spec: Record<string, unknown>): Promise<string> {
  const reply = await fetch(`${api.url}/workflows/${name}/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ input: 'go', spec }),
  });
  const body = (await reply.json()) as { runId: string };
  expect(reply.status).toBe(202);
  return body.runId;
}

interface Received extends ParsedRunEvent {
  /** The SSE message's id (durable events only). */
  sseId?: string;
  /** When this client read it. */
  receivedAt: number;
}

function eventsUrl(api: ApiProcess, runId: string): string {
  return `${api.url}/runs/${encodeURIComponent(runId)}/events`;
}

async function read(stream: SseStream, until?: (event: Received) => boolean): Promise<Received[]> {
  const events: Received[] = [];
  for (let message = await stream.next(); message; message = await stream.next()) {
    const event = { ...(JSON.parse(message.data) as ParsedRunEvent), sseId: message.id, receivedAt: Date.now() };
    events.push(event);
    if (until?.(event)) break;
  }
  return events;
}

const durable = (events: Received[]) => events.filter((e) => e.type !== 'llm_delta' && e.type !== 'retrying');
const deltasOf = (events: Received[]) => events.filter((e) => e.type === 'llm_delta');
const textOf = (events: Received[]) =>
  deltasOf(events)
    .filter((e) => e.data.kind === 'text')
    .map((e) => e.data.text as string)
    .join('');

/** A promise to hold scripted replies with, until streams are open: deltas from before a watcher subscribes are not kept. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const SLOW_TEXT = 'The answer, written slowly so that it can be watched: forty-two.';

test('deltas of a slow stream arrive on another API process before llm_finished, without ids', async () => {
  const model = uniqueModel('slow');
  const watching = gate();
  provider.script(model, [{ text: SLOW_TEXT, chunkChars: 8, chunkDelayMs: 150, holdUntil: watching.opened }]);
  const runId = await startRun(apiA, 'agent', { agent: agent('openai', model) });
  const [onA, onB] = await Promise.all([openSse(eventsUrl(apiA, runId)), openSse(eventsUrl(apiB, runId))]);
  // A stream's first event comes once it listens for deltas too.
  const [firstA, firstB] = await Promise.all([read(onA, () => true), read(onB, () => true)]);
  watching.open();
  const [eventsA, eventsB] = await Promise.all([read(onA), read(onB)]).then(([a, b]) => [[...firstA, ...a], [...firstB, ...b]]);

  for (const events of [eventsA, eventsB]) {
    const types = events.map((e) => e.type);
    const started = types.indexOf('llm_started');
    const finished = types.indexOf('llm_finished');
    const deltas = deltasOf(events);
    expect(deltas.length).toBeGreaterThan(1);
    for (const delta of deltas) {
      // No `id:` line: the JSON has no id, and the stream's last event id stays the durable one before it.
      expect(delta.id).toBeUndefined();
      expect(delta.sseId).toBe(events[events.indexOf(delta) - 1].sseId);
      expect(events.indexOf(delta)).toBeGreaterThan(started);
      expect(events.indexOf(delta)).toBeLessThan(finished);
      expect(delta.data).toMatchObject({ runId, activityId: events[started].data.activityId, attempt: 1, kind: 'text' });
    }
    expect(deltas.map((d) => d.data.seq)).toEqual(deltas.map((_, i) => i));
    expect(textOf(events)).toBe(SLOW_TEXT);
    // Seen while being written: the first delta well before the call ended (8 chunks, 150 ms apart).
    expect(events[finished].receivedAt - deltas[0].receivedAt).toBeGreaterThanOrEqual(600);
    expect(durable(events).map((e) => e.type)).toEqual(['run_started', 'llm_started', 'llm_finished', 'completed']);
  }
  // Both API processes saw the same durable events.
  expect(durable(eventsA).map((e) => e.sseId)).toEqual(durable(eventsB).map((e) => e.sseId));
});

test('a composed run streams its children, in both wire formats, on the root run’s stream', async () => {
  const [claude, gpt] = [uniqueModel('claude'), uniqueModel('gpt')];
  const watching = gate();
  const held = { chunkChars: 6, chunkDelayMs: 40, holdUntil: watching.opened };
  provider.script(claude, [
    { text: 'Checking.', toolCalls: [{ name: 'no-such-tool', arguments: { query: 'weather in Paris' } }], ...held },
    { text: 'Anthropic child done.', ...held },
  ]);
  provider.script(gpt, [{ text: 'OpenAI child done.', ...held }]);
  const runId = await startRun(apiB, 'parallel', {
    fan_out: [
      { name: 'claude', ...agent('anthropic', claude) },
      { name: 'gpt', ...agent('openai', gpt) },
    ],
  });
  const stream = await openSse(eventsUrl(apiA, runId));
  const first = await read(stream, () => true);
  watching.open();
  const events = [...first, ...(await read(stream))];
  const children = events.filter((e) => e.type === 'child_started').map((e) => e.data.workflowId as string);
  expect(children.sort()).toEqual([`${runId}/claude-1`, `${runId}/gpt-2`]);
  const byRun = (child: string) => deltasOf(events).filter((d) => d.data.runId === child);
  const claudeDeltas = byRun(`${runId}/claude-1`);
  expect(textOf(claudeDeltas)).toBe('Checking.Anthropic child done.');
  const toolDeltas = claudeDeltas.filter((d) => d.data.kind === 'tool_call');
  expect(toolDeltas[0].data).toMatchObject({ index: 0, name: 'no-such-tool', id: expect.any(String) });
  expect(JSON.parse(toolDeltas.map((d) => d.data.arguments as string).join(''))).toEqual({ query: 'weather in Paris' });
  // Two calls of the Anthropic child, each numbered from 0.
  expect(new Set(claudeDeltas.map((d) => d.data.activityId)).size).toBe(2);
  expect(textOf(byRun(`${runId}/gpt-2`))).toBe('OpenAI child done.');
  expect(deltasOf(events).every((d) => d.id === undefined)).toBe(true);
  // Within the span of each child.
  for (const child of children) {
    const started = events.findIndex((e) => e.type === 'child_started' && e.data.workflowId === child);
    const finished = events.findIndex((e) => e.type === 'child_finished' && e.data.workflowId === child);
    for (const delta of byRun(child)) {
      expect(events.indexOf(delta)).toBeGreaterThan(started);
      expect(events.indexOf(delta)).toBeLessThan(finished);
    }
  }
});

test('a reconnect with Last-Event-ID mid-stream gets every durable event without gaps, and the deltas from then on', async () => {
  const model = uniqueModel('reconnect');
  const watching = gate();
  provider.script(model, [
    { text: 'First turn, streamed slowly.', toolCalls: [{ name: 'nothing', arguments: {} }], chunkChars: 4, chunkDelayMs: 100, holdUntil: watching.opened },
    { text: SLOW_TEXT, chunkChars: 8, chunkDelayMs: 100 },
  ]);
  const runId = await startRun(apiA, 'agent', { agent: agent('openai', model) });
  const first = await openSse(eventsUrl(apiA, runId));
  const opening = await read(first, () => true);
  watching.open();
  // Leave during the second call's stream.
  const calls: unknown[] = [];
  const before = await read(first, (e) => {
    if (e.type !== 'llm_delta') return false;
    if (!calls.includes(e.data.activityId)) calls.push(e.data.activityId);
    return calls.length === 2 && e.data.seq >= 1;
  });
  first.close();
  before.unshift(...opening);
  const lastId = durable(before).at(-1)!.sseId!;
  expect(durable(before).at(-1)!.type).toBe('llm_started');

  const after = await read(await openSse(eventsUrl(apiB, runId), { 'last-event-id': lastId }));
  const all = await read(await openSse(eventsUrl(apiB, runId)));
  expect([...durable(before), ...durable(after)].map((e) => e.sseId)).toEqual(durable(all).map((e) => e.sseId));
  // The reconnected stream shows the rest of the call being written, before its llm_finished.
  const resumed = deltasOf(after);
  expect(resumed.length).toBeGreaterThan(0);
  expect(after.indexOf(resumed.at(-1)!)).toBeLessThan(after.findIndex((e) => e.type === 'llm_finished'));
  expect(SLOW_TEXT.endsWith(textOf(after))).toBe(true);
  // A finished run replays no deltas: they were never stored.
  expect(deltasOf(all)).toEqual([]);
});

test('`mcp-agent watch` prints the reply as it is written, before the llm_finished line', async () => {
  const model = uniqueModel('watch');
  const watching = gate();
  provider.script(model, [{ text: SLOW_TEXT, chunkChars: 8, chunkDelayMs: 150, holdUntil: watching.opened }]);
  const runId = await startRun(apiA, 'agent', { agent: agent('openai', model) });
  const child = spawn(process.execPath, [path.join(projectRoot, 'bin', 'mcp-agent.js'), 'watch', runId], {
    env: { ...process.env, MCP_AGENT_API_URL: apiB.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: Array<{ text: string; at: number }> = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    chunks.push({ text: chunk.toString(), at: Date.now() });
    if (chunk.toString().includes('llm_started')) watching.open();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code).toBe(0);
  const stdout = chunks.map((c) => c.text).join('');
  const lines = stdout.split('\n');
  const started = lines.findIndex((line) => line.includes('llm_started'));
  const finished = lines.findIndex((line) => line.includes('llm_finished'));
  // The reply on its own line(s) between the two, as it was written.
  expect(lines.slice(started + 1, finished).join('\n').trim()).toBe(SLOW_TEXT);
  const firstPiece = chunks.find((c) => c.text.includes(SLOW_TEXT.slice(0, 8)))!;
  const finishedLine = chunks.find((c) => c.text.includes('llm_finished'))!;
  expect(finishedLine.at - firstPiece.at).toBeGreaterThanOrEqual(600);
});

test("`mcp-agent run --wait` keeps each child's reply on its line while two children write at once", async () => {
  const [one, two] = [uniqueModel('one'), uniqueModel('two')];
  const texts = { one: 'alpha beta gamma delta epsilon zeta', two: 'eta theta iota kappa lambda mu' };
  const watching = gate();
  // Four characters a delta, both children at once: as written, each delta took a line of its own.
  const slow = { chunkChars: 4, chunkDelayMs: 60, holdUntil: watching.opened };
  provider.script(one, [{ text: texts.one, ...slow }]);
  provider.script(two, [{ text: texts.two, ...slow }]);
  const spec = { fan_out: [{ name: 'one', ...agent('openai', one) }, { name: 'two', ...agent('openai', two) }] };
  const child = spawn(process.execPath, [path.join(projectRoot, 'bin', 'mcp-agent.js'), 'run', 'parallel', 'go', '--spec', JSON.stringify(spec), '--wait'], {
    env: { ...process.env, MCP_AGENT_API_URL: apiB.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.split('child_started').length === 3) watching.open();
  });
  expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
  for (const [name, text] of Object.entries(texts)) {
    const lines = stdout.split('\n').filter((line) => line.startsWith(`          [${name}-`));
    expect(lines.map((line) => line.replace(/^ {10}\[[^\]]+\] /, '')).join('')).toBe(text);
    // One line, or two where the other child's child_finished line came in the middle.
    expect(lines.length).toBeLessThanOrEqual(2);
  }
});

test('with NATS down, runs and durable events go on without deltas; once it is back, deltas are too', async () => {
  const port = Number(new URL(nats.url).port);
  await nats.stop();
  const model = uniqueModel('outage');
  provider.script(model, [{ text: SLOW_TEXT, chunkChars: 16, chunkDelayMs: 20 }]);
  const runId = await startRun(apiA, 'agent', { agent: agent('openai', model) });
  const events = await read(await openSse(eventsUrl(apiB, runId)));
  expect(durable(events).map((e) => e.type)).toEqual(['run_started', 'llm_started', 'llm_finished', 'completed']);
  expect(deltasOf(events)).toEqual([]);

  nats = await startNatsServer(port);
  // Every process reconnects by itself (a second apart); try until the deltas come through again.
  const deadline = Date.now() + 30_000;
  for (let attempt = 1; ; attempt++) {
    const again = uniqueModel('after-outage');
    const watching = gate();
    provider.script(again, [{ text: SLOW_TEXT, chunkChars: 16, chunkDelayMs: 20, holdUntil: watching.opened }]);
    const id = await startRun(apiB, 'agent', { agent: agent('anthropic', again) });
    const stream = await openSse(eventsUrl(apiA, id));
    const first = await read(stream, () => true);
    watching.open();
    const all = [...first, ...(await read(stream))];
    expect(all.at(-1)!.type).toBe('completed');
    if (textOf(all) === SLOW_TEXT) break;
    if (Date.now() > deadline) throw new Error(`no deltas ${attempt} runs after NATS came back`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
});

test('`mcp-agent chat` shows a streamed answer once: as it is written, not again as an answer line', async () => {
  const model = uniqueModel('chat');
  const watching = gate();
  provider.script(model, [{ text: SLOW_TEXT, chunkChars: 8, chunkDelayMs: 100, holdUntil: watching.opened }]);
  const started = await fetch(`${apiA.url}/workflows/agent/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ input: 'Hello', spec: { type: 'agent', agent: agent('openai', model), conversation: true } }),
  });
  const { runId } = (await started.json()) as { runId: string };
  const child = spawn(process.execPath, [path.join(projectRoot, 'bin', 'mcp-agent.js'), 'chat', runId], {
    env: { ...process.env, MCP_AGENT_API_URL: apiB.url },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    // An event line: the chat's stream is open (and listening for deltas).
    if (stdout.includes('turn_started')) watching.open();
  });
  // Piped input that ends at once: the chat still waits for the running turn's answer, then
  // leaves the conversation open, which is then closed through the API.
  child.stdin!.end();
  await new Promise((resolve) => child.on('close', resolve));
  await fetch(`${apiA.url}/runs/${encodeURIComponent(runId)}/close`, { method: 'POST' });
  const written = stdout.indexOf(`          ${SLOW_TEXT}\n`);
  expect(written).toBeGreaterThan(stdout.indexOf('turn_started'));
  expect(stdout.split(SLOW_TEXT)).toHaveLength(2);
  expect(stdout).not.toContain('assistant:');
  expect(stdout.slice(written + SLOW_TEXT.length + 11)).toMatch(/^Left \S+ open\. Come back with: /);
});

/** SIGTERM, then the exit, failing with the process's output if it does not come within `ms`. */
async function exitAfterSigterm(
  label: string,
  proc: { kill(signal: NodeJS.Signals): void; exited: Promise<WorkerExit>; output(): string },
  ms: number,
): Promise<WorkerExit> {
  proc.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  const exit = await Promise.race([proc.exited, late]).finally(() => clearTimeout(timer));
  if (!exit) {
    proc.kill('SIGKILL');
    throw new Error(`${label} still running ${ms} ms after SIGTERM\n--- ${label} output ---\n${proc.output().slice(-3000)}`);
  }
  return exit;
}

test('with streaming.nats_url unreachable from the start, the worker and the API stop on SIGTERM with exit code 0', async () => {
  // Nothing listens on port 9 (discard): the first connection never comes.
  const config: ConfigInput = { ...providerConfig(provider), streaming: { nats_url: 'nats://127.0.0.1:9' } };
  const queue = uniqueTaskQueue('nats-unreachable');
  const [worker, api] = await Promise.all([
    startWorkerProcess({ config, taskQueue: queue, label: 'worker without NATS' }),
    startApiProcess({ config, taskQueue: queue, label: 'API without NATS' }),
  ]);
  try {
    // Long enough for the first attempts to fail and the next ones to wait their turn.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const [workerExit, apiExit] = await Promise.all([exitAfterSigterm('worker', worker, 10_000), exitAfterSigterm('API', api, 10_000)]);
    expect(workerExit).toEqual({ code: 0, signal: null });
    expect(apiExit).toEqual({ code: 0, signal: null });
    expect(worker.output()).toContain('worker stopped');
    // Each said once that it kept trying in the background.
    for (const output of [worker.output(), api.output()]) expect(output.match(/NATS unreachable/g)).toHaveLength(1);
  } finally {
    await Promise.all([worker.stop(), api.stop()]);
  }
});

test('a tls:// URL requires TLS: against a server without it there is no connection, and the warning says why', async () => {
  const lines: Array<{ level: number; msg: string; err?: { message?: string } }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const url = nats.url.replace(/^nats:/, 'tls:');
  const publisher = natsDeltaPublisher({ natsUrl: url, subjectPrefix: 'tls-check', namespace: 'default', name: 'test', logger });
  try {
    for (const deadline = Date.now() + 10_000; lines.length === 0 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lines[0]).toMatchObject({ level: 40, msg: expect.stringContaining('NATS unreachable'), err: { message: expect.stringMatching(/tls/i) } });
  } finally {
    await publisher.close();
  }
  expect(lines.some((line) => line.msg === 'streaming LLM deltas over NATS')).toBe(false);
});
