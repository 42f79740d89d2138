import { Client, Connection } from '@temporalio/client';
import os from 'node:os';
import path from 'node:path';
import { startOptions } from '../../client/runs';
import { resolveRun } from '../../src/config/resolve';
import type { ConfigInput } from '../../src/config/schema';
import { startScriptedProvider, type ScriptedProvider } from '../../src/testing/scripted-model';
import { freePort } from '../../temporal/dev-server';
import { startFixtureHttpServer, type FixtureHttpServer } from '../fixtures/mcp-fixture-server';
import { eventually, mcpServers, providerConfig } from '../support/agent-env';
import { startApi, type RunningApi } from '../support/api-http';
import { testConfig, uniqueTaskQueue } from '../support/harness';
import { testTemporalAddress } from '../support/temporal-env';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

/**
 * Prometheus metrics as an operator scrapes them: a worker process with `telemetry.prometheus_address`
 * serves the Temporal SDK's metrics and ours (model calls, tokens, tool calls and their errors by server), and the
 * API serves its requests, runs by status and Temporal's reachability at /metrics.
 */

let provider: ScriptedProvider;
let fixture: FixtureHttpServer;
let worker: WorkerProcess;
let metricsUrl: string;
let connection: Connection;
let client: Client;
let api: RunningApi;
const taskQueue = uniqueTaskQueue('metrics');
const model = `metrics-model-${Date.now()}`;
const slowModel = `${model}-slow`;

function config(): ConfigInput {
  // The model is the config's (an agent's), so it gets a label of its own; others are `other`.
  return {
    ...providerConfig(provider),
    // `local` is the fixture over stdio, whose die_once can end its process mid-call.
    mcp: { servers: { fixture: { url: fixture.url }, local: mcpServers(fixture.url)!.local } },
    agents: {
      adder: { instruction: 'Add.', provider: 'openai', model, servers: ['fixture'] },
      waiter: { instruction: 'Wait.', provider: 'openai', model: slowModel },
    },
  };
}

