import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { RunsClient, startOptions } from '../../client/runs';
import { resolveRun } from '../../src/config/resolve';
import type { ConfigInput } from '../../src/config/schema';
import { startScriptedProvider, type ScriptedProvider } from '../../src/testing/scripted-model';
import { eventually, providerConfig } from '../support/agent-env';
import { testConfig, uniqueTaskQueue } from '../support/harness';
import { fetchTreeHistories, replayFailures } from '../support/replay';
import { testTemporalAddress } from '../support/temporal-env';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

/**
 * A code workflow in worker processes as operators run them (`worker/main.ts` with a YAML config
 * naming the module, which the worker loads and bundles itself), one of them SIGKILLed while an
 * agent's model call is in flight: another worker takes over and the run completes, asking for its
 * input as before, and its history replays.
 */

const fixtureModule = path.resolve(__dirname, '..', 'fixtures', 'code-workflows', 'triage.ts');
const stamp = Date.now();
const models = { classifier: `kill-classifier-${stamp}`, researcher: `kill-researcher-${stamp}`, writer: `kill-writer-${stamp}` };
const taskQueue = uniqueTaskQueue('code-kill');

let provider: ScriptedProvider;
let connection: Connection;
let client: Client;
const workers: WorkerProcess[] = [];

function workerConfig(): ConfigInput {
  return {
    ...providerConfig(provider),
    agents: {
      classifier: { instruction: 'You classify support tickets.', provider: 'openai', model: models.classifier },
      researcher: { instruction: 'You find the cause of a problem.', provider: 'anthropic', model: models.researcher },
      writer: { instruction: 'You write replies to customers.', provider: 'openai', model: models.writer },
    },
    workflows: { triage: { type: 'code', module: fixtureModule, export: 'triageTicket' } },
  };
}

beforeAll(async () => {
  provider = await startScriptedProvider();
  connection = await Connection.connect({ address: testTemporalAddress() });
  client = new Client({ connection });
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await connection?.close();
  await provider?.close();
});

test('SIGKILL during an agent call of a code workflow: another worker process finishes the run', async () => {
  const first = await startWorkerProcess({ config: workerConfig(), taskQueue, label: 'code worker A' });
  workers.push(first);
  provider.script(models.classifier, [{ json: { kind: 'bug', urgent: false } }]);
  // The attempt that dies with worker A; its retry on worker B gets the reply behind it.
  provider.script(models.researcher, [{ text: 'never sent', delayMs: 60_000 }, { text: 'A race in the save path.' }]);
  provider.script(models.writer, [{ text: 'We are on it.' }, { json: { title: 'Save race', nextStep: 'lock the save' } }]);

  const run = resolveRun(testConfig(workerConfig(), taskQueue), 'triage');
  const handle = await client.workflow.start(run.workflowType, startOptions({ ...run, input: { ticket: 'Saving loses data.' } }, `code-kill-${stamp}`, taskQueue));
  await provider.waitForRequest(models.researcher, 1);

  const second = await startWorkerProcess({ config: workerConfig(), taskQueue, label: 'code worker B' });
  workers.push(second);
  first.kill('SIGKILL');
  expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });

  const runs = new RunsClient({ client, taskQueue, uiUrl: 'http://ui.test' });
  const waiting = await eventually(async () => {
    const view = await runs.get(handle.workflowId);
    return view.status === 'waiting_for_input' && view;
  }, 60_000);
  expect(waiting.pendingInput?.prompt).toBe('A bug: anything to add?');
  await runs.provideInput(handle.workflowId, { value: 'Only on slow disks.' });

  expect(await handle.result()).toMatchObject({
    research: 'A race in the save path.',
    draft: 'We are on it.',
    note: 'Only on slow disks.',
    summary: { title: 'Save race', nextStep: 'lock the save' },
  });
  expect(provider.requests(models.researcher)).toHaveLength(2);
  expect(await replayFailures(await fetchTreeHistories(client, [handle.workflowId]))).toEqual([]);
}, 180_000);
