import { spawn } from 'node:child_process';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { ConfigInput } from '../../src/config/schema';
import { resolveRun } from '../../src/config/resolve';
import { searchAttributes } from '../../workflows/definitions';
import type { AgentResult } from '../../workflows/agent';
import { startFixtureHttpServer, type FixtureHttpServer } from '../fixtures/mcp-fixture-server';
import { freePort } from '../../temporal/dev-server';
import { eventually, projectRoot, providerConfig } from '../support/agent-env';
import { groupProcesses, killNpmGroup } from '../support/processes';
import { testConfig, uniqueTaskQueue } from '../support/harness';
import { toolResultsSeen } from '../support/requests';
import { startScriptedProvider, type ScriptedProvider } from '../../src/testing/scripted-model';
import { testTemporalAddress } from '../support/temporal-env';
import {
  describeExit,
  parsePinoLine,
  startWorkerProcess,
  waitForActivityPollers,
  workerEnv,
  writeConfigFile,
  type PinoLine,
  type WorkerProcess,
} from '../support/worker-process';

/**
 * Worker processes as operators run them: separate `worker/main.ts` processes on one task queue,
 * killed with SIGKILL, stopped with SIGTERM, sharing load; and `npm run worker` (and `npm run api`)
 * stopping when npm alone is killed. Real Temporal, real SDK clients against the scripted provider,
 * the fixture MCP server over streamable HTTP.
 */

let provider: ScriptedProvider;
let fixture: FixtureHttpServer;
let connection: Connection;
let client: Client;
const started: WorkerProcess[] = [];

const queues = { crash: uniqueTaskQueue('crash'), shared: uniqueTaskQueue('shared'), drain: uniqueTaskQueue('drain') };
/** Started together in beforeAll: each start bundles the workflows, which takes seconds. */
let crashA: WorkerProcess;
let sharedC: WorkerProcess;
let sharedD: WorkerProcess;
let drainE: WorkerProcess;

function workerConfig(temporal: ConfigInput['temporal'] = {}): ConfigInput {
  return { ...providerConfig(provider), temporal, mcp: { servers: { fixture: { url: fixture.url } } } };
}

async function startWorker(taskQueue: string, label: string, temporal?: ConfigInput['temporal']): Promise<WorkerProcess> {
  const worker = await startWorkerProcess({ config: workerConfig(temporal), taskQueue, label });
  started.push(worker);
  return worker;
}

beforeAll(async () => {
  [provider, fixture, connection] = await Promise.all([
    startScriptedProvider(),
    startFixtureHttpServer(),
    Connection.connect({ address: testTemporalAddress() }),
  ]);
  client = new Client({ connection });
  // Two activity slots each, so a burst of runs cannot all land on whichever worker polled first.
  const shared = { max_concurrent_activities: 2 };
  [crashA, sharedC, sharedD, drainE] = await Promise.all([
    startWorker(queues.crash, 'worker A'),
    startWorker(queues.shared, 'worker C', shared),
    startWorker(queues.shared, 'worker D', shared),
    startWorker(queues.drain, 'worker E'),
  ]);
});

afterAll(async () => {
  await Promise.all(started.map((worker) => worker.stop()));
  await connection?.close();
  await fixture?.close();
  await provider?.close();
});

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

let counter = 0;
const uniqueModel = (label: string) => `${label}-${++counter}-${Date.now()}`;

async function startRun(taskQueue: string, model: string, input: string): Promise<WorkflowHandle> {
  const config = testConfig(workerConfig(), taskQueue);
  const spec = { type: 'agent', agent: { instruction: 'You are a test agent.', provider: 'openai', model, servers: ['fixture'] } };
  const run = resolveRun(config, 'agent', spec);
  return client.workflow.start(run.workflowType, {
    taskQueue,
    workflowId: `worker-process-${model}`,
    args: [{ name: run.name, spec: run.spec, input }],
    typedSearchAttributes: [
      { key: searchAttributes.workflow, value: run.name },
      { key: searchAttributes.pattern, value: run.spec.type },
      { key: searchAttributes.status, value: 'running' },
    ],
  });
}

/** One activity as its history tells it: the last attempt, and who started and completed it. */
interface ActivityExecution {
  type: string;
  attempt?: number;
  startedBy?: string;
  completedBy?: string;
}

async function activityExecutions(handle: WorkflowHandle): Promise<ActivityExecution[]> {
  const { events } = await handle.fetchHistory();
  const bySchedule = new Map<string, ActivityExecution>();
  for (const event of events ?? []) {
    const id = String(event.eventId);
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) bySchedule.set(id, { type: scheduled.activityType?.name ?? '' });
    const startedEvent = event.activityTaskStartedEventAttributes;
    const execution = startedEvent && bySchedule.get(String(startedEvent.scheduledEventId));
    if (startedEvent && execution) {
      execution.attempt = startedEvent.attempt ?? undefined;
      execution.startedBy = startedEvent.identity ?? undefined;
    }
    const completed = event.activityTaskCompletedEventAttributes;
    const done = completed && bySchedule.get(String(completed.scheduledEventId));
    if (completed && done) done.completedBy = completed.identity ?? undefined;
  }
  return [...bySchedule.values()];
}

