import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { stringify } from 'yaml';
import { resolveRun } from '../src/config/resolve';
import { configSchema, type Config } from '../src/config/schema';
import type { ScriptedProvider, ScriptedReply } from '../src/testing/scripted-model';
import { startDevServer, type DevServer } from '../temporal/dev-server';
import { toolResultsSeen } from '../test/support/requests';
import type { DynamicConfigValue } from '../temporal/tuning';
import type { AgentResult } from '../workflows/agent';
import type { dispatchLoop } from './dispatch-workflows';
import { startWorkerChild, type WorkerChild } from './worker-child';

/**
 * What the turn-overhead, throughput and sticky benches share: a headless dev server, worker
 * processes for the project's workflows and for Temporal's floor (bench/dispatch-workflows.ts, two
 * no-op activities per iteration), and runs of an agent whose every turn calls one tool.
 */

export const FLOOR_TASK_QUEUE = 'bench-floor';
const projectRoot = path.resolve(__dirname, '..');

export interface StackOptions {
  cliPath: string;
  name: string;
  /** `--dynamic-config-value`s; absent: temporal/tuning.ts, as `npm run dev` starts the server. `{}`: Temporal's defaults. */
  dynamicConfig?: Readonly<Record<string, DynamicConfigValue>>;
  provider: ScriptedProvider;
  fixtureUrl: string;
}

export interface Stack {
  name: string;
  server: DevServer;
  config: Config;
  client: Client;
  provider: ScriptedProvider;
  fixtureUrl: string;
}

let runCounter = 0;

/** The bench's config file sections: the scripted provider, the fixture over streamable HTTP, and the same server marked local. */
function benchSections(provider: ScriptedProvider, fixtureUrl: string) {
  return {
    openai: { api_key: 'bench', base_url: provider.openaiBaseUrl },
    anthropic: { api_key: 'bench', base_url: provider.anthropicBaseUrl },
    mcp: { servers: { fixture: { url: fixtureUrl }, quick: { url: fixtureUrl, local: true } } },
  };
}

/** The config the bench starts runs with (the workers load the same sections from `writeWorkerConfig`'s file). */
export function benchConfig(address: string, taskQueue: string, provider: ScriptedProvider, fixtureUrl: string): Config {
  return configSchema.parse({ temporal: { address, task_queue: taskQueue }, ...benchSections(provider, fixtureUrl) });
}

/** A dev server and a client of it (no workers: see `startWorkers`); closers go to the front of `closers`. */
export async function startStack(options: StackOptions, closers: Array<() => Promise<void>>): Promise<Stack> {
  const server = await startDevServer({ cliPath: options.cliPath, uiPort: false, dynamicConfig: options.dynamicConfig });
  closers.unshift(() => server.stop());
  const config = benchConfig(server.address, `bench-${options.name}-${process.pid}`, options.provider, options.fixtureUrl);
  const connection = await Connection.connect({ address: server.address });
  closers.unshift(() => connection.close());
  return { name: options.name, server, config, client: new Client({ connection }), provider: options.provider, fixtureUrl: options.fixtureUrl };
}

/**
 * Writes a config file (YAML) for a stack's project workers: `benchConfig`'s provider and servers,
 * blobs beside the file; `temporalSection` goes in as it is (address and task queue come from the
 * environment the worker is started with).
 */
export function writeWorkerConfig(stack: Stack, file: string, temporalSection: Record<string, unknown> = {}): string {
  writeFileSync(
    file,
    stringify({
      temporal: temporalSection,
      ...benchSections(stack.provider, stack.fixtureUrl),
      storage: { path: path.join(path.dirname(file), 'storage') },
    }),
  );
  return file;
}

export interface StackWorkers {
  /** worker/main.ts on the stack's task queue, started as an operator starts it. */
  project: WorkerChild;
  /** bench/floor-worker.ts on FLOOR_TASK_QUEUE. */
  floor: WorkerChild;
  /** The project worker's config file. */
  configFile: string;
}

/**
 * The stack's project worker and floor worker, each a process of its own like a deployment's
 * (the scripted provider and the MCP fixture stay in the bench's process, as a model and a server
 * are elsewhere); resolves once both poll for workflow and activity tasks. With `profileDir`, each
 * writes CPU profiles (node --cpu-prof) to `<profileDir>/agent` or `<profileDir>/floor` when it stops.
 */
