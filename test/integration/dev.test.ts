import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { freePort, stopProcess } from '../../temporal/dev-server';
import { eventually, projectRoot } from '../support/agent-env';
import { natsServerBinary } from '../support/nats-server';
import { toolResultsSeen } from '../support/requests';
import { openSse } from '../support/sse';
import { startScriptedProvider, type ScriptedProvider } from '../../src/testing/scripted-model';

/**
 * `npm run dev` as a user runs it, with the shipped config: it starts its own Temporal dev server
 * (with the Web UI, a persistent file and metrics on the port asked for), a worker and the API, and
 * says ready once the worker polls; a run of the `calc` workflow makes a real tool round trip
 * through server-everything; a killed worker is restarted while the rest stays up; Ctrl-C stops
 * everything.
 */

let provider: ScriptedProvider;
let dev: ChildProcess;
let output = '';
let api: string;
let ui: string;
let metricsPort: number;
let temporalAddress: string;
let workDir: string;
/** The pid of the worker process the launcher said was polling at start-up. */
let firstWorkerPid: number;
/** Whether a worker identity polled the task queue for workflow and activity tasks when "ready" was said. */
let pollingWhenReady: { workflow: boolean; activity: boolean };

const READY = /ready: API at (\S+)/;

async function polls(taskQueueType: temporal.api.enums.v1.TaskQueueType, identity: string): Promise<boolean> {
  const connection = await Connection.connect({ address: temporalAddress });
  try {
    const { pollers } = await connection.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: 'mcp-agent' },
      taskQueueType,
    });
    return (pollers ?? []).some((poller) => poller.identity === identity);
  } finally {
    await connection.close();
  }
}

/** Resolves with the first match of `pattern` in the launcher's output from `from` on. */
function outputMatch(pattern: RegExp, timeoutMs: number, from = 0): Promise<RegExpMatchArray> {
  return eventually(async () => {
    if (dev.exitCode !== null) throw new Error(`npm run dev exited early:\n${output}`);
    return output.slice(from).match(pattern) ?? undefined;
  }, timeoutMs);
}

beforeAll(async () => {
  provider = await startScriptedProvider();
  const [temporalPort, uiPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  metricsPort = await freePort();
  temporalAddress = `127.0.0.1:${temporalPort}`;
  api = `http://127.0.0.1:${apiPort}`;
  ui = `http://127.0.0.1:${uiPort}`;
  workDir = mkdtempSync(path.join(os.tmpdir(), 'mcp-agent-dev-'));
  dev = spawn(process.execPath, [require.resolve('tsx/cli'), path.join(projectRoot, 'src', 'dev', 'main.ts')], {
    cwd: workDir,
    env: {
      ...process.env,
      MCP_AGENT_CONFIG: path.join(projectRoot, 'mcp_agent.config.yaml'),
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_UI_URL: ui,
      TEMPORAL_CLI_PATH: process.env.TEMPORAL_TEST_CLI_PATH,
      PORT: String(apiPort),
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: provider.openaiBaseUrl,
      LOG_LEVEL: 'warn',
      MCP_AGENT_DEV_METRICS_PORT: String(metricsPort),
      // Found as .ci/run installs it; named here so a nats-server on PATH cannot stand in.
      NATS_SERVER_PATH: natsServerBinary(),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  dev.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  dev.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const ready = await outputMatch(READY, 90_000);
  // Asked at once: whoever was polling when "ready" was said.
  const [, pid] = output.match(/worker \(pid (\d+)\) is polling task queue "mcp-agent"/) ?? [];
  firstWorkerPid = Number(pid);
  const identity = `${firstWorkerPid}@${os.hostname()}`;
  const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;
  pollingWhenReady = {
    workflow: await polls(TASK_QUEUE_TYPE_WORKFLOW, identity),
    activity: await polls(TASK_QUEUE_TYPE_ACTIVITY, identity),
  };
  expect(ready[1]).toBe(api);
}, 120_000);

afterAll(async () => {
  if (dev) await stopProcess(dev, 30_000);
  await provider?.close();
});

async function calcRoundTrip(a: number, b: number): Promise<{ runId: string; links: { ui: string } }> {
  provider.script('gpt-4o-mini', [{ toolCalls: [{ name: 'everything-get-sum', arguments: { a, b } }] }, { text: String(a + b) }]);
  const started = await fetch(`${api}/workflows/calc/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ input: `What is ${a} + ${b}?` }),
  });
  expect(started.status).toBe(202);
  const run = (await started.json()) as { runId: string; links: { ui: string } };
  const done = await (await fetch(`${api}/runs/${run.runId}/result?wait=30`)).json();
  expect(done).toMatchObject({ status: 'completed', result: { text: String(a + b) } });
  const requests = provider.requests('gpt-4o-mini');
  expect(toolResultsSeen(requests[requests.length - 1])[0].content).toBe(`The sum of ${a} and ${b} is ${a + b}.`);
  return run;
}

test('says ready only once its worker polls the task queue for workflow and activity tasks, and the API answers', async () => {
  expect(firstWorkerPid).toBeGreaterThan(0);
  expect(pollingWhenReady).toEqual({ workflow: true, activity: true });
  expect((await fetch(`${api}/health`)).status).toBe(200);
});

test('serves the API, the Web UI and a worker that completes a tool round trip', async () => {
  const workflows = (await (await fetch(`${api}/workflows`)).json()) as { workflows: unknown[] };
  expect(workflows.workflows).toContainEqual(expect.objectContaining({ name: 'calc', type: 'agent' }));

  const run = await calcRoundTrip(19, 23);
  expect(run.links.ui).toBe(`${ui}/namespaces/default/workflows/${run.runId}`);

  const page = await fetch(ui);
  expect(page.status).toBe(200);
  expect(output).toMatch(/Temporal CLI: .* \(found via /);
});

test('streams a reply through the nats-server it started: llm_delta events before llm_finished', async () => {
  expect(output).toMatch(/token streaming through nats-server at nats:\/\/127\.0\.0\.1:\d+/);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  provider.script('gpt-4o-mini', [{ text: 'Streamed in dev.', chunkChars: 4, chunkDelayMs: 50, holdUntil: held }]);
  const started = await fetch(`${api}/workflows/calc/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ input: 'Say something.' }),
  });
  const { runId } = (await started.json()) as { runId: string };
  const stream = await openSse(`${api}/runs/${runId}/events`);
  const first = await stream.next();
  expect(first?.event).toBe('run_started');
  release();
  const types: string[] = [];
  let text = '';
  for (const message of await stream.rest()) {
    types.push(message.event);
    if (message.event === 'llm_delta') text += (JSON.parse(message.data) as { data: { text?: string } }).data.text ?? '';
  }
  expect(text).toBe('Streamed in dev.');
  expect(types.indexOf('llm_delta')).toBeGreaterThan(types.indexOf('llm_started'));
  expect(types.lastIndexOf('llm_delta')).toBeLessThan(types.indexOf('llm_finished'));
});

