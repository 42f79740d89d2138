import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { stringify } from 'yaml';
import type { ConfigInput } from '../../src/config/schema';
import { testStoragePath, testTemporalAddress } from './temporal-env';

/**
 * Real worker processes (`worker/main.ts`), started the way an operator would: a YAML file named
 * by MCP_AGENT_CONFIG, the Temporal address and task queue from the environment.
 *
 * The process is node itself with tsx's loader (`node --import tsx`), not the `tsx` launcher: the
 * launcher runs the script in a child, so a SIGKILL sent to it would orphan the real worker rather
 * than kill it, and the Temporal identity (`pid@hostname`) would be the child's pid.
 */

const projectRoot = path.resolve(__dirname, '..', '..');
const workerEntry = path.join(projectRoot, 'worker', 'main.ts');

/** Bundling workflows with webpack dominates start-up; several starting at once share the CPU. */
const READY_TIMEOUT_MS = 60_000;

/** Variables the config loader lets win over the file: the file written here must be what counts. */
export const CONFIG_ENV_OVERRIDES = [
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS_CA',
  'TEMPORAL_TLS_CERT',
  'TEMPORAL_TLS_KEY',
  'TEMPORAL_TLS_SERVER_NAME',
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_BASE_URL',
  'OPENAI_API_KEY',
  'OPENAI_BASE_URL',
  'COHERE_API_KEY',
  'LOG_LEVEL',
  'MCP_AGENT_NATS_URL',
];

export interface WorkerProcessOptions {
  /** Everything but `temporal.address` and `temporal.task_queue`, which come from the environment. */
  config: ConfigInput;
  taskQueue: string;
  /** Names the process in failure messages. */
  label: string;
  /** Set after the rest: e.g. another TEMPORAL_ADDRESS, or TEMPORAL_TLS_* and TEMPORAL_API_KEY. */
  env?: NodeJS.ProcessEnv;
}

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WorkerProcess {
  label: string;
  pid: number;
  /** The identity Temporal records for this worker's polls and tasks (the SDK default, `pid@hostname`). */
  identity: string;
  exited: Promise<WorkerExit>;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  kill(signal: NodeJS.Signals): void;
  /** SIGKILL unless already gone, then wait for the exit; for cleanup. */
  stop(): Promise<WorkerExit>;
}

export interface PinoLine {
  msg?: string;
  pid?: number;
  hostname?: string;
}

export function parsePinoLine(line: string): PinoLine | undefined {
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null ? (parsed as PinoLine) : undefined;
  } catch {
    return undefined;
  }
}

export function writeConfigFile(config: ConfigInput): { file: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-agent-worker-'));
  const file = path.join(dir, 'mcp_agent.config.yaml');
  // Every worker process of a test shares the suite's store, as the workers of one deployment must.
  writeFileSync(file, stringify({ ...config, storage: { path: testStoragePath(), ...config.storage } }));
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function workerEnv(configFile: string, taskQueue: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MCP_AGENT_CONFIG: configFile,
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE: taskQueue,
  };
  for (const name of CONFIG_ENV_OVERRIDES) delete env[name];
  return { ...env, ...extra };
}

/** Starts a worker process and resolves once it logs 'worker polling'; rejects with its output if it dies or hangs first. */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const configFile = writeConfigFile(options.config);
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', workerEntry], {
    cwd: projectRoot,
    env: workerEnv(configFile.file, options.taskQueue, options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<WorkerExit>((resolve) => {
    child.once('exit', (code, signal) => {
      configFile.remove();
      resolve({ code, signal });
    });
  });
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));

  const ready = new Promise<PinoLine>((resolve, reject) => {
    let pending = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output += text;
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      const polling = lines.map(parsePinoLine).find((line) => line?.msg === 'worker polling');
      if (polling) resolve(polling);
    });
    void exited.then((exit) => reject(new Error(`${options.label} exited before polling (${describeExit(exit)})`)));
    setTimeout(() => reject(new Error(`${options.label} not polling after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS).unref();
  });

  const kill = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  const line = await ready.catch(async (error: Error) => {
    kill('SIGKILL');
    await exited;
    throw new Error(`${error.message}\n--- ${options.label} output ---\n${output}`);
  });

  return {
    label: options.label,
    pid: child.pid!,
    identity: `${line.pid}@${line.hostname}`,
    exited,
    output: () => output,
    kill,
    async stop() {
      kill('SIGKILL');
      return exited;
    },
  };
}

export function describeExit(exit: WorkerExit): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}

/** Resolves once every identity polls the task queue for activities (a worker logs readiness just before it polls). */
export async function waitForActivityPollers(client: Client, taskQueue: string, identities: string[], timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { pollers } = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    });
    const polling = new Set((pollers ?? []).map((p) => p.identity));
    if (identities.every((identity) => polling.has(identity))) return;
    if (Date.now() > deadline) throw new Error(`not polling ${taskQueue}: ${identities.filter((i) => !polling.has(i)).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