/** The value of the first sample of `name` whose labels include all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = line.slice(name.length).split('}')[0];
    if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) return Number(line.split(' ').at(-1));
  }
  return undefined;
}

beforeAll(async () => {
  [provider, fixture] = await Promise.all([startScriptedProvider(), startFixtureHttpServer()]);
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  worker = await startWorkerProcess({
    config: { ...config(), telemetry: { prometheus_address: `127.0.0.1:${port}` } },
    taskQueue,
    label: 'metrics worker',
  });
  connection = await Connection.connect({ address: testTemporalAddress() });
  client = new Client({ connection });
  api = await startApi(testConfig(config(), taskQueue));
});

afterAll(async () => {
  await api?.close();
  await worker?.stop();
  await connection?.close();
  await fixture?.close();
  await provider?.close();
});

test("a worker's /metrics has the SDK's metrics and its model and tool calls by model and server", async () => {
  provider.script(model, [
    { toolCalls: [{ name: 'fixture-add', arguments: { a: 2, b: 3 } }], usage: { input: 11, output: 4 } },
    { text: 'The sum is 5.', usage: { input: 20, output: 6 } },
  ]);
  const run = resolveRun(testConfig(config(), taskQueue), 'agent', {
    type: 'agent',
    agent: { instruction: 'Add.', provider: 'openai', model, servers: ['fixture'] },
  });
  const handle = await client.workflow.start(run.workflowType, startOptions({ ...run, input: 'Add 2 and 3.' }, `metrics-${model}`, taskQueue));
  await handle.result();

  const text = await eventually(async () => {
    const body = await (await fetch(metricsUrl)).text();
    return sample(body, 'mcp_agent_llm_calls_total', { model }) === 2 && body;
  });
  expect(sample(text, 'mcp_agent_llm_calls_total', { provider: 'openai', model, outcome: 'ok' })).toBe(2);
  expect(sample(text, 'mcp_agent_llm_calls_total', { model: 'other' })).toBeUndefined();
  expect(sample(text, 'mcp_agent_llm_tokens_total', { model, direction: 'input' })).toBe(31);
  expect(sample(text, 'mcp_agent_llm_tokens_total', { model, direction: 'output' })).toBe(10);
  expect(sample(text, 'mcp_agent_tool_calls_total', { server: 'fixture', tool: 'add', outcome: 'ok' })).toBe(1);
  expect(sample(text, 'mcp_agent_llm_latency_ms_count', { model })).toBe(2);
  expect(sample(text, 'mcp_agent_tool_latency_ms_count', { server: 'fixture' })).toBe(1);
  // The SDK's own, e.g. how long workflow tasks took on this task queue.
  expect(text).toMatch(new RegExp(`temporal_workflow_task_execution_latency_milliseconds_count\\{[^}]*task_queue="${taskQueue}"`));
});

test("a tool's error answer and an attempt that fails outright are counted by server and outcome, and timed", async () => {
  const scrape = async () => (await fetch(metricsUrl)).text();
  // The worker's counters are cumulative over the file's runs: compare with what was there before.
  const before = sample(await scrape(), 'mcp_agent_tool_latency_ms_count', { server: 'fixture' }) ?? 0;
  const marker = path.join(os.tmpdir(), `mcp-metrics-die-${Date.now()}`);
  provider.script(model, [
    // An error answer is the model's to read (tool_error). A server process that dies mid-call twice
    // (the pool reconnects and resends once by itself) fails the attempt (failed), and Temporal's
    // retry reaches a third process, which answers (ok).
    { toolCalls: [{ name: 'fixture-fail', arguments: { message: 'no' } }, { name: 'local-die_once', arguments: { marker, times: 2 } }] },
    { text: 'Done.' },
  ]);
  const run = resolveRun(testConfig(config(), taskQueue), 'agent', {
    type: 'agent',
    agent: { instruction: 'Try.', provider: 'openai', model, servers: ['fixture', 'local'] },
  });
  const handle = await client.workflow.start(run.workflowType, startOptions({ ...run, input: 'Try both.' }, `metrics-errors-${model}`, taskQueue));
  expect(await handle.result()).toMatchObject({ text: 'Done.' });

  const text = await eventually(async () => {
    const body = await scrape();
    return sample(body, 'mcp_agent_tool_calls_total', { server: 'local', tool: 'die_once', outcome: 'ok' }) === 1 && body;
  });
  expect(sample(text, 'mcp_agent_tool_calls_total', { server: 'fixture', tool: 'fail', outcome: 'tool_error' })).toBe(1);
  expect(sample(text, 'mcp_agent_tool_calls_total', { server: 'fixture', tool: 'fail', outcome: 'ok' })).toBeUndefined();
  expect(sample(text, 'mcp_agent_tool_calls_total', { server: 'local', tool: 'die_once', outcome: 'failed' })).toBe(1);
  expect(sample(text, 'mcp_agent_tool_calls_total', { server: 'local', outcome: 'tool_error' })).toBeUndefined();
  // Latency is recorded for every attempt, the failed one included.
  expect(sample(text, 'mcp_agent_tool_latency_ms_count', { server: 'fixture' })).toBe(before + 1);
  expect(sample(text, 'mcp_agent_tool_latency_ms_count', { server: 'local' })).toBe(2);
});

test('a model call its run cancels is aborted within a heartbeat, before the model answers, and counted as cancelled', async () => {
  // Heartbeats go out at 1 s, then every second, where a 4 s throttle let the next one go only at
  // 5 s: a cancel at 1.6 s has until the 4 s heartbeat to land, and the model answers at 4.5 s.
  provider.script(slowModel, [{ text: 'too late', delayMs: 4500, usage: { input: 900, output: 300 } }]);
  const run = resolveRun(testConfig(config(), taskQueue), 'agent', { type: 'agent', agent: 'waiter' });
  const handle = await client.workflow.start(run.workflowType, startOptions({ ...run, input: 'Wait.' }, `metrics-cancel-${model}`, taskQueue));
  const request = await provider.waitForRequest(slowModel, 1);
  // Past the call's first heartbeat, which goes out at once: the cancel must ride a later one.
  await new Promise((resolve) => setTimeout(resolve, 1600));
  await handle.cancel();
  expect(await request.settled).toBe('disconnected');

  const text = await eventually(async () => {
    const body = await (await fetch(metricsUrl)).text();
    return sample(body, 'mcp_agent_llm_calls_total', { model: slowModel }) !== undefined && body;
  });
  expect(sample(text, 'mcp_agent_llm_calls_total', { model: slowModel, outcome: 'cancelled' })).toBe(1);
  expect(sample(text, 'mcp_agent_llm_calls_total', { model: slowModel, outcome: 'failed' })).toBeUndefined();
  expect(sample(text, 'mcp_agent_llm_tokens_total', { model: slowModel })).toBeUndefined();
});

test('a model the config does not name is counted as other, so made-up names cannot grow the series', async () => {
  const madeUp = `made-up-${Date.now()}`;
  provider.script(madeUp, [{ text: 'hi' }]);
  const run = resolveRun(testConfig(config(), taskQueue), 'agent', { type: 'agent', agent: { instruction: 'Hi.', provider: 'openai', model: madeUp } });
  await (await client.workflow.start(run.workflowType, startOptions({ ...run, input: 'hi' }, `metrics-${madeUp}`, taskQueue))).result();
  const text = await eventually(async () => {
    const body = await (await fetch(metricsUrl)).text();
    return sample(body, 'mcp_agent_llm_calls_total', { model: 'other' }) === 1 && body;
  });
  expect(text).not.toContain(madeUp);
});

test("the API's /metrics counts its requests by route and status, runs by status, and says Temporal is up", async () => {
  expect((await api.api.get('/runs/no-such-run')).status).toBe(404);
  expect((await api.api.get('/workflows')).status).toBe(200);
  expect((await api.api.request('DELETE', '/workflows')).status).toBe(405);

  const reply = await api.api.get('/metrics');
  expect(reply.status).toBe(200);
  expect(reply.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = String(reply.body);
  expect(sample(text, 'mcp_agent_api_requests_total', { method: 'GET', route: '/runs/:runId', status: '404' })).toBe(1);
  expect(sample(text, 'mcp_agent_api_requests_total', { method: 'GET', route: '/workflows', status: '200' })).toBe(1);
  expect(sample(text, 'mcp_agent_api_requests_total', { method: 'DELETE', route: 'unmatched', status: '405' })).toBe(1);
  expect(sample(text, 'mcp_agent_api_request_duration_seconds_count', { method: 'GET', route: '/workflows' })).toBe(1);
  expect(sample(text, 'mcp_agent_temporal_up', {})).toBe(1);
  // The suite's runs share the server: at least the one above has completed.
  expect(sample(text, 'mcp_agent_runs', { status: 'completed' })).toBeGreaterThanOrEqual(1);
  expect(sample(text, 'mcp_agent_runs', { status: 'waiting_for_input' })).toBeGreaterThanOrEqual(0);
  expect(text).toContain('mcp_agent_api_process_cpu_seconds_total');
});