export async function startWorkers(stack: Stack, dir: string, closers: Array<() => Promise<void>>, profileDir?: string): Promise<StackWorkers> {
  const configFile = writeWorkerConfig(stack, path.join(dir, `${stack.name}-worker.yaml`));
  const address = stack.server.address;
  const profile = (worker: string) => (profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir, worker)}`] : []);
  // Each one's closer goes in as soon as it runs, so that one failing to start leaves no other behind.
  const started = <T extends WorkerChild>(child: T): T => {
    closers.unshift(() => child.stop());
    return child;
  };
  const [project, floor] = await Promise.all([
    startWorkerChild(`${stack.name}-worker`, [...profile('agent'), path.join(projectRoot, 'worker', 'main.ts')], {
      MCP_AGENT_CONFIG: configFile,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TASK_QUEUE: stack.config.temporal.task_queue,
    }, dir).then(started),
    startWorkerChild(`${stack.name}-floor-worker`, [...profile('floor'), path.join(__dirname, 'floor-worker.ts')], {
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TASK_QUEUE: FLOOR_TASK_QUEUE,
    }, dir).then(started),
  ]);
  await waitForPollers(stack, stack.config.temporal.task_queue);
  await waitForPollers(stack, FLOOR_TASK_QUEUE);
  return { project, floor, configFile };
}

/** Resolves once someone polls the task queue for workflow tasks and for activities (fails after a minute). */
export async function waitForPollers(stack: Stack, taskQueue: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (const taskQueueType of [temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY]) {
    for (;;) {
      const { pollers } = await stack.client.workflowService.describeTaskQueue({ namespace: stack.config.temporal.namespace, taskQueue: { name: taskQueue }, taskQueueType });
      if ((pollers ?? []).length > 0) break;
      if (Date.now() > deadline) throw new Error(`nobody polls task queue ${taskQueue} after a minute (namespace ${stack.config.temporal.namespace})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Runs the floor workflow: the workflow clock at the start of each iteration and after the last one. */
export async function floorRun(stack: Stack, iterations: number): Promise<{ stamps: number[]; handle: WorkflowHandle }> {
  const handle = await stack.client.workflow.start<typeof dispatchLoop>('dispatchLoop', {
    taskQueue: FLOOR_TASK_QUEUE,
    workflowId: `floor-${process.pid}-${++runCounter}`,
    args: [iterations],
  });
  return { stamps: await handle.result(), handle };
}

/** `turns` turns that each call `tool` once, then a final answer. */
export function toolTurns(tool: string, turns: number): ScriptedReply[] {
  return [
    ...Array.from({ length: turns }, (_, i) => ({ toolCalls: [{ name: tool, arguments: { a: i, b: 1 } }] })),
    { text: 'done' },
  ];
}

/** Starts an agent run of `turns` tool turns on `server` (fixture: ordinary activities; quick: local ones). */
export async function startAgentRun(stack: Stack, server: 'fixture' | 'quick', turns: number) {
  const id = `bench-${stack.name}-${server}-${turns}-${process.pid}-${++runCounter}`;
  stack.provider.script(id, toolTurns(`${server}-add`, turns));
  const run = resolveRun(stack.config, 'agent', {
    type: 'agent',
    agent: { instruction: 'bench', provider: 'openai', model: id, servers: [server], max_iterations: turns + 1 },
  });
  const handle = await stack.client.workflow.start(run.workflowType, {
    args: [{ name: run.name, spec: run.spec, input: 'bench' }],
    taskQueue: stack.config.temporal.task_queue,
    workflowId: id,
  });
  return { id, handle, turns, stack };
}

/** A run's result, checked: a run that went wrong would time something else. */
export async function finishAgentRun(run: Awaited<ReturnType<typeof startAgentRun>>): Promise<AgentResult> {
  const result = (await run.handle.result()) as AgentResult;
  const requests = run.stack.provider.requests(run.id);
  const failed = toolResultsSeen(requests[requests.length - 1]).filter((r) => r.isError);
  if (result.stopReason !== 'final_answer' || result.iterations !== run.turns + 1 || result.usage.toolCalls !== run.turns || failed.length > 0) {
    throw new Error(`run ${run.id} did not go as scripted: ${JSON.stringify({ result, failed })}`);
  }
  return result;
}
