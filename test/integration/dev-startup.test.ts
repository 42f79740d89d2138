import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Connection } from '@temporalio/client';
import { stringify } from 'yaml';
import { NotPollingError, waitForPolling } from '../../src/dev/readiness';
import { freePort, stopProcess } from '../../temporal/dev-server';
import { startTestWorker, testConfig, uniqueTaskQueue } from '../support/harness';
import { eventually, projectRoot } from '../support/agent-env';
import { natsServerBinary } from '../support/nats-server';
import { groupProcesses, killNpmGroup } from '../support/processes';
import { testStoragePath, testTemporalAddress } from '../support/temporal-env';

/**
 * `npm run dev` start-up when things are missing, against the suite's Temporal server (which the
 * launcher then uses instead of starting its own): a config with no model provider gets a warning
 * that says what to set; a worker that cannot start stops the launcher with a clear error before
 * the API is started, instead of a "ready" with nobody polling; a port another program holds stops
 * it before anything starts, and the API itself exits on it. Killing npm, which takes the shell it
 * runs the script in (where sh is dash) but not the launcher, stops the launcher and everything it
 * started; a launcher started directly outlives the shell that started it. And the
 * readiness check itself.
 */

/** The launcher as `npm run dev` runs it, `node --import tsx`, with tsx resolved here since the cwd has none. */
const devArgs = ['--import', pathToFileURL(require.resolve('tsx')).href, path.join(projectRoot, 'src', 'dev', 'main.ts')];

interface DevExit {
  code: number | null;
  output: string;
}

