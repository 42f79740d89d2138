import type { Browser } from 'playwright-core';
import { startOptions } from '../../client/runs';
import { runSummary } from '../../client/run-metadata';
import { resolveRun } from '../../src/config/resolve';
import { configSchema, type Config } from '../../src/config/schema';
import { llmSummary, toolSummary } from '../../src/patterns/agent';
import { freePort, startDevServer, type DevServer } from '../../temporal/dev-server';
import { startFixtureHttpServer } from '../fixtures/mcp-fixture-server';
import { eventually, mcpServers, providerConfig } from '../support/agent-env';
import { startApi, type RunningApi } from '../support/api-http';
import { launchChromium } from '../support/browser';
import { startTestWorker, uniqueTaskQueue, type TestWorker } from '../support/harness';
import { testStoragePath } from '../support/temporal-env';
import { startScriptedProvider, type ScriptedProvider } from '../../src/testing/scripted-model';

/**
 * What a person sees of a run in the Temporal Web UI, in a real browser: the run's summary and its
 * activities' summaries, and payloads kept in the store shown through the API's codec endpoint.
 * The suite's dev server is headless, so this file starts its own with the UI, pointed at an API.
 * The browser is the Chromium `npm ci` installs (test/support/browser.ts).
 */

const SCREENSHOTS = {
  timeline: '/tmp/mcp-agent-web-ui-timeline.png',
  metadata: '/tmp/mcp-agent-web-ui-metadata.png',
  /** Where the page was when the test ended, to see why it failed. */
  last: '/tmp/mcp-agent-web-ui-last.png',
};

const MODEL = 'web-ui-calc';
const WORKFLOW = 'calc';
const INPUT = 'What is 2 + 3?\nAnswer with the number only.';

let server: DevServer;
let provider: ScriptedProvider;
let fixture: Awaited<ReturnType<typeof startFixtureHttpServer>>;
let worker: TestWorker;
let browser: Browser;
let api: RunningApi;

function uiConfig(address: string): Config {
  return configSchema.parse({
    ...providerConfig(provider),
    default_provider: 'openai',
    temporal: { address, task_queue: uniqueTaskQueue('web-ui') },
    mcp: { servers: mcpServers(fixture.url) },
    agents: { calculator: { instruction: 'You add numbers with your tools.', servers: ['everything'], model: MODEL } },
    workflows: { [WORKFLOW]: { type: 'agent', agent: 'calculator' } },
    storage: { path: testStoragePath(), payload_threshold_bytes: 2048 },
  });
}

beforeAll(async () => {
  const cliPath = process.env.TEMPORAL_TEST_CLI_PATH;
  if (!cliPath) throw new Error('TEMPORAL_TEST_CLI_PATH is not set: run integration tests through jest (global-setup finds the CLI)');
  const uiPort = await freePort();
  const address = `127.0.0.1:${await freePort()}`;
  provider = await startScriptedProvider();
  fixture = await startFixtureHttpServer();
  // The UI's origin may call the codec; the UI is told where the codec is.
  api = await startApi(uiConfig(address), `http://127.0.0.1:${uiPort}`);
  server = await startDevServer({ cliPath, port: Number(address.split(':')[1]), uiPort, codecEndpoint: `${api.api.url}/codec` });
  worker = await startTestWorker(uiConfig(server.address));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  await api?.close();
  await fixture?.close();
  await provider?.close();
  await server?.stop();
});

const VISIBLE = { state: 'visible', timeout: 30_000 } as const;

test('shows a run with its summary and the summaries of its LLM and tool activities', async () => {
  provider.script(MODEL, [{ toolCalls: [{ name: 'everything-get-sum', arguments: { a: 2, b: 3 } }] }, { text: '5' }]);
  const run = resolveRun(worker.config, WORKFLOW);
  const workflowId = `web-ui-${process.pid}-${Date.now()}`;
  const handle = await worker.client.workflow.start(run.workflowType, startOptions({ ...run, input: INPUT }, workflowId, worker.taskQueue));
  await expect(handle.result()).resolves.toMatchObject({ text: '5' });

  const summary = runSummary(WORKFLOW, INPUT);
  expect(summary).toBe('calc: What is 2 + 3?');
  const activities = [llmSummary('openai', MODEL, 'calculator', 1), toolSummary('everything-get-sum'), llmSummary('openai', MODEL, 'calculator', 2)];

  const page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
  try {
    await page.goto(`${server.uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
    await page.getByRole('heading', { name: workflowId }).waitFor(VISIBLE);
    // The timeline labels each activity `<type> • <summary>`.
    for (const activity of activities) await page.getByText(activity).first().waitFor(VISIBLE);
    await page.screenshot({ path: SCREENSHOTS.timeline, fullPage: true });

    await page.getByText('User Metadata', { exact: true }).click();
    // The UI renders user metadata (summary, details) as Markdown, each in an iframe of its own.
    await eventually(async () => {
      for (const frame of page.frames()) if (await frame.getByText(summary, { exact: true }).isVisible()) return true;
      return false;
    }, 30_000);
    await page.screenshot({ path: SCREENSHOTS.metadata, fullPage: true });
  } finally {
    await page.screenshot({ path: SCREENSHOTS.last, fullPage: true });
    await page.close();
  }
});

test('shows an input kept in the store, read back through the codec endpoint', async () => {
  provider.script(MODEL, [{ text: 'Read it all.' }]);
  const marker = 'the-stored-input-marker';
  const input = `${marker} ${'a long input that leaves history for the store. '.repeat(60)}`;
  const run = resolveRun(worker.config, WORKFLOW);
  const workflowId = `web-ui-stored-${process.pid}-${Date.now()}`;
  const handle = await worker.client.workflow.start(run.workflowType, startOptions({ ...run, input }, workflowId, worker.taskQueue));
  await expect(handle.result()).resolves.toMatchObject({ text: 'Read it all.' });

  const page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
  try {
    await page.goto(`${server.uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
    await page.getByRole('heading', { name: workflowId }).waitFor(VISIBLE);
    // History holds only a claim for the input; the UI shows the input itself.
    await page.getByText(marker).first().waitFor(VISIBLE);
  } finally {
    await page.screenshot({ path: SCREENSHOTS.last, fullPage: true });
    await page.close();
  }
});
