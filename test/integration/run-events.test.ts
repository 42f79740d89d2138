import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import type { RunEvent } from '../../client/run-events';
import { buildApp } from '../../src/api/app';
import { eventually, mcpServers, providerConfig, startAgentEnv, type AgentEnv } from '../support/agent-env';
import { listenForTests, type ApiHttp } from '../support/api-http';
import { openSse, type SseEvent, type SseStream } from '../support/sse';
import { testTemporalAddress } from '../support/temporal-env';

/**
 * `GET /runs/:runId/events` over real HTTP, against the suite's Temporal dev server, an
 * in-process worker, the scripted provider and the MCP fixture. The API's Temporal connection
 * counts its history calls, so a test can see whether anything still reads history.
 */

interface HistoryCalls {
  started: number;
  inFlight: number;
}

/** Counts GetWorkflowExecutionHistory calls, and those not answered yet (long polls waiting). */
function countHistoryCalls(calls: HistoryCalls): Interceptor {
  return (options, nextCall) => {
    const tracked = options.method_definition.path.endsWith('/GetWorkflowExecutionHistory');
    return new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        if (!tracked) return next(metadata, listener);
        calls.started++;
        calls.inFlight++;
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            calls.inFlight--;
            nextStatus(status);
          },
        });
      },
    });
  };
}

let env: AgentEnv;
let app: FastifyInstance;
let connection: Connection;
let api: ApiHttp;
const historyCalls: HistoryCalls = { started: 0, inFlight: 0 };

beforeAll(async () => {
  env = await startAgentEnv((provider, fixtureUrl) => ({ ...providerConfig(provider), mcp: { servers: mcpServers(fixtureUrl) } }));
  connection = await Connection.connect({ address: testTemporalAddress(), interceptors: [countHistoryCalls(historyCalls)] });
  const storage = env.worker.storage;
  const client = new Client({ connection, namespace: env.worker.config.temporal.namespace, dataConverter: storage.dataConverter });
  app = await buildApp({ config: env.worker.config, client, storage, uiUrl: 'http://ui.test', logger: pino({ level: 'silent' }) });
  api = await listenForTests(app);
});

afterAll(async () => {
  await app?.close();
  await connection?.close();
  await env?.close();
});

let modelCounter = 0;
const uniqueModel = (label: string) => `${label}-${++modelCounter}-${Date.now()}`;

function agent(model: string, extra: Record<string, unknown> = {}) {
  return { instruction: 'You help.', provider: 'openai', model, ...extra };
}

async function startRun(name: string, spec: Record<string, unknown>, input: unknown = 'go'): Promise<string> {
  const started = await api.post(`/workflows/${name}/run`, { input, spec });
  expect(started.status).toBe(202);
  return started.body.runId;
}

function eventsUrl(runId: string): string {
  return `${api.url}/runs/${encodeURIComponent(runId)}/events`;
}

/** Checks the SSE framing of each message and returns the RunEvents. */
function runEvents(messages: SseEvent[]): RunEvent[] {
  return messages.map((message) => {
    const event = JSON.parse(message.data) as RunEvent;
    expect(message.id).toBe(event.id);
    expect(message.event).toBe(event.type);
    return event;
  });
}

async function allEvents(runId: string, headers: Record<string, string> = {}): Promise<RunEvent[]> {
  const stream = await openSse(eventsUrl(runId), headers);
  expect(stream.response.status).toBe(200);
  return runEvents(await stream.rest());
}

/** Reads until an event of `type` (included); the stream must not end first. */
async function readUntil(stream: SseStream, type: string): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  while (events.at(-1)?.type !== type) {
    const message = await stream.next();
    if (!message) throw new Error(`the stream ended before ${type}`);
    events.push(...runEvents([message]));
  }
  return events;
}

