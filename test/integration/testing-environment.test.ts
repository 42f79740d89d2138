import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { startTestEnvironment, type TestEnvironment } from 'mcp-agent-temporal/testing';
import { eventually } from '../support/agent-env';

/**
 * The testing entry as a new project meets it: the `mcp-agent init` scaffold's config and
 * workflow, run in a test environment of its own, with the mistakes a first test makes (answering
 * before the run asks, forgetting a scripted reply, a run left waiting) failing at once and
 * saying why.
 */

const configPath = path.resolve(__dirname, '..', '..', 'templates', 'init', 'mcp_agent.config.yaml');
const MODEL = 'gpt-4o-mini';
const ticket = { ticket: 'The app crashes when I save.' };

let env: TestEnvironment;

beforeAll(async () => {
  env = await startTestEnvironment({
    configPath,
    // A path `configure` writes as the file would is the file's too: relative to the config's folder,
    // not to the working directory the test runs in.
    configure: (config) => ({
      ...config,
      workflows: { ...config.workflows, triage: { ...config.workflows.triage, module: './workflows/triage.ts' } as typeof config.workflows.triage },
    }),
  });
});

afterAll(async () => {
  await env?.close();
});

test('pendingInput waits until the run asks; result gives the closed run; links.ui opens the environment\'s own Web UI', async () => {
  env.model.script(MODEL, [{ json: { kind: 'bug', urgent: true } }, { text: 'Sorry about that!' }]);
  const { runId } = await env.start('triage', ticket);

  const asked = await env.pendingInput(runId);
  expect(asked).toMatchObject({ kind: 'approval', prompt: 'Approve sending the reply?' });
  await env.runs.provideInput(runId, { requestId: asked.requestId, value: { approved: true } });

  const done = await env.result(runId);
  expect(done).toMatchObject({ status: 'completed', result: { sent: true, draft: 'Sorry about that!' } });
  expect(done.links.ui).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/namespaces\/default\/workflows\//);
  expect(done.links.ui).not.toContain(':8233/');
  expect((await fetch(done.links.ui)).status).toBe(200);
});

test('a forgotten scripted reply fails the run at once, saying which model wants one', async () => {
  const started = Date.now();
  const { runId } = await env.start('triage', ticket);

  await expect(env.pendingInput(runId)).rejects.toThrow(
    `run ${runId} closed failed without asking for input: openai 400: no scripted reply left for model ${MODEL}`,
  );
  const done = await env.result(runId);
  expect(done.status).toBe('failed');
  expect(done.error?.message).toContain(`add one with env.model.script('${MODEL}', [...])`);
  expect(Date.now() - started).toBeLessThan(20_000);
});

test('a run that is still open when the wait runs out is an error naming its status and what it waits for', async () => {
  env.model.script(MODEL, [{ json: { kind: 'question', urgent: false }, delayMs: 3000 }, { text: 'Here is how.' }]);
  const { runId } = await env.start('triage', ticket);

  await expect(env.pendingInput(runId, 1)).rejects.toThrow(`run ${runId} asked for no input within 1 s; it is running`);

  await env.pendingInput(runId);
  await expect(env.result(runId, 1)).rejects.toThrow(
    `run ${runId} is still waiting_for_input after 1 s, waiting for approval "Approve sending the reply?" (answer it with env.runs.provideInput)`,
  );
  await env.runs.provideInput(runId, { value: { approved: false } });
  expect(await env.result(runId)).toMatchObject({ status: 'completed', result: { sent: false } });
});

test('a cancel through the client without a reason still says why: the Run\'s error is "Cancelled: cancelled through the client"', async () => {
  env.model.script(MODEL, [{ json: { kind: 'bug', urgent: false } }, { text: 'A draft.' }]);
  const { runId } = await env.start('triage', ticket);
  await env.pendingInput(runId);

  await env.runs.cancel(runId);
  expect(await env.result(runId)).toMatchObject({ status: 'cancelled', error: { code: 'cancelled', message: 'Cancelled: cancelled through the client' } });
});

describe('a test process that dies before env.close() takes its Temporal server with it', () => {
  const script = path.resolve(__dirname, '..', 'fixtures', 'testing-environment-child.ts');
  let leaked: string | undefined;

  /** Starts the script; resolves with the address of the Temporal server its environment started. */
  async function startScript(mode: 'throw' | 'wait') {
    const child = spawn(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, script, mode], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`the script exited (code ${code}) before its environment started:\n${stderr}`)));
    });
    const { address } = JSON.parse(line) as { address: string };
    leaked = address;
    return { child, exited, address };
  }

  function listens(address: string): Promise<boolean> {
    const [host, port] = address.split(':');
    return new Promise((resolve) => {
      const socket = net.connect({ host, port: Number(port) });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  }

  afterEach(() => {
    // A server the fix failed to stop must not outlive the test either.
    if (!leaked) return;
    const port = leaked.split(':')[1];
    const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
    for (const line of ps.split('\n')) {
      if (line.includes('start-dev') && line.includes(`--port ${port} `)) process.kill(Number(line.trim().split(' ')[0]), 'SIGKILL');
    }
    leaked = undefined;
  });

  test('one that throws', async () => {
    const { address, exited } = await startScript('throw');
    await exited;
    await eventually(async () => !(await listens(address)), 30_000);
  });

  test('one that is killed with SIGKILL', async () => {
    const { child, address, exited } = await startScript('wait');
    expect(await listens(address)).toBe(true);
    child.kill('SIGKILL');
    await exited;
    await eventually(async () => !(await listens(address)), 30_000);
  });
});
