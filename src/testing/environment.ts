import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { connectClient, type TemporalClient } from '../../client/connection';
import { RunsClient } from '../../client/runs';
import { isClosedRunStatus, type Run } from '../../client/run-view';
import { findTemporalCli } from '../../temporal/cli';
import { freePort, startDevServer, type DevServer } from '../../temporal/dev-server';
import { createWorker, type AgentWorker } from '../../worker/create';
import { loadConfig, locateConfigFile, resolveRelativePaths } from '../config/load';
import { checkInput, resolveRun } from '../config/resolve';
import type { Config } from '../config/schema';
import { startScriptedProvider, type ScriptedProvider } from './scripted-model';

/**
 * Everything a user's own test needs to run their workflows for real without a real model: a
 * Temporal dev server of its own (in memory), a scripted model that both providers' SDKs talk to,
 * a worker with the project's config (code workflows included) and a client that starts and steers
 * runs as the API does. What each agent was asked is in `model.requests(model)`.
 *
 * ```ts
 * const env = await startTestEnvironment();
 * env.model.script('gpt-4o-mini', [{ text: 'It is a bug.' }]);
 * const { runId } = await env.start('triage', { ticket: 'It crashes' });
 * expect((await env.pendingInput(runId)).kind).toBe('approval');
 * await env.runs.provideInput(runId, { value: { approved: true } });
 * const run = await env.result(runId);
 * expect(run.result).toEqual(...);
 * await env.close();
 * ```
 */

type PendingInput = NonNullable<Run['pendingInput']>;

/** How often `pendingInput` asks the run again, growing from the first to the last. */
const INPUT_POLL_MS = { first: 50, last: 500 };

export interface TestEnvironmentOptions {
  /** The project's config file; default: found as the CLI finds it (MCP_AGENT_CONFIG, then upwards from the working directory). */
  configPath?: string;
  /**
   * Changes to the loaded config before the worker starts, e.g. MCP servers for the test. Relative
   * paths it adds (a code workflow's or function's `module`, a server's `cwd`) are relative to the
   * config file's folder, as in the file.
   */
  configure?: (config: Config) => Config;
  /**
   * What the worker logs: `LOG_LEVEL` when set, else `warn`. `error` or `silent` keeps quiet the
   * warnings a test that expects runs to fail would print (a failed workflow, a refused reply).
   */
  logLevel?: TestLogLevel;
}

export interface TestEnvironment {
  /** The scripted model: `script(model, replies)`, then `requests(model)` to see what was sent. */
  model: ScriptedProvider;
  /** The config the worker runs: the project's, pointed at this environment. */
  config: Config;
  /** Start, read, pause, resume, cancel, answer runs. */
  runs: RunsClient;
  temporal: TemporalClient;
  /** Starts a config workflow (or a pattern type with `spec`), checking its input as the API does. */
  start(workflow: string, input: unknown, options?: { id?: string; spec?: unknown }): Promise<Run>;
  /**
   * The run once it has closed, waiting at most `timeoutSeconds` (default 60). A run still open
   * then is an error naming its status and what it waits for: a test that forgot to answer it
   * fails there, not at a later assertion on a run that never finished.
   */
  result(runId: string, timeoutSeconds?: number): Promise<Run>;
  /**
   * What the run asks once it waits for input (a `humanInput`, an approval, an MCP server's
   * question), waiting at most `timeoutSeconds` (default 60); answer it with
   * `runs.provideInput(runId, ...)`. A run that closes first, or still asks nothing then, is an
   * error naming its status.
   */
  pendingInput(runId: string, timeoutSeconds?: number): Promise<PendingInput>;
  close(): Promise<void>;
}

export type TestLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';

/**
 * Worker start and stop are news in a service's log, noise in a test's: warnings and errors show
 * unless the test asks for less (a test that expects failures) or more. Once per process: the first
 * environment's level holds, and a runtime the process installed itself is kept.
 */