/** `<execution>-<event>` ids compared as number pairs. */
function expectIncreasingIds(events: RunEvent[]): void {
  const pairs = events.map((e) => e.id.split('-').map(Number));
  for (let i = 1; i < pairs.length; i++) {
    const [previous, current] = [pairs[i - 1], pairs[i]];
    expect(current[0] > previous[0] || (current[0] === previous[0] && current[1] > previous[1])).toBe(true);
  }
}

test('a tool round trip streams live, in order, ending with completed, and the stream closes', async () => {
  const model = uniqueModel('events-tool');
  env.provider.script(model, [
    { toolCalls: [{ name: 'fixture-add', arguments: { a: 2, b: 3 } }], usage: { input: 10, output: 3 } },
    { text: 'The sum is 5.', usage: { input: 20, output: 4 } },
  ]);
  const runId = await startRun('agent', { agent: agent(model, { servers: ['fixture'] }) }, 'add 2 and 3');
  const stream = await openSse(eventsUrl(runId));
  expect(stream.response.status).toBe(200);
  expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const events = runEvents(await stream.rest());

  expect(events.map((e) => e.type)).toEqual([
    'run_started',
    'llm_started',
    'llm_finished',
    'tool_started',
    'tool_finished',
    'llm_started',
    'llm_finished',
    'completed',
  ]);
  expectIncreasingIds(events);
  expect(events.every((e) => e.id.startsWith('0-') && !Number.isNaN(Date.parse(e.at)))).toBe(true);
  const [started, llm1, llm1Done, tool, toolDone, , llm2Done, completed] = events;
  expect(started.data).toMatchObject({ workflow: 'agent', pattern: 'agent', workflowType: 'agentWorkflow', input: 'add 2 and 3' });
  expect(llm1.data).toMatchObject({ provider: 'openai', model, turn: 1 });
  expect(llm1Done.data).toMatchObject({ model, turn: 1, inputTokens: 10, outputTokens: 3, toolCalls: ['fixture-add'] });
  expect(tool.data).toMatchObject({ tool: 'fixture-add', server: 'fixture', arguments: '{"a":2,"b":3}' });
  expect(toolDone.data).toMatchObject({ tool: 'fixture-add', isError: false, result: '5' });
  expect(llm2Done.data).toMatchObject({ turn: 2, inputTokens: 20, outputTokens: 4, text: 'The sum is 5.' });
  expect(completed.data).toEqual({
    text: 'The sum is 5.',
    usage: { inputTokens: 30, outputTokens: 7, llmCalls: 2, toolCalls: 1 },
  });
});

test('Last-Event-ID from any point resumes with exactly the events after it', async () => {
  const model = uniqueModel('events-resume');
  env.provider.script(model, [
    { toolCalls: [{ name: 'fixture-echo', arguments: { text: 'x'.repeat(500) } }] },
    { toolCalls: [{ name: 'fixture-fail', arguments: {} }] },
    { text: 'done' },
  ]);
  const runId = await startRun('agent', { agent: agent(model, { servers: ['fixture'] }) });
  const full = await allEvents(runId);
  expect(full.map((e) => e.type)).toEqual([
    'run_started',
    ...['llm_started', 'llm_finished', 'tool_started', 'tool_finished'],
    ...['llm_started', 'llm_finished', 'tool_started', 'tool_finished'],
    'llm_started',
    'llm_finished',
    'completed',
  ]);
  // Long strings are cut; a tool's own error is an answer, flagged as such.
  expect(full[3].data.arguments).toHaveLength(200);
  expect(full[4].data.result).toMatch(/^x{199}…$/);
  expect(full[8].data).toMatchObject({ tool: 'fixture-fail', isError: true });

  for (let i = 0; i < full.length; i++) {
    expect(await allEvents(runId, { 'last-event-id': full[i].id })).toEqual(full.slice(i + 1));
  }
  // An empty Last-Event-ID names no event: the whole stream, as without one.
  expect(await allEvents(runId, { 'last-event-id': '' })).toEqual(full);
});