/** The processes' own logs, attached when an assertion about them fails. */
async function withOutputOnFailure<T>(workers: WorkerProcess[], check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    const logs = workers.map((w) => `--- ${w.label} (pid ${w.pid}) ---\n${w.output()}`).join('\n');
    throw new Error(`${(error as Error).message}\n${logs}`, { cause: error });
  }
}

/**
 * Waits for something the workers should bring about, failing with their logs if it does not happen
 * in time (a stuck run would otherwise only meet jest's timeout, which shows no logs).
 */
function awaitFromWorkers<T>(workers: WorkerProcess[], what: string, promise: Promise<T>, timeoutMs = 40_000): Promise<T> {
  return withOutputOnFailure(workers, () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  });
}

test('SIGKILL during an LLM call: another worker retries that call only, and the run completes', async () => {
  const model = uniqueModel('sigkill');
  provider.script(model, [
    { toolCalls: [{ name: 'fixture-add', arguments: { a: 20, b: 22 } }] },
    // The attempt that dies with worker A; its retry gets the reply behind it.
    { text: 'The sum is 42.', delayMs: 60_000 },
    { text: 'The sum is 42.' },
  ]);
  const handle = await startRun(queues.crash, model, 'Add 20 and 22.');
  const inFlight = await awaitFromWorkers([crashA], 'turn 2 request', provider.waitForRequest(model, 2));
  // B stands by as a second worker would in production: the figure is recovery, not B's start-up.
  // Nothing is pending for it until A's heartbeat lapses, so it cannot take A's work early.
  const crashB = await startWorker(queues.crash, 'worker B');

  const killedAt = Date.now();
  crashA.kill('SIGKILL');
  expect(await crashA.exited).toEqual({ code: null, signal: 'SIGKILL' });
  const result = (await awaitFromWorkers([crashA, crashB], 'run result', handle.result())) as AgentResult;
  const completedAt = Date.now();
  const requests = provider.requests(model);
  expect(requests).toHaveLength(3);
  const { events } = await handle.fetchHistory();
  const stickyTimeouts = (events ?? []).filter((e) => e.workflowTaskTimedOutEventAttributes).length;
  process.stdout.write(
    `[measure] SIGKILL→retry request: ${seconds(requests[2].at - killedAt)}, SIGKILL→completed: ${seconds(completedAt - killedAt)}` +
      ` (workflow tasks timed out on the dead worker's sticky queue: ${stickyTimeouts})\n`,
  );

  expect(result).toMatchObject({ text: 'The sum is 42.', stopReason: 'final_answer', iterations: 2 });
  expect(await inFlight.settled).toBe('disconnected');
  expect(requests[2].body.messages).toEqual(requests[1].body.messages);
  expect(toolResultsSeen(requests[2])).toEqual([expect.objectContaining({ content: '42', isError: false })]);

  const executions = await activityExecutions(handle);
  expect(executions).toEqual([
    { type: 'mcpListTools', attempt: 1, startedBy: crashA.identity, completedBy: crashA.identity },
    { type: 'llmGenerate', attempt: 1, startedBy: crashA.identity, completedBy: crashA.identity },
    { type: 'mcpCallTool', attempt: 1, startedBy: crashA.identity, completedBy: crashA.identity },
    { type: 'llmGenerate', attempt: 2, startedBy: crashB.identity, completedBy: crashB.identity },
  ]);
});

test('workers on one task queue share the runs', async () => {
  await waitForActivityPollers(client, queues.shared, [sharedC.identity, sharedD.identity]);
  const models = Array.from({ length: 8 }, () => uniqueModel('shared'));
  for (const [index, model] of models.entries()) {
    provider.script(model, [{ toolCalls: [{ name: 'fixture-slow', arguments: { ms: 300 } }] }, { text: `run ${index} done` }]);
  }
  const handles = await Promise.all(models.map((model, index) => startRun(queues.shared, model, `run ${index}`)));
  const results = await awaitFromWorkers([sharedC, sharedD], 'run results', Promise.all(handles.map((h) => h.result())));

  expect(results.map((r) => (r as AgentResult).text)).toEqual(models.map((_, index) => `run ${index} done`));
  const executions = (await Promise.all(handles.map(activityExecutions))).flat();
  expect(executions).toHaveLength(8 * 4);
  expect(executions.every((e) => e.attempt === 1 && e.startedBy === e.completedBy)).toBe(true);
  const perWorker = new Map<string, number>();
  for (const { startedBy } of executions) perWorker.set(startedBy!, (perWorker.get(startedBy!) ?? 0) + 1);
  process.stdout.write(`[measure] activities per worker: ${[...perWorker].map(([id, n]) => `${id}=${n}`).join(', ')}\n`);
  expect(new Set(perWorker.keys())).toEqual(new Set([sharedC.identity, sharedD.identity]));
  for (const model of models) expect(provider.requests(model)).toHaveLength(2);
});

