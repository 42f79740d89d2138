import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import { resolveRun } from '../src/config/resolve';
import { configSchema, type Config } from '../src/config/schema';
import type { ScriptedProvider, ScriptedReply } from '../src/testing/scripted-model';
import { startDevServer, type DevServer } from '../temporal/dev-server';
import { toolResultsSeen } from '../test/support/requests';
import type { DynamicConfigValue } from '../temporal/tuning';
import { bundleWorkflows, createWorker } from '../worker/create';
import type { AgentResult } from '../workflows/agent';
import type { DispatchActivities, dispatchLoop } from './dispatch-workflows';

/**
 * What the turn-overhead and throughput benches share: a headless dev server with a worker for the
 * project's workflows and one for Temporal's floor (bench/dispatch-workflows.ts, two no-op
 * activities per iteration), and runs of an agent whose every turn calls one tool.
 */

export const FLOOR_TASK_QUEUE = 'bench-floor';

export interface Bundles {
  project: WorkflowBundle;
  floor: WorkflowBundle;
}

export async function bundles(): Promise<Bundles> {
  const [project, floor] = await Promise.all([
    bundleWorkflows(),
    bundleWorkflowCode({
      workflowsPath: require.resolve('./dispatch-workflows'),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error: (m) => console.error(m), log() {} },
    }),
  ]);
  return { project, floor };
}

export interface StackOptions {
  cliPath: string;
  name: string;
  /** `--dynamic-config-value`s; absent: temporal/tuning.ts, as `npm run dev` starts the server. `{}`: Temporal's defaults. */
  dynamicConfig?: Readonly<Record<string, DynamicConfigValue>>;
  provider: ScriptedProvider;
  fixtureUrl: string;
  /** The in-process workers' bundles; none: no workers here (they run in other processes). */
  bundles?: Bundles;
}

export interface Stack {
  name: string;
  server: DevServer;
  config: Config;
  client: Client;
  provider: ScriptedProvider;
}

let runCounter = 0;

/** The bench's config: the scripted provider, the fixture over streamable HTTP, and the same server marked local. */
export function benchConfig(address: string, taskQueue: string, provider: ScriptedProvider, fixtureUrl: string): Config {
  return configSchema.parse({
    temporal: { address, task_queue: taskQueue },
    openai: { api_key: 'bench', base_url: provider.openaiBaseUrl },
    anthropic: { api_key: 'bench', base_url: provider.anthropicBaseUrl },
    mcp: { servers: { fixture: { url: fixtureUrl }, quick: { url: fixtureUrl, local: true } } },
  });
}

/** A dev server with the project's worker and the floor's worker, each in this process; closers go to the front of `closers`. */
export async function startStack(options: StackOptions, closers: Array<() => Promise<void>>): Promise<Stack> {
  const server = await startDevServer({ cliPath: options.cliPath, uiPort: false, dynamicConfig: options.dynamicConfig });
  closers.unshift(() => server.stop());
  const config = benchConfig(server.address, `bench-${options.name}-${process.pid}`, options.provider, options.fixtureUrl);
  if (options.bundles) {
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    closers.unshift(() => nativeConnection.close());
    const { worker, pool, storage } = await createWorker({ config, connection: nativeConnection, workflowBundle: options.bundles.project });
    const floorActivities: DispatchActivities = { noop: async () => undefined };
    const floor = await Worker.create({
      connection: nativeConnection,
      taskQueue: FLOOR_TASK_QUEUE,
      workflowBundle: options.bundles.floor,
      activities: floorActivities,
    });
    const running = [worker.run(), floor.run()];
    closers.unshift(async () => {
      worker.shutdown();
      floor.shutdown();
      await Promise.all(running);
      await pool.close();
      storage.close();
    });
  }
  const connection = await Connection.connect({ address: server.address });
  closers.unshift(() => connection.close());
  return { name: options.name, server, config, client: new Client({ connection }), provider: options.provider };
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