test('a call Temporal is retrying shows as a live retrying event: no id, never replayed', async () => {
  const model = uniqueModel('events-retry');
  env.provider.script(model, [
    { status: 503, message: 'overloaded, try later' },
    { status: 503, message: 'still overloaded' },
    { text: 'finally' },
  ]);
  // Attempts 3 s apart: the stream looks every 2 s, so it sees at least one of them.
  const runId = await startRun('agent', { agent: agent(model, { llm_calls: { initial_retry_seconds: 3, max_retry_seconds: 3 } }) });
  const messages = await (await openSse(eventsUrl(runId))).rest();
  const names = messages.map((message) => message.event);
  const retrying = messages.filter((message) => message.event === 'retrying');
  expect(retrying.length).toBeGreaterThanOrEqual(1);
  for (const message of retrying) {
    // Sent without an `id:` line, so a client's last event id stays that of the durable event before it.
    const before = messages.slice(0, messages.indexOf(message)).filter((m) => m.event !== 'retrying').at(-1)!;
    expect(message.id).toBe(before.id);
    const event = JSON.parse(message.data);
    expect(event).toMatchObject({ type: 'retrying', data: { activity: 'llmGenerate', lastError: expect.stringContaining('overloaded') } });
    expect(event.data.attempt).toBeGreaterThanOrEqual(2);
    expect(Date.parse(event.at)).not.toBeNaN();
  }
  expect(names.indexOf('llm_started')).toBeLessThan(names.indexOf('retrying'));
  expect(names.lastIndexOf('retrying')).toBeLessThan(names.indexOf('llm_finished'));
  expect(names.at(-1)).toBe('completed');

  // History holds no retry: reading the closed run again shows none, and the durable events are unchanged.
  const again = await allEvents(runId);
  expect(again.map((e) => e.type)).toEqual(['run_started', 'llm_started', 'llm_finished', 'completed']);
  expect(runEvents(messages.filter((message) => message.event !== 'retrying'))).toEqual(again);
});

test('a run that continues as new streams as one run, its ids growing across executions', async () => {
  const model = uniqueModel('events-long');
  env.provider.script(model, [
    ...Array.from({ length: 6 }, () => ({ toolCalls: [{ name: 'fixture-repeat', arguments: { text: 'x', times: 100_000 } }] })),
    { text: 'done at last' },
  ]);
  const runId = await startRun('agent', { agent: agent(model, { servers: ['fixture'] }), history_limit_bytes: 16 * 1024 });
  const events = await allEvents(runId);

  const turn = ['llm_started', 'llm_finished', 'tool_started', 'tool_finished'];
  expect(events.map((e) => e.type)).toEqual(['run_started', ...Array(6).fill(turn).flat(), 'llm_started', 'llm_finished', 'completed']);
  expectIncreasingIds(events);
  expect(events.at(-1)!.id).toMatch(/^[1-9]\d*-/);
  expect(events.filter((e) => e.type === 'llm_started').map((e) => e.data.turn)).toEqual([1, 2, 3, 4, 5, 6, 7]);

  const lastOfFirst = events.findIndex((e) => !e.id.startsWith('0-')) - 1;
  expect(await allEvents(runId, { 'last-event-id': events[lastOfFirst].id })).toEqual(events.slice(lastOfFirst + 1));
  expect(await allEvents(runId, { 'last-event-id': events[lastOfFirst + 1].id })).toEqual(events.slice(lastOfFirst + 2));
});

