import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { findTemporalCli } from '../../temporal/cli';
import { freePort } from '../../temporal/dev-server';
import { natsServerBinary } from '../support/nats-server';
import { startScriptedProvider, type ScriptedProvider } from '../../src/testing/scripted-model';

/**
 * The package as a new user meets it: `npm pack` of this checkout, installed into an empty folder
 * with nothing of ours around it; `npx mcp-agent init demo`; in the scaffold `npm install` and
 * `npm test` (its workflow on a real Temporal dev server against the testing entry's scripted
 * model); then `npm run dev` and the example workflow through the API, with pause, resume and an
 * approval; its history replays, and still does once the project depends on protobufjs 7 itself.
 * Prints how long each step took.
 */

const run = promisify(execFile);
const projectRoot = path.resolve(__dirname, '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let workDir: string;
let tarball: string;
let demo: string;
let provider: ScriptedProvider;
let dev: ChildProcess | undefined;
let devOutput = '';
const timings: string[] = [];

async function timed<T>(label: string, step: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await step();
  timings.push(`${label} ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

/** An npm command in `cwd`; its output comes with the error when it fails. */
async function npmIn(cwd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  try {
    const { stdout, stderr } = await run(npm, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
    return `${stdout}${stderr}`;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(' ')} failed in ${cwd}:\n${stdout}\n${stderr}`, { cause: error });
  }
}

beforeAll(async () => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'mcp-agent-package-'));
  provider = await startScriptedProvider();
});

/** Ctrl-C to the whole group (npm, the launcher, Temporal, the worker, the API), then SIGKILL to what lingers. */
async function stopDev(child: ChildProcess): Promise<void> {
  const group = -child.pid!;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(group, name);
    } catch {
      // The group is gone already.
    }
  };
  signal('SIGINT');
  const exited = new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
  signal('SIGKILL');
  // Grandchildren may hold the pipes open after npm itself is gone.
  child.stdout?.destroy();
  child.stderr?.destroy();
}

afterAll(async () => {
  if (dev) await stopDev(dev);
  await provider?.close();
  process.stdout.write(`[measure] package: ${timings.join(', ')}\n`);
  rmSync(workDir, { recursive: true, force: true });
});