function quietRuntime(level: TestLogLevel): void {
  const logger =
    level === 'silent' ? new DefaultLogger('ERROR', () => undefined) : new DefaultLogger(level.toUpperCase() as 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR');
  try {
    Runtime.install({ logger });
  } catch {
    // The process installed its own runtime already; keep it.
  }
}

function logLevelOf(options: TestEnvironmentOptions): TestLogLevel {
  if (options.logLevel) return options.logLevel;
  const fromEnv = process.env.LOG_LEVEL?.toLowerCase();
  if (fromEnv === 'fatal') return 'error';
  const levels: readonly string[] = ['trace', 'debug', 'info', 'warn', 'error', 'silent'];
  return fromEnv && levels.includes(fromEnv) ? (fromEnv as TestLogLevel) : 'warn';
}

export async function startTestEnvironment(options: TestEnvironmentOptions = {}): Promise<TestEnvironment> {
  quietRuntime(logLevelOf(options));
  const cleanups: Array<() => Promise<void> | void> = [];
  // Every cleanup runs, last started first, even when one fails; a second close does nothing.
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const failures: unknown[] = [];
      for (const cleanup of [...cleanups].reverse()) {
        try {
          await cleanup();
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length > 0) throw new AggregateError(failures, 'closing the test environment failed');
    })());
  try {
    const model = await startScriptedProvider();
    cleanups.push(() => model.close());
    // With its Web UI, so a Run's `links.ui` opens it while the test runs (paused in a debugger, say).
    const server: DevServer = await startDevServer({ cliPath: findTemporalCli().path, uiPort: await freePort() });
    cleanups.push(() => server.stop());
    const storageDir = mkdtempSync(path.join(tmpdir(), 'mcp-agent-test-'));
    cleanups.push(() => rmSync(storageDir, { recursive: true, force: true }));

    const loaded = loadConfig({ path: options.configPath });
    const pointed = pointAt(loaded, { model, address: server.address, storagePath: storageDir });
    const configFile = locateConfigFile({ path: options.configPath });
    const config = options.configure
      ? resolveRelativePaths(options.configure(pointed), configFile ? path.dirname(configFile) : process.cwd())
      : pointed;

    const connection = await NativeConnection.connect({ address: config.temporal.address });
    cleanups.push(() => connection.close());
    const worker: AgentWorker = await createWorker({ config, connection });
    // A worker that fails mid-test shows in the runs it leaves unfinished, and again at close.
    const running = worker.worker.run();
    running.catch(() => undefined);
    cleanups.push(async () => {
      if (worker.worker.getState() === 'RUNNING') worker.worker.shutdown();
      await running;
      await worker.pool.close();
      worker.storage.close();
    });
    const temporal = connectClient(config);
    cleanups.push(async () => {
      await temporal.connection.close();
      temporal.storage.close();
    });
    const runs = new RunsClient({ client: temporal.client, taskQueue: config.temporal.task_queue, uiUrl: server.uiUrl! });

    return {
      model,
      config,
      runs,
      temporal,
      async start(workflow, input, startOptions = {}) {
        const resolved = resolveRun(config, workflow, startOptions.spec);
        checkInput(resolved, input);
        return (await runs.start({ ...resolved, input, id: startOptions.id })).run;
      },
      async result(runId, timeoutSeconds = 60) {
        const run = await runs.waitForClose(runId, timeoutSeconds);
        if (!isClosedRunStatus(run.status)) {
          throw new Error(`run ${runId} is still ${run.status} after ${timeoutSeconds} s${openRunDetail(run)}`);
        }
        return run;
      },
      async pendingInput(runId, timeoutSeconds = 60) {
        const deadline = Date.now() + timeoutSeconds * 1000;
        for (let pause = INPUT_POLL_MS.first; ; pause = Math.min(pause * 2, INPUT_POLL_MS.last)) {
          const run = await runs.get(runId);
          if (run.pendingInput) return run.pendingInput;
          if (isClosedRunStatus(run.status)) {
            throw new Error(`run ${runId} closed ${run.status} without asking for input${run.error ? `: ${run.error.message}` : ''}`);
          }
          if (Date.now() >= deadline) {
            throw new Error(`run ${runId} asked for no input within ${timeoutSeconds} s; it is ${run.status}${openRunDetail(run)}`);
          }
          await new Promise((resolve) => setTimeout(resolve, Math.min(pause, Math.max(deadline - Date.now(), 0))));
        }
      },
      close,
    };
  } catch (error) {
    // The start-up failure is what the caller needs to see, not a cleanup's.
    await close().catch(() => undefined);
    throw error;
  }
}

/** Why an open run is not done: its workflow task keeps failing, the input it waits for, or the call Temporal keeps retrying. */
function openRunDetail(run: Run): string {
  if (run.workflowTaskFailing) return `, but its workflow task keeps failing (attempt ${run.workflowTaskFailing.attempt}): ${run.workflowTaskFailing.message}`;
  if (run.pendingInput) {
    return `, waiting for ${run.pendingInput.kind} "${run.pendingInput.prompt}" (answer it with env.runs.provideInput)`;
  }
  if (run.retrying) return `, retrying ${run.retrying.activity} (attempt ${run.retrying.attempt}): ${run.retrying.lastError}`;
  return '';
}

/** The project's config with Temporal, both providers and storage pointed at this environment. */
function pointAt(config: Config, target: { model: ScriptedProvider; address: string; storagePath: string }): Config {
  return {
    ...config,
    temporal: {
      ...config.temporal,
      address: target.address,
      namespace: 'default',
      task_queue: `test-${randomUUID()}`,
      api_key: undefined,
      tls: undefined,
    },
    anthropic: { ...config.anthropic, api_key: 'test-key', base_url: target.model.anthropicBaseUrl },
    openai: { ...config.openai, api_key: 'test-key', base_url: target.model.openaiBaseUrl },
    cohere: { ...config.cohere, api_key: 'test-key', base_url: target.model.cohereBaseUrl },
    storage: { ...config.storage, driver: 'file', path: target.storagePath },
  };
}