test('a paused run waiting for input shows each step, and a reconnect picks up where it left off', async () => {
  const model = uniqueModel('events-human');
  env.provider.script(model, [
    { toolCalls: [{ name: 'human_input', arguments: { prompt: 'Which numbers?' } }] },
    { text: 'You said 2 and 3.' },
  ]);
  const runId = await startRun('agent', { agent: agent(model, { human_input: true }) });

  // Live: these arrive while the run waits for an answer it cannot get until later.
  const first = await openSse(eventsUrl(runId));
  const before = await readUntil(first, 'input_requested');
  first.close();

  expect((await api.post(`/runs/${runId}/pause`)).status).toBe(202);
  expect((await api.post(`/runs/${runId}/resume`)).status).toBe(202);
  const waiting = await eventually(async () => {
    const run = (await api.get(`/runs/${runId}`)).body;
    return run.status === 'waiting_for_input' && run;
  });
  expect((await api.post(`/runs/${runId}/input`, { value: '2 and 3', requestId: waiting.pendingInput.requestId })).status).toBe(202);

  const after = await allEvents(runId, { 'last-event-id': before.at(-1)!.id });
  const events = [...before, ...after];
  expect(events.map((e) => e.type)).toEqual([
    'run_started',
    'llm_started',
    'llm_finished',
    'input_requested',
    'paused',
    'resumed',
    'input_received',
    'llm_started',
    'llm_finished',
    'completed',
  ]);
  expect(events[2].data.toolCalls).toEqual(['human_input']);
  expect(events[6].data).toEqual({ requestId: waiting.pendingInput.requestId, via: 'update' });
  expect(await allEvents(runId)).toEqual(events);
});

test('a composed run shows its children start and finish, and each child has a stream of its own', async () => {
  const [optimist, skeptic] = ['optimist', 'skeptic'].map(uniqueModel);
  env.provider.script(optimist, [{ text: 'It will work.' }]);
  env.provider.script(skeptic, [{ text: 'It will not.' }]);
  const runId = await startRun('parallel', {
    fan_out: [
      { name: 'optimist', ...agent(optimist) },
      { name: 'skeptic', ...agent(skeptic) },
    ],
  });

  const events = await allEvents(runId);
  expect(events[0].type).toBe('run_started');
  expect(events.at(-1)!.type).toBe('completed');
  const started = events.filter((e) => e.type === 'child_started');
  const finished = events.filter((e) => e.type === 'child_finished');
  expect(started.map((e) => e.data.workflowId).sort()).toEqual([`${runId}/optimist-1`, `${runId}/skeptic-2`]);
  expect(finished.map((e) => e.data)).toEqual(
    expect.arrayContaining(started.map((e) => ({ ...e.data, status: 'completed' }))),
  );
  expect(finished).toHaveLength(2);
  for (const child of started) expect(events.indexOf(child)).toBeLessThan(events.findIndex((e) => e.type === 'child_finished' && e.data.workflowId === child.data.workflowId));

  const child = await allEvents(`${runId}/skeptic-2`);
  expect(child.map((e) => e.type)).toEqual(['run_started', 'llm_started', 'llm_finished', 'completed']);
  expect(child[0].data).toMatchObject({ workflow: 'skeptic', parent: runId });
  expect(child[3].data).toMatchObject({ text: 'It will not.' });
});

test('a cancelled composed run shows every child finish cancelled, and its cancelled event says why', async () => {
  const models = ['slow-a', 'slow-b', 'slow-c'].map(uniqueModel);
  for (const m of models) env.provider.script(m, [{ text: 'never', delayMs: 60_000 }]);
  // Branches nested 0, 1 and 2 deep take different times to close once cancelled.
  const nest = (node: Record<string, unknown>, depth: number): Record<string, unknown> =>
    depth === 0 ? node : { type: 'parallel', fan_out: [nest(node, depth - 1)] };
  const runId = await startRun('parallel', {
    fan_out: models.map((m, i) => ({ ...nest(agent(m), i), name: `branch${i}` })),
  });
  await Promise.all(models.map((m) => env.provider.waitForRequest(m, 1)));
  const cancelled = await api.post(`/runs/${runId}/cancel`, { reason: 'the user changed their mind' });
  expect(cancelled.status).toBe(202);

  const events = await allEvents(runId);
  expect(events.at(-1)).toMatchObject({ type: 'cancelled', data: { reason: 'the user changed their mind' } });
  const finished = events.filter((e) => e.type === 'child_finished');
  expect(finished.map((e) => [e.data.workflowId, e.data.status]).sort()).toEqual(
    models.map((_, i) => [`${runId}/branch${i}-${i + 1}`, 'cancelled']),
  );
  // Each child says its parent cancelled it.
  const child = await allEvents(`${runId}/branch0-1`);
  expect(child.at(-1)).toMatchObject({ type: 'cancelled', data: { reason: `its parent ${runId} was cancelled` } });

  // Without a reason, the API gives one; a reason that is not text is a 400.
  const other = uniqueModel('slow-d');
  env.provider.script(other, [{ text: 'never', delayMs: 60_000 }]);
  const second = await startRun('agent', { agent: agent(other) });
  expect((await api.post(`/runs/${second}/cancel`, { reason: 42 })).status).toBe(400);
  expect((await api.post(`/runs/${second}/cancel`)).status).toBe(202);
  expect((await allEvents(second)).at(-1)).toMatchObject({ type: 'cancelled', data: { reason: 'cancelled through the API' } });
});

