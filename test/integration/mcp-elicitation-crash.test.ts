import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { ConfigInput } from '../../src/config/schema';
import { resolveRun } from '../../src/config/resolve';
import { startOptions } from '../../client/runs';
import type { AgentResult } from '../../workflows/agent';
import { stateQuery } from '../../workflows/definitions';
import { MCP_SERVER_REQUEST_UPDATE } from '../../src/mcp/server-requests';
import { startScriptedProvider, type ScriptedProvider } from '../../src/testing/scripted-model';
import { startApi, type RunningApi } from '../support/api-http';
import { eventually, mcpServers, providerConfig } from '../support/agent-env';
import { testConfig, uniqueTaskQueue } from '../support/harness';
import { toolResultsSeen } from '../support/requests';
import { testTemporalAddress } from '../support/temporal-env';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

/**
 * An MCP server's elicitation (and sampling) across a worker SIGKILL, with worker processes as operators run them
 * and the fixture server over stdio (a child of the worker, so it dies with it). The tool call's
 * next attempt, on another worker and a new server process, asks the same question; it is not
 * asked of the person again, and whatever they answered reaches the tool.
 */

jest.setTimeout(180_000);

let provider: ScriptedProvider;
let connection: Connection;
let client: Client;
let running: RunningApi;
let scratch: string;
const taskQueue = uniqueTaskQueue('elicit-crash');
const workers: WorkerProcess[] = [];

function workerConfig(): ConfigInput {
  // The stdio fixture only: the HTTP one is not started here.
  const { local } = mcpServers('http://127.0.0.1:9/mcp')!;
  return { ...providerConfig(provider), mcp: { servers: { local: { ...local, sampling: { model: 'crash-sampler' } } } } };
}

