import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, stopProcess } from '../../temporal/dev-server';
import { eventually, projectRoot } from '../support/agent-env';
import { toolResultsSeen } from '../support/requests';
import { startScriptedProvider, type ScriptedProvider } from '../support/scripted-provider';

/**
 * `npm run dev` as a user runs it, with the shipped config: it starts its own Temporal dev server
 * (with the Web UI and a persistent file), a worker and the API; a run of the `calc` workflow makes
 * a real tool round trip through server-everything; Ctrl-C stops everything.
 */

let provider: ScriptedProvider;
let dev: ChildProcess;
let output = '';
let api: string;
let ui: string;
let workDir: string;

beforeAll(async () => {
  provider = await startScriptedProvider();
  const [temporalPort, uiPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  api = `http://127.0.0.1:${apiPort}`;
  ui = `http://127.0.0.1:${uiPort}`;
  workDir = mkdtempSync(path.join(os.tmpdir(), 'mcp-agent-dev-'));
  dev = spawn(process.execPath, [require.resolve('tsx/cli'), path.join(projectRoot, 'src', 'dev', 'main.ts')], {
    cwd: workDir,
    env: {
      ...process.env,
      MCP_AGENT_CONFIG: path.join(projectRoot, 'mcp_agent.config.yaml'),
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      TEMPORAL_UI_URL: ui,
      TEMPORAL_CLI_PATH: process.env.TEMPORAL_TEST_CLI_PATH,
      PORT: String(apiPort),
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: provider.openaiBaseUrl,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  dev.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  dev.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await eventually(async () => {
    if (dev.exitCode !== null) throw new Error(`npm run dev exited early:\n${output}`);
    const health = await fetch(`${api}/health`).catch(() => undefined);
    return health?.status === 200;
  }, 90_000);
}, 120_000);

afterAll(async () => {
  if (dev) await stopProcess(dev, 30_000);
  await provider?.close();
});

test('serves the API, the Web UI and a worker that completes a tool round trip', async () => {
  provider.script('gpt-4o-mini', [
    { toolCalls: [{ name: 'everything-get-sum', arguments: { a: 19, b: 23 } }] },
    { text: '42' },
  ]);
  const workflows = (await (await fetch(`${api}/workflows`)).json()) as { workflows: unknown[] };
  expect(workflows.workflows).toContainEqual(expect.objectContaining({ name: 'calc', type: 'agent' }));

  const started = await fetch(`${api}/workflows/calc/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ input: 'What is 19 + 23?' }),
  });
  expect(started.status).toBe(202);
  const run = (await started.json()) as { runId: string; links: { ui: string } };
  expect(run.links.ui).toBe(`${ui}/namespaces/default/workflows/${run.runId}`);

  const done = await (await fetch(`${api}/runs/${run.runId}/result?wait=30`)).json();
  expect(done).toMatchObject({ status: 'completed', result: { text: '42' } });
  expect(toolResultsSeen(provider.requests('gpt-4o-mini')[1])[0].content).toBe('The sum of 19 and 23 is 42.');

  const page = await fetch(ui);
  expect(page.status).toBe(200);
  expect(output).toMatch(/Temporal CLI: .* \(found via /);
});

test('Ctrl-C stops every child and exits cleanly', async () => {
  const exited = new Promise<number | null>((resolve) => dev.once('exit', (code) => resolve(code)));
  dev.kill('SIGINT');
  expect(await exited).toBe(0);
  await expect(fetch(`${api}/health`)).rejects.toThrow();
  await expect(fetch(ui)).rejects.toThrow();
});