test("a failed attempt is one JSON line of the worker's log, with its error, as every other line is", async () => {
  await waitForActivityPollers(client, queues.shared, [sharedC.identity, sharedD.identity]);
  const model = uniqueModel('logged');
  provider.script(model, [{ status: 503, message: 'overloaded, try later' }, { text: 'fine now' }]);
  const handle = await startRun(queues.shared, model, 'hello');
  const result = await awaitFromWorkers([sharedC, sharedD], 'the retried run', handle.result());
  expect((result as AgentResult).text).toBe('fine now');
  await withOutputOnFailure([sharedC, sharedD], async () => {
    const lines = `${sharedC.output()}\n${sharedD.output()}`.split('\n').filter((line) => line.trim() !== '');
    // The SDK's own console format ("2026-... [WARN] Activity failed {", then the object over many lines) is gone.
    expect(lines.filter((line) => /\[(WARN|INFO|ERROR)\]/.test(line))).toEqual([]);
    const failed = lines.filter((line) => line.includes('"Activity failed"')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(failed).toEqual([
      expect.objectContaining({ level: 40, msg: 'Activity failed', activityType: 'llmGenerate', err: expect.objectContaining({ message: expect.stringContaining('overloaded, try later') }) }),
    ]);
  });
});

test('SIGTERM lets the LLM call in flight finish, exits 0, and a successor worker completes the run', async () => {
  const model = uniqueModel('sigterm');
  provider.script(model, [{ text: 'Finished while shutting down.', delayMs: 2000 }]);
  const handle = await startRun(queues.drain, model, 'Take your time.');
  const inFlight = await awaitFromWorkers([drainE], 'LLM request', provider.waitForRequest(model, 1));

  drainE.kill('SIGTERM');
  const successor = startWorker(queues.drain, 'worker F');
  const exit = await awaitFromWorkers([drainE], 'exit after SIGTERM', drainE.exited);
  await withOutputOnFailure([drainE], async () => {
    expect(describeExit(exit)).toBe('exit code 0');
    expect(await inFlight.settled).toBe('replied');
    expect(drainE.output()).toContain('worker stopped');
  });

  const drainF = await successor;
  const result = (await awaitFromWorkers([drainE, drainF], 'run result', handle.result())) as AgentResult;
  expect(result).toMatchObject({ text: 'Finished while shutting down.', stopReason: 'final_answer' });
  expect(provider.requests(model)).toHaveLength(1);
  const executions = await activityExecutions(handle);
  expect(executions).toEqual([
    { type: 'mcpListTools', attempt: 1, startedBy: drainE.identity, completedBy: drainE.identity },
    { type: 'llmGenerate', attempt: 1, startedBy: drainE.identity, completedBy: drainE.identity },
  ]);
});

test.each([
  { script: 'worker', name: 'worker', ready: 'worker polling', stopped: 'worker stopped' },
  { script: 'api', name: 'API', ready: 'API ready; OpenAPI document at /docs/json', stopped: 'shutting down' },
])(
  'npm run $script, npm killed with SIGTERM: the process it started stops as on SIGTERM, and says why',
  async ({ script, name, ready, stopped }) => {
    const configFile = writeConfigFile(workerConfig());
    const env = workerEnv(configFile.file, uniqueTaskQueue(`npm-${script}`), { HOST: '127.0.0.1', PORT: String(await freePort()) });
    const npm = spawn('npm', ['run', script], {
      cwd: projectRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // A process group of its own: what is left of it once npm is gone is what npm left running.
      detached: true,
    });
    let output = '';
    npm.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    npm.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const lines = () => output.split('\n').map(parsePinoLine).filter((line): line is PinoLine => line !== undefined);
    try {
      const { pid } = await eventually(async () => {
        if (npm.exitCode !== null) throw new Error(`npm run ${script} exited early:\n${output}`);
        return lines().find((line) => line.msg === ready);
      }, 90_000);
      const running = () => groupProcesses(npm.pid!).some((entry) => entry.startsWith(`${pid} `));
      expect(running()).toBe(true);

      const npmExited = new Promise((resolve) => npm.once('exit', resolve));
      npm.kill('SIGTERM');
      await npmExited;
      await eventually(async () => !running(), 60_000).catch(() => {
        throw new Error(`pid ${pid} still running after npm was killed:\n${groupProcesses(npm.pid!).join('\n')}\n\n${output}`);
      });
      const gone = `the process that started the ${name} is gone; stopping as on SIGTERM`;
      const said = lines()
        .filter((line) => line.pid === pid)
        .map((line) => line.msg);
      expect(said).toContain(gone);
      expect(said.slice(said.indexOf(gone))).toContain(stopped);
    } finally {
      killNpmGroup(npm);
      configFile.remove();
    }
  },
  180_000,
);