function runDev(configFile: string, env: NodeJS.ProcessEnv): Promise<DevExit> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, MCP_AGENT_CONFIG: configFile, LOG_LEVEL: 'warn' };
  for (const name of ['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'TEMPORAL_NAMESPACE']) {
    delete childEnv[name];
  }
  const dev = spawn(process.execPath, devArgs, {
    cwd: path.dirname(configFile),
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  dev.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  dev.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => dev.once('close', (code) => resolve({ code, output })));
}

test('with no provider configured, the demo model answers the shipped calc workflow end to end, and the warning says so', async () => {
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'mcp-agent-dev-demo-'));
  const apiPort = await freePort();
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    MCP_AGENT_CONFIG: path.join(projectRoot, 'mcp_agent.config.yaml'),
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue('dev-demo'),
    PORT: String(apiPort),
    LOG_LEVEL: 'warn',
  };
  for (const name of ['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'TEMPORAL_NAMESPACE']) delete childEnv[name];
  const dev = spawn(process.execPath, devArgs, {
    cwd: workDir,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  dev.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  dev.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  try {
    await eventually(async () => {
      if (dev.exitCode !== null) throw new Error(`npm run dev exited early:\n${output}`);
      return /ready: API at/.test(output) || undefined;
    }, 120_000);
    expect(output).toMatch(/warning: no model provider is configured\. Set OPENAI_API_KEY or ANTHROPIC_API_KEY .* or OPENAI_BASE_URL/);
    expect(output).toMatch(/runs use the demo model at http:\/\/127\.0\.0\.1:\d+\/v1, which only adds two numbers/);
    const api = `http://127.0.0.1:${apiPort}`;
    const started = await fetch(`${api}/workflows/calc/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: 'What is 19 + 23?' }),
    });
    expect(started.status).toBe(202);
    const { runId } = (await started.json()) as { runId: string };
    const done = await (await fetch(`${api}/runs/${runId}/result?wait=60`)).json();
    // The tool's own words: the demo model called everything-get-sum with the question's numbers.
    expect(done).toMatchObject({ status: 'completed', result: { text: 'The sum of 19 and 23 is 42.' } });
  } finally {
    await stopProcess(dev, 30_000);
    rmSync(workDir, { recursive: true, force: true });
  }
}, 180_000);

test('warns that no provider is configured, and stops with a clear error when the worker exits before it polls', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-agent-dev-startup-'));
  const configFile = path.join(dir, 'mcp_agent.config.yaml');
  const taskQueue = uniqueTaskQueue('dev-startup');
  // A function module that throws when loaded: the worker stops at start-up with a config error.
  writeFileSync(path.join(dir, 'lookup.js'), "throw new Error('the lookup module is broken');\n");
  writeFileSync(configFile, stringify({ functions: { lookup: { module: './lookup.js', export: 'lookup' } } }));
  const { code, output } = await runDev(configFile, {
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE: taskQueue,
    PORT: String(await freePort()),
    MCP_AGENT_DEV_METRICS_PORT: String(await freePort()),
  });

  expect(code).toBe(1);
  expect(output).toMatch(/warning: no model provider is configured/);
  expect(output).toMatch(/Set OPENAI_API_KEY or ANTHROPIC_API_KEY .* or OPENAI_BASE_URL/);
  expect(output).toMatch(/MCP_AGENT_DEV_METRICS_PORT=\d+ is not used/);
  // The worker's own error, then the launcher's.
  expect(output).toMatch(/functions\.lookup\.module: .*the lookup module is broken/);
  expect(output).toMatch(
    new RegExp(`error: no worker \\(\\d+@.+\\) is polling task queue "${taskQueue}" in namespace "default" for workflow and activity tasks: ` +
      'the worker \\(pid \\d+\\) exited with code 1 before it polled; see its output above'),
  );
  expect(output).not.toMatch(/ready:|restarting it/);
  expect(output).not.toContain('[api');
});

test('a secured Temporal (TLS or an API key) that does not answer stops dev with a clear error rather than starting a local server', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-agent-dev-tls-'));
  const configFile = path.join(dir, 'mcp_agent.config.yaml');
  writeFileSync(configFile, stringify({ openai: { api_key: 'x' } }));
  const { code, output } = await runDev(configFile, {
    TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
    TEMPORAL_API_KEY: 'some-key',
    PORT: String(await freePort()),
  });
  expect(code).toBe(1);
  expect(output).toMatch(/error: the Temporal server at 127\.0\.0\.1:\d+ \(temporal\.tls \/ temporal\.api_key\) does not answer/);
  expect(output).not.toMatch(/Temporal CLI:/);
});

/** Another program on a loopback port, answering every request with `status`. */
async function otherServer(status: number): Promise<{ server: Server; port: number }> {
  const server = createServer((_request, response) => response.writeHead(status).end('{}'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

test.each([200, 404])(
  'a port another program holds (answering /health with %i) stops dev with an error naming it, before anything starts',
  async (status) => {
    const { server, port } = await otherServer(status);
    try {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-agent-dev-port-'));
      const configFile = path.join(dir, 'mcp_agent.config.yaml');
      writeFileSync(configFile, stringify({ openai: { api_key: 'x' } }));
      const { code, output } = await runDev(configFile, {
        TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
        TEMPORAL_UI_URL: `http://localhost:${await freePort()}`,
        HOST: '127.0.0.1',
        PORT: String(port),
      });
      expect(code).toBe(1);
      expect(output).toContain(
        `[dev     ] error: port ${port} on 127.0.0.1 is in use by another program, so the API cannot listen there; ` +
          'stop that program, or pick another port with PORT=<port>',
      );
      expect(output).not.toMatch(/ready:|Temporal CLI:|\n\s+at /);
    } finally {
      server.close();
    }
  },
);

test('the API exits with code 1 and a line naming the port when it cannot listen, though streaming is on', async () => {
  const { server, port } = await otherServer(200);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-agent-api-port-'));
  try {
    const configFile = path.join(dir, 'mcp_agent.config.yaml');
    writeFileSync(configFile, stringify({ storage: { path: testStoragePath() } }));
    const api = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src', 'api', 'main.ts')], {
      cwd: projectRoot,
      env: {
        ...process.env,
        MCP_AGENT_CONFIG: configFile,
        TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
        // A NATS server that is not there: its connection keeps retrying, and kept the failed API alive.
        MCP_AGENT_NATS_URL: `nats://127.0.0.1:${await freePort()}`,
        HOST: '127.0.0.1',
        PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    api.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    api.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => api.once('close', (code) => resolve(code)));
    const timer = setTimeout(() => api.kill('SIGKILL'), 30_000);
    const code = await exited;
    clearTimeout(timer);
    expect(code).toBe(1);
    expect(output).toContain(`API failed to start: port ${port} on 127.0.0.1 is in use by another program; stop it, or pick another port with PORT=<port>`);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

const scaffoldScripts = JSON.parse(readFileSync(path.join(projectRoot, 'templates', 'init', 'package.json.template'), 'utf8')) as { scripts: { dev: string } };
const checkoutScripts = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { scripts: { dev: string } };

test.each([
  ['this checkout', checkoutScripts.scripts.dev],
  ['a scaffolded project', scaffoldScripts.scripts.dev],
])(
  'npm run dev of %s (%s), npm killed with SIGTERM: the launcher stops, and Temporal, nats-server, the worker and the API with it',
  async (_project, script) => {
    // A project folder where either script runs as it does at home (this checkout's sources and
    // node_modules, the bin on PATH as a scaffold's node_modules/.bin puts it there), with a config
    // and a .temporal/ of its own.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-agent-dev-orphan-'));
    for (const name of ['src', 'node_modules']) symlinkSync(path.join(projectRoot, name), path.join(dir, name));
    mkdirSync(path.join(dir, 'bin'));
    symlinkSync(path.join(projectRoot, 'bin', 'mcp-agent.js'), path.join(dir, 'bin', 'mcp-agent'));
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'dev-orphan', private: true, scripts: { dev: script } }));
    writeFileSync(path.join(dir, 'mcp_agent.config.yaml'), stringify({ openai: { api_key: 'x' } }));
    const apiPort = await freePort();
    const npm = spawn('npm', ['run', 'dev'], {
      cwd: dir,
      env: {
        ...process.env,
        PATH: `${path.join(dir, 'bin')}${path.delimiter}${process.env.PATH}`,
        MCP_AGENT_CONFIG: path.join(dir, 'mcp_agent.config.yaml'),
        TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
        TEMPORAL_UI_URL: `http://127.0.0.1:${await freePort()}`,
        TEMPORAL_CLI_PATH: process.env.TEMPORAL_TEST_CLI_PATH,
        NATS_SERVER_PATH: natsServerBinary(),
        PORT: String(apiPort),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A process group of its own: what is left of the stack is what is left in it.
      detached: true,
    });
    let output = '';
    npm.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    npm.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    try {
      await eventually(async () => {
        if (npm.exitCode !== null) throw new Error(`npm run dev exited early:\n${output}`);
        return /ready: API at/.test(output) || undefined;
      }, 120_000);
      const started = groupProcesses(npm.pid!).join('\n');
      for (const part of [/temporal server start-dev/, /nats-server/, /worker\/main\.ts/, /src\/api\/main\.ts/]) expect(started).toMatch(part);

      const npmExited = new Promise((resolve) => npm.once('exit', resolve));
      npm.kill('SIGTERM');
      await npmExited;
      await eventually(async () => groupProcesses(npm.pid!).length === 0, 60_000).catch(() => {
        throw new Error(`still running after npm was killed:\n${groupProcesses(npm.pid!).join('\n')}\n\n${output}`);
      });
      // Where sh is dash, npm's signal stops at its `sh -c` and the launcher notices it is orphaned;
      // where sh execs the command (bash), the launcher gets the SIGTERM itself and just stops.
      expect(output).toMatch(/\[dev +\] (the process that started dev \(pid \d+\) is gone|stopping…)\n/);
      await expect(fetch(`http://127.0.0.1:${apiPort}/health`)).rejects.toThrow();
    } finally {
      killNpmGroup(npm);
      rmSync(dir, { recursive: true, force: true });
    }
  },
  240_000,
);

test('dev launched directly (as with `nohup mcp-agent dev &`) outlives the shell that started it', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-agent-dev-nohup-'));
  const apiPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MCP_AGENT_CONFIG: path.join(dir, 'mcp_agent.config.yaml'),
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue('dev-nohup'),
    NATS_SERVER_PATH: natsServerBinary(),
    HOST: '127.0.0.1',
    PORT: String(apiPort),
    LOG_LEVEL: 'warn',
  };
  // Not started by npm: this suite runs under npx, whose variables would say otherwise.
  for (const name of Object.keys(env)) if (name.startsWith('npm_')) delete env[name];
  writeFileSync(env.MCP_AGENT_CONFIG!, stringify({ openai: { api_key: 'x' } }));
  const log = path.join(dir, 'dev.log');
  // A shell that starts dev in the background and exits once it is ready (or gone): dev is reparented.
  const quote = (word: string) => `'${word.replace(/'/g, "'\\''")}'`;
  const script =
    `${[process.execPath, ...devArgs].map(quote).join(' ')} >${quote(log)} 2>&1 </dev/null & ` +
    `while kill -0 $! 2>/dev/null && ! grep -q 'ready: API at' ${quote(log)}; do sleep 0.2; done`;
  const shell = spawn('sh', ['-c', script], { cwd: dir, env, stdio: 'ignore', detached: true });
  const output = () => readFileSync(log, 'utf8');
  try {
    await new Promise((resolve) => shell.once('exit', resolve));
    expect(output()).toMatch(/ready: API at/);
    // Well past the orphan check's one-second tick.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(output()).not.toMatch(/is gone|stopping…/);
    expect((await fetch(`http://127.0.0.1:${apiPort}/health`)).status).toBe(200);
  } finally {
    try {
      process.kill(-shell.pid!, 'SIGTERM');
    } catch {
      // The group is gone already.
    }
    await eventually(async () => groupProcesses(shell.pid!).length === 0, 60_000).catch(() => process.kill(-shell.pid!, 'SIGKILL'));
    rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);

describe('waiting for a worker to poll', () => {
  let connection: Connection;
  beforeAll(async () => {
    connection = await Connection.connect({ address: testTemporalAddress() });
  });
  afterAll(async () => {
    await connection.close();
  });

  test('resolves once the worker with that identity polls for workflow and activity tasks', async () => {
    const worker = await startTestWorker(testConfig({}, uniqueTaskQueue('dev-ready')));
    try {
      const query = { namespace: 'default', taskQueue: worker.taskQueue, identity: `${process.pid}@${os.hostname()}` };
      await expect(waitForPolling(connection, query, { timeoutMs: 30_000 })).resolves.toBeUndefined();
    } finally {
      await worker.stop();
    }
  });

  test('gives up with a clear error when nobody polls within the bound', async () => {
    const query = { namespace: 'default', taskQueue: uniqueTaskQueue('dev-nobody') };
    const waiting = waitForPolling(connection, query, { timeoutMs: 500 });
    await expect(waiting).rejects.toThrow(NotPollingError);
    await expect(waiting).rejects.toThrow(`no worker is polling task queue "${query.taskQueue}" in namespace "default" for workflow and activity tasks: none after 1 s`);
  });

  test('gives up at once with the reason when the worker is gone', async () => {
    const query = { namespace: 'default', taskQueue: uniqueTaskQueue('dev-gone'), identity: '1@nowhere' };
    await expect(waitForPolling(connection, query, { timeoutMs: 60_000, givenUp: () => 'it exited' })).rejects.toThrow(
      'no worker (1@nowhere) is polling task queue',
    );
  });
});
