import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';

/** Worker processes for the benches, started as an operator starts them (`node --import tsx <entry>`). */

const projectRoot = path.resolve(__dirname, '..');

export interface WorkerChild {
  pid: number;
  /** Where its output goes once it polls. */
  logFile: string;
  kill(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
}

/**
 * This process's environment without what would override a bench child's config (src/config/load.ts:
 * a developer's OPENAI_BASE_URL or TEMPORAL_NAMESPACE would send its calls elsewhere), plus `env`.
 */
export function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([name]) => !/^(TEMPORAL_|OPENAI_|ANTHROPIC_|COHERE_|MCP_AGENT_|OTEL_|LOG_LEVEL$|AWS_REGION$)/.test(name));
  return { ...Object.fromEntries(inherited), ...env };
}

/** Starts a worker process and resolves once it prints a line with "worker polling". */
export async function startWorkerChild(label: string, args: string[], env: NodeJS.ProcessEnv, logDir: string): Promise<WorkerChild> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: projectRoot,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    // A start-up deadline, cleared once polling: left running, it killed every worker of a bench
    // two minutes in.
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${label} not polling after 120 s:\n${output}`));
    }, 120_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('worker polling')) {
        clearTimeout(deadline);
        resolve();
      }
    });
    void exited.then(() => {
      clearTimeout(deadline);
      reject(new Error(`${label} exited before polling:\n${output}`));
    });
  });
  // From here on the output goes to a file (never kept in memory, never blocking on a full pipe).
  const logFile = path.join(logDir, `${label.replace(/\W+/g, '_')}.log`);
  const log = createWriteStream(logFile);
  log.write(output);
  output = '';
  child.stdout!.removeAllListeners('data');
  child.stderr!.removeAllListeners('data');
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  return {
    logFile,
    pid: child.pid!,
    kill: (signal) => child.kill(signal),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