beforeAll(async () => {
  [provider, connection] = await Promise.all([startScriptedProvider(), Connection.connect({ address: testTemporalAddress() })]);
  client = new Client({ connection });
  running = await startApi(testConfig(workerConfig(), taskQueue));
  scratch = mkdtempSync(path.join(tmpdir(), 'elicit-crash-'));
  // Bundling is the slow part of a start: all three at once.
  workers.push(
    ...(await Promise.all(['worker A', 'worker B', 'worker C'].map((label) => startWorkerProcess({ config: workerConfig(), taskQueue, label })))),
  );
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await running?.close();
  await connection?.close();
  await provider?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

let counter = 0;

async function startRun(model: string, toolArguments: Record<string, unknown>, tool = 'local-ask'): Promise<WorkflowHandle> {
  provider.script(model, [{ toolCalls: [{ name: tool, arguments: toolArguments }] }, { text: 'Got it.' }]);
  const config = testConfig(workerConfig(), taskQueue);
  const spec = { type: 'agent', agent: { instruction: 'You ask.', provider: 'openai', model, servers: ['local'] } };
  const run = resolveRun(config, 'agent', spec);
  return client.workflow.start(run.workflowType, startOptions({ ...run, input: 'Ask me.' }, `${model}-run`, taskQueue));
}

/** The worker whose process runs the stdio server that asked (its pid is the server's parent). */
function workerRunningTool(handle: WorkflowHandle): Promise<WorkerProcess> {
  return eventually(async () => {
    const { raw } = await handle.describe();
    const identity = raw.pendingActivities?.find((a) => a.activityType?.name === 'mcpCallTool')?.lastWorkerIdentity;
    return workers.find((w) => w.identity === identity && identity);
  });
}

/** The attempt of the tool call in flight (Temporal writes an attempt's start to history only once it ends). */
async function toolAttempt(handle: WorkflowHandle): Promise<number | undefined> {
  const { raw } = await handle.describe();
  return raw.pendingActivities?.find((a) => a.activityType?.name === 'mcpCallTool')?.attempt ?? undefined;
}

async function historyFacts(handle: WorkflowHandle): Promise<{ serverRequestUpdates: number; attempts: number }> {
  const { events } = await handle.fetchHistory();
  const accepted = (events ?? []).filter(
    (e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === MCP_SERVER_REQUEST_UPDATE,
  );
  const started = (events ?? []).filter((e) => e.activityTaskStartedEventAttributes && e.activityTaskStartedEventAttributes.attempt);
  return { serverRequestUpdates: accepted.length, attempts: Math.max(...started.map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 1)) };
}

async function inputRequestedEvents(runId: string): Promise<number> {
  const text = await (await fetch(`${running.api.url}/runs/${encodeURIComponent(runId)}/events`)).text();
  return text.split('\n').filter((line) => line === 'event: input_requested').length;
}

async function waitForClose(handle: WorkflowHandle): Promise<AgentResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result: ${workers.map((w) => w.output()).join('\n')}`)), 90_000);
  });
  try {
    return (await Promise.race([handle.result(), timeout])) as AgentResult;
  } finally {
    clearTimeout(timer);
  }
}

test('killed while the question waits: the next attempt waits on the same request, and the answer reaches the tool', async () => {
  const model = `elicit-kill-wait-${++counter}-${Date.now()}`;
  const handle = await startRun(model, { question: 'Who is there?' });
  const pending = await eventually(async () => (await handle.query(stateQuery)).pendingInput, 60_000);
  expect(pending.kind).toBe('elicitation');
  const doomed = await workerRunningTool(handle);
  doomed.kill('SIGKILL');
  await doomed.exited;
  workers.splice(workers.indexOf(doomed), 1);

  // Another worker's attempt of the tool call asks again, under the same key: the same request stays pending.
  await eventually(async () => ((await toolAttempt(handle)) ?? 0) >= 2, 60_000);
  const after = await eventually(async () => (await handle.query(stateQuery)).pendingInput, 30_000);
  expect(after.requestId).toBe(pending.requestId);

  const answer = await running.api.post(`/runs/${handle.workflowId}/input`, { value: { action: 'accept', content: { name: 'Grace' } } });
  expect(answer.status).toBe(202);
  const result = await waitForClose(handle);
  expect(result.text).toBe('Got it.');
  const [seen] = toolResultsSeen(provider.requests(model)[1]);
  expect(seen.content).toContain('answer: {"action":"accept","content":{"name":"Grace"}}');
  expect(await inputRequestedEvents(handle.workflowId)).toBe(1);
  expect((await historyFacts(handle)).serverRequestUpdates).toBe(1);
});

test('killed after the answer, before the tool returned: the next attempt gets the answer already given, nobody is asked again', async () => {
  const model = `elicit-kill-answered-${++counter}-${Date.now()}`;
  const marker = path.join(scratch, `${model}.hold`);
  const handle = await startRun(model, { question: 'Your name?', hold_marker: marker });
  await eventually(async () => (await handle.query(stateQuery)).pendingInput, 60_000);
  const doomed = await workerRunningTool(handle);

  const answer = await running.api.post(`/runs/${handle.workflowId}/input`, { value: { action: 'accept', content: { name: 'Ada', age: 36 } } });
  expect(answer.status).toBe(202);
  // The server got its answer and holds the tool call (a minute) before it would return: now the worker dies.
  await eventually(async () => (await handle.query(stateQuery)).pendingInput === undefined, 30_000);
  await eventually(async () => existsSync(marker), 30_000);
  doomed.kill('SIGKILL');
  await doomed.exited;

  const result = await waitForClose(handle);
  expect(result.text).toBe('Got it.');
  const [seen] = toolResultsSeen(provider.requests(model)[1]);
  expect(seen.content).toContain('answer: {"action":"accept","content":{"name":"Ada","age":36}}');
  expect(await inputRequestedEvents(handle.workflowId)).toBe(1);
  const facts = await historyFacts(handle);
  expect(facts.attempts).toBeGreaterThanOrEqual(2);
  expect(facts.serverRequestUpdates).toBe(1);
});

test('killed after a sampling answer, before the tool returned: the next attempt gets the same completion, the model is not called again', async () => {
  const model = `sample-kill-${++counter}-${Date.now()}`;
  const marker = path.join(scratch, `${model}.hold`);
  provider.script('crash-sampler', [{ text: 'Sampled once.', usage: { input: 5, output: 2 } }, { text: 'Sampled twice!' }]);
  const standby = await startWorkerProcess({ config: workerConfig(), taskQueue, label: 'worker D' });
  workers.push(standby);
  const handle = await startRun(model, { text: 'durable things', hold_marker: marker }, 'local-summarize');
  await eventually(async () => existsSync(marker), 60_000);
  const doomed = await workerRunningTool(handle);
  doomed.kill('SIGKILL');
  await doomed.exited;

  const result = await waitForClose(handle);
  expect(result.text).toBe('Got it.');
  expect(provider.requests('crash-sampler')).toHaveLength(1);
  const [seen] = toolResultsSeen(provider.requests(model)[1]);
  expect(JSON.parse(seen.content)).toMatchObject({ content: { type: 'text', text: 'Sampled once.' }, model: 'crash-sampler' });
  expect(result.usage).toMatchObject({ llmCalls: 3, inputTokens: expect.any(Number) });
  const facts = await historyFacts(handle);
  expect(facts.attempts).toBeGreaterThanOrEqual(2);
  expect(facts.serverRequestUpdates).toBe(1);
});
