import path from 'node:path';
import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { ConfigInput } from '../../src/config/schema';
import { resolveRun } from '../../src/config/resolve';
import { startOptions } from '../../client/runs';
import { startFixtureHttpServer } from '../fixtures/mcp-fixture-server';
import { startTestWorker, testConfig, uniqueTaskQueue, type TestWorker } from './harness';
import { fetchTreeHistories, maybeRecord, replayFailures } from './replay';
import { startScriptedProvider, type ScriptedProvider } from '../../src/testing/scripted-model';

/**
 * Everything an agent test drives: the scripted provider (both wire formats), the fixture MCP server
 * over streamable HTTP and stdio, server-everything over stdio, and an in-process worker.
 */

export const projectRoot = path.resolve(__dirname, '..', '..');
const everythingEntry = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');
const fixtureEntry = path.join(projectRoot, 'test', 'fixtures', 'mcp-fixture-server.ts');
const tsxCli = require.resolve('tsx/cli');

export interface AgentEnv {
  provider: ScriptedProvider;
  worker: TestWorker;
  fixtureUrl: string;
  /** Every run this env started, for replay checks. */
  handles: WorkflowHandle[];
  /** Starts a run of a config workflow, or an ad-hoc spec when `spec` is given. */
  start(name: string, input: unknown, spec?: unknown): Promise<WorkflowHandleWithFirstExecutionRunId>;
  close(): Promise<void>;
}

export function mcpServers(fixtureUrl: string): NonNullable<ConfigInput['mcp']>['servers'] {
  return {
    everything: { command: process.execPath, args: [everythingEntry, 'stdio'] },
    fixture: { url: fixtureUrl },
    local: { command: process.execPath, args: [tsxCli, fixtureEntry, 'stdio'] },
  };
}

export async function startAgentEnv(
  configFor: (provider: ScriptedProvider, fixtureUrl: string) => ConfigInput,
): Promise<AgentEnv> {
  const provider = await startScriptedProvider();
  const fixture = await startFixtureHttpServer();
  const config = testConfig(configFor(provider, fixture.url), uniqueTaskQueue('agent'));
  const worker = await startTestWorker(config);
  let counter = 0;
  const handles: WorkflowHandle[] = [];
  return {
    provider,
    worker,
    fixtureUrl: fixture.url,
    handles,
    async start(name, input, spec) {
      const run = resolveRun(config, name, spec);
      const handle = await worker.client.workflow.start(
        run.workflowType,
        startOptions({ ...run, input }, `${name}-test-${Date.now()}-${++counter}`, worker.taskQueue),
      );
      handles.push(handle);
      return handle;
    },
    async close() {
      await checkReplay(worker, handles);
      await worker.stop();
      await fixture.close();
      await provider.close();
    },
  };
}

/** Base config pointing both providers at the scripted server. */
export function providerConfig(provider: ScriptedProvider): ConfigInput {
  return {
    anthropic: { api_key: 'test-key', base_url: provider.anthropicBaseUrl },
    openai: { api_key: 'test-key', base_url: provider.openaiBaseUrl },
  };
}

/** Polls `check` until it returns a truthy value (tests wait on workflow state this way). */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Every run a test file made, and every child of theirs, must replay on the current workflow code.
 * With RECORD_HISTORIES=1 they also become the fixtures of test/integration/replay.test.ts.
 */
async function checkReplay(worker: TestWorker, handles: WorkflowHandle[]): Promise<void> {
  const closed = [];
  for (const handle of handles) {
    if ((await handle.describe()).status.name !== 'RUNNING') closed.push(handle.workflowId);
  }
  const histories = await fetchTreeHistories(worker.client, closed);
  const failures = await replayFailures(histories);
  if (failures.length > 0) throw new Error(`histories that do not replay:\n${JSON.stringify(failures, null, 2)}`);
  const file = path.basename(expect.getState().testPath ?? 'run', '.test.ts');
  histories.forEach((history, index) => maybeRecord(`${file}-${index + 1}`, history.workflowId));
}