test('a failed run ends its stream with failed and the Run\'s error', async () => {
  const model = uniqueModel('events-fail');
  env.provider.script(model, [{ status: 400, message: `The model ${model} does not exist.` }]);
  const runId = await startRun('agent', { agent: agent(model) });
  const events = await allEvents(runId);
  expect(events.map((e) => e.type)).toEqual(['run_started', 'llm_started', 'llm_finished', 'failed']);
  expect(events[2].data.error).toContain('does not exist');
  // The same error as the Run's.
  const run = (await api.get(`/runs/${runId}`)).body;
  expect(run.error.code).toBe('provider_request_rejected');
  expect(events[3].data).toEqual(run.error);
});

test('an unknown run is a JSON 404, a malformed Last-Event-ID a JSON 400, and the route is in the OpenAPI document', async () => {
  const unknown = await openSse(eventsUrl('no-such-run'));
  expect(unknown.response.status).toBe(404);
  expect(unknown.response.headers.get('content-type')).toContain('application/json');
  expect(await unknown.response.json()).toEqual({ error: { code: 'run_not_found', message: 'No run has the id "no-such-run".' } });

  const malformed = await openSse(eventsUrl('no-such-run'), { 'last-event-id': 'yesterday' });
  expect(malformed.response.status).toBe(400);
  expect(await malformed.response.json()).toMatchObject({ error: { code: 'invalid_request' } });

  const doc = (await api.get('/docs/json')).body;
  const route = doc.paths['/runs/{runId}/events'].get;
  expect(route.responses['200'].content['text/event-stream']).toBeDefined();
  expect(route.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual(
    expect.arrayContaining(['path:runId', 'header:last-event-id']),
  );
});

test('a client that disconnects mid-stream leaves no history poll behind', async () => {
  const model = uniqueModel('events-gone');
  env.provider.script(model, [{ toolCalls: [{ name: 'human_input', arguments: { prompt: 'Anything?' } }] }, { text: 'ok' }]);
  const runId = await startRun('agent', { agent: agent(model, { human_input: true }) });

  const stream = await openSse(eventsUrl(runId));
  await readUntil(stream, 'input_requested');
  // The run waits, so the stream's long poll waits with it.
  await eventually(async () => historyCalls.inFlight === 1);
  stream.close();
  // Temporal would hold an abandoned long poll for about 20 s; a cancelled one ends at once.
  await eventually(async () => historyCalls.inFlight === 0, 5000);

  const callsAfterDisconnect = historyCalls.started;
  const handle = env.worker.client.workflow.getHandle(runId);
  await handle.signal('human_input', { value: 'nothing' });
  await handle.result();
  // New history events would have woken any poll still going, and it would have asked again.
  expect(historyCalls.started).toBe(callsAfterDisconnect);
  expect(historyCalls.inFlight).toBe(0);
});