test('npm pack gives a tarball with the compiled entry points, their types and the bin', async () => {
  await timed('npm pack', () => npmIn(projectRoot, ['pack', '--pack-destination', workDir]));
  const [name] = readdirSync(workDir).filter((file) => file.endsWith('.tgz'));
  tarball = path.join(workDir, name);
  const { stdout } = await run('tar', ['tzf', tarball]);
  const files = stdout.split('\n');
  for (const entry of ['src/index', 'src/workflow/index', 'src/testing/index']) {
    expect(files).toContain(`package/dist/${entry}.js`);
    expect(files).toContain(`package/dist/${entry}.d.ts`);
  }
  expect(files).toContain('package/bin/mcp-agent.js');
  expect(files).toContain('package/templates/init/workflows/triage.ts');
  // No TypeScript sources or tests of ours travel with it.
  expect(files.filter((file) => /^package\/(src|test|workflows)\//.test(file))).toEqual([]);
});

test('installed into an empty folder, `mcp-agent init demo` scaffolds a project whose npm install && npm test pass', async () => {
  const empty = path.join(workDir, 'empty');
  mkdirSync(empty);
  await npmIn(empty, ['init', '-y']);
  await timed('install the tarball', () => npmIn(empty, ['install', '--no-audit', '--no-fund', tarball]));
  // No --package: init finds the tarball it was installed from, as the package is not on the registry.
  const { stdout: said } = await timed('mcp-agent init', () => run('npx', ['mcp-agent', 'init', 'demo'], { cwd: empty }));
  demo = path.join(empty, 'demo');
  expect(JSON.parse(readFileSync(path.join(demo, 'package.json'), 'utf8')).dependencies['mcp-agent-temporal']).toBe(tarball);
  expect(said).toContain(`It depends on mcp-agent-temporal at ${tarball}`);
  for (const file of ['package.json', 'mcp_agent.config.yaml', 'workflows/triage.ts', 'test/triage.test.ts', 'tsconfig.json', 'README.md', '.gitignore']) {
    expect(existsSync(path.join(demo, file))).toBe(true);
  }
  expect(readFileSync(path.join(demo, 'README.md'), 'utf8')).toContain('npm install && npm run dev');

  await timed('scaffold npm install', () => npmIn(demo, ['install', '--no-audit', '--no-fund']));
  const env = { ...process.env, TEMPORAL_CLI_PATH: findTemporalCli().path };
  const output = await timed('scaffold npm test', () => npmIn(demo, ['test'], env));
  expect(output).toMatch(/# pass 1/);
  expect(output).toMatch(/# fail 0/);
});

test('in the scaffold, npm run dev serves the example: started, paused, resumed and approved through the API', async () => {
  const [temporalPort, uiPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const api = `http://127.0.0.1:${apiPort}`;
  const started = Date.now();
  dev = spawn(npm, ['run', 'dev'], {
    cwd: demo,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      TEMPORAL_UI_URL: `http://127.0.0.1:${uiPort}`,
      TEMPORAL_CLI_PATH: findTemporalCli().path,
      // As for the Temporal CLI: the checkout's, rather than an install into the scaffold's node_modules.
      NATS_SERVER_PATH: natsServerBinary(),
      PORT: String(apiPort),
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: provider.openaiBaseUrl,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so that stopping it stops Temporal, the worker and the API too.
    detached: true,
  });
  dev.stdout!.on('data', (chunk: Buffer) => (devOutput += chunk.toString()));
  dev.stderr!.on('data', (chunk: Buffer) => (devOutput += chunk.toString()));
  await waitFor(() => /ready: API at/.test(devOutput), 180_000, () => `npm run dev did not get ready:\n${devOutput}`);
  timings.push(`npm run dev ready ${((Date.now() - started) / 1000).toFixed(1)} s`);

  provider.script('gpt-4o-mini', [{ json: { kind: 'question', urgent: false } }, { text: 'Here is how to export.', delayMs: 3000 }]);
  const call = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${api}${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's replies, read by the test
    return { status: response.status, body: (await response.json()) as any };
  };
  const start = await call('POST', '/workflows/triage/run', { input: { ticket: 'How do I export my data?' }, id: 'ticket-1' });
  expect(start.status).toBe(202);
  expect(start.body.pattern).toBe('code');

  await waitFor(async () => (await call('GET', '/runs/ticket-1')).body.status === 'running', 30_000, () => 'the run never ran');
  expect((await call('POST', '/runs/ticket-1/pause')).status).toBe(202);
  await waitFor(async () => (await call('GET', '/runs/ticket-1')).body.status === 'paused', 30_000, () => 'the run never paused');
  // The draft answers meanwhile, but a paused run asks nobody.
  await new Promise((resolve) => setTimeout(resolve, 4000));
  expect((await call('GET', '/runs/ticket-1')).body).toMatchObject({ status: 'paused' });
  expect((await call('POST', '/runs/ticket-1/resume')).status).toBe(202);

  let pending: { requestId: string; kind: string } | undefined;
  await waitFor(async () => (pending = (await call('GET', '/runs/ticket-1')).body.pendingInput) !== undefined, 30_000, () => 'no approval asked');
  expect(pending?.kind).toBe('approval');
  expect((await call('POST', '/runs/ticket-1/input', { requestId: pending!.requestId, value: { approved: true } })).status).toBe(202);

  const done = await call('GET', '/runs/ticket-1/result?wait=30');
  expect(done.body.status).toBe('completed');
  expect(done.body.result).toMatchObject({ kind: { kind: 'question', urgent: false }, draft: 'Here is how to export.', sent: true });

  // The run's history, exported as the README says, replays on the project's code.
  const { stdout: history } = await run(findTemporalCli().path, ['workflow', 'show', '--output', 'json', '--address', `127.0.0.1:${temporalPort}`, '-w', 'ticket-1'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  writeFileSync(path.join(demo, 'ticket-1.json'), history);
  expect(await replayTicket()).toContain('ticket-1.json replays on this code.');
});

test('in a project that depends on protobufjs 7 itself, the history still replays', async () => {
  // npm rearranges node_modules under the dev processes: they stop first.
  await stopDev(dev!);
  dev = undefined;
  await timed('npm install protobufjs@7', () => npmIn(demo, ['install', '--no-audit', '--no-fund', 'protobufjs@7']));
  const version = (folder: string) => JSON.parse(readFileSync(path.join(demo, 'node_modules', folder, 'protobufjs', 'package.json'), 'utf8')).version;
  expect(version('.')).toMatch(/^7\./);
  // The layout replay has to cope with: the SDK's History type and its JSON parser from two copies.
  expect(version('@temporalio/common/node_modules')).toMatch(/^8\./);
  expect(version('@temporalio/proto/node_modules')).toMatch(/^8\./);
  expect(await replayTicket()).toContain('ticket-1.json replays on this code.');
});

async function replayTicket(): Promise<string> {
  const { stdout } = await run('npx', ['mcp-agent', 'replay', 'ticket-1.json'], { cwd: demo, env: { ...process.env, LOG_LEVEL: 'warn' } });
  return stdout;
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, explain: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (dev && dev.exitCode !== null) throw new Error(`npm run dev exited (${dev.exitCode}):\n${devOutput}`);
    if (Date.now() > deadline) throw new Error(explain());
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