test('the log has no webpack stats, and no provider warning when a key is set', () => {
  expect(output).not.toMatch(/webpack|workflow-bundle-|orphan modules|modules by path/);
  expect(output).not.toMatch(/no model provider is configured/);
});

test('the Temporal dev server serves its metrics on the port MCP_AGENT_DEV_METRICS_PORT names', async () => {
  const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  expect(metrics.status).toBe(200);
  expect(await metrics.text()).toMatch(/^# TYPE /m);
  expect(output).toContain(`Temporal metrics at http://127.0.0.1:${metricsPort}/metrics`);
});

test('a killed worker is restarted with a clear log line while the API and Temporal stay up, and runs go on', async () => {
  const from = output.length;
  process.kill(firstWorkerPid, 'SIGKILL');
  await outputMatch(new RegExp(`worker \\(pid ${firstWorkerPid}\\) was killed by SIGKILL after \\d+ s; restarting it in 1 s`), 30_000, from);
  const [, pid] = await outputMatch(/worker \(pid (\d+)\) is polling task queue "mcp-agent" again/, 90_000, from);
  expect(Number(pid)).not.toBe(firstWorkerPid);
  expect(dev.exitCode).toBeNull();
  expect((await fetch(`${api}/health`)).status).toBe(200);
  await calcRoundTrip(20, 22);
});

test('Ctrl-C stops every child and exits cleanly', async () => {
  const [, workerPid] = [...output.matchAll(/worker \(pid (\d+)\) is polling/g)].pop() ?? [];
  const exited = new Promise<number | null>((resolve) => dev.once('exit', (code) => resolve(code)));
  const before = output.length;
  dev.kill('SIGINT');
  expect(await exited).toBe(0);
  // The Temporal server it stops says nothing more: its shutdown chatter would bury the last real lines.
  expect(output.slice(before)).not.toMatch(/\[temporal/);
  // Children it stops are not reported as failures.
  expect(output.slice(before)).not.toMatch(/error:/);
  expect(() => process.kill(Number(workerPid), 0)).toThrow();
  await expect(fetch(`${api}/health`)).rejects.toThrow();
  await expect(fetch(ui)).rejects.toThrow();
});
