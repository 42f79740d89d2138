import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import type { ConfigInput } from '../../src/config/schema';
import { freePort, stopProcess } from '../../temporal/dev-server';
import { testStoragePath, testTemporalAddress } from './temporal-env';
import { CONFIG_ENV_OVERRIDES, type WorkerExit } from './worker-process';

/**
 * Real API processes (`src/api/main.ts`), started as `npm run api` would be: a YAML file named by
 * MCP_AGENT_CONFIG, the Temporal address, task queue and port from the environment.
 */

const projectRoot = path.resolve(__dirname, '..', '..');
const apiEntry = path.join(projectRoot, 'src', 'api', 'main.ts');

export interface ApiProcess {
  url: string;
  output(): string;
  /** Resolves when the process has exited, however it ended. */
  exited: Promise<WorkerExit>;
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after 5 s; for cleanup. */
  stop(): Promise<void>;
}

export async function startApiProcess(options: { config: ConfigInput; taskQueue: string; label: string }): Promise<ApiProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-agent-api-'));
  const file = path.join(dir, 'mcp_agent.config.yaml');
  writeFileSync(file, stringify({ ...options.config, storage: { path: testStoragePath(), ...options.config.storage } }));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CONFIG_ENV_OVERRIDES) delete env[name];
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', apiEntry], {
    cwd: projectRoot,
    env: {
      ...env,
      MCP_AGENT_CONFIG: file,
      TEMPORAL_ADDRESS: testTemporalAddress(),
      TEMPORAL_TASK_QUEUE: options.taskQueue,
      HOST: '127.0.0.1',
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<WorkerExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const reply = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    if (reply?.status === 200) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`${options.label} did not answer /health:\n${output.slice(-3000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const kill = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  return { url, output: () => output, exited, kill, stop };
}
