import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { stringify } from 'yaml';
import { testStoragePath } from '../support/temporal-env';
import { fetchTreeHistories, replayFailures } from '../support/replay';
import { eventually, mcpServers, providerConfig } from '../support/agent-env';
import { toolNamesOffered, toolResultsSeen } from '../support/requests';
import { startApi, type ApiHttp, type RunningApi } from '../support/api-http';
import { startTestWorker, testConfig, uniqueTaskQueue, type TestWorker } from '../support/harness';
import { startScriptedProvider, type ScriptedProvider } from '../../src/testing/scripted-model';

/**
 * Workflows written in TypeScript with mcp-agent-temporal/workflow (test/fixtures/code-workflows),
 * registered by `type: code` config entries and driven through the real API: structured answers,
 * agents in parallel, human input and approval, patterns from code, pause while a child runs,
 * cancel, errors, and replay of every run.
 */

const fixtureModule = path.resolve(__dirname, '..', 'fixtures', 'code-workflows', 'triage.ts');
const stamp = Date.now();
const models = {
  classifier: `code-classifier-${stamp}`,
  researcher: `code-researcher-${stamp}`,
  writer: `code-writer-${stamp}`,
  scout: `code-scout-${stamp}`,
  asker: `code-asker-${stamp}`,
  chatter: `code-chatter-${stamp}`,
};

let provider: ScriptedProvider;
let worker: TestWorker;
let running: RunningApi;
let api: ApiHttp;
const runIds: string[] = [];

beforeAll(async () => {
  provider = await startScriptedProvider();
  const config = testConfig(
    {
      ...providerConfig(provider),
      mcp: { servers: { everything: mcpServers('')!.everything } },
      agents: {
        scout: { instruction: 'You add numbers with your tools.', servers: ['everything'], provider: 'anthropic', model: models.scout },
        classifier: { instruction: 'You classify support tickets.', provider: 'openai', model: models.classifier },
        researcher: { instruction: 'You find the cause of a problem.', provider: 'anthropic', model: models.researcher },
        writer: { instruction: 'You write replies to customers.', provider: 'openai', model: models.writer },
        asker: { instruction: 'You ask before you answer.', provider: 'openai', model: models.asker, human_input: true },
        chatter: { instruction: 'You help customers with their orders.', provider: 'anthropic', model: models.chatter },
      },
      workflows: {
        triage: {
          type: 'code',
          module: fixtureModule,
          export: 'triageTicket',
          description: 'Triage a support ticket',
          input_schema: { type: 'object', properties: { ticket: { type: 'string', minLength: 1 } }, required: ['ticket'], additionalProperties: false },
        },
        publish: { type: 'code', module: fixtureModule, export: 'fanOutAndApprove' },
        ghost: { type: 'code', module: fixtureModule, export: 'askGhost' },
        askWithChild: { type: 'code', module: fixtureModule, export: 'askWithChild' },
        buggy: { type: 'code', module: fixtureModule, export: 'buggyTriage' },
        list: { type: 'code', module: fixtureModule, export: 'listAnswer' },
        date: { type: 'code', module: fixtureModule, export: 'dateAnswer' },
        capped: { type: 'code', module: path.resolve(fixtureModule, '..', 'capped-research.ts'), export: 'cappedResearch' },
        chat: { type: 'code', module: path.resolve(fixtureModule, '..', 'chat.ts'), export: 'chat', conversation: true, idle_timeout_seconds: 600 },
        ownTool: { type: 'code', module: path.resolve(fixtureModule, '..', 'capped-research.ts'), export: 'ownToolLeftToCallTool' },
      },
    },
    uniqueTaskQueue('code'),
  );
  worker = await startTestWorker(config);
  running = await startApi(config);
  api = running.api;
});

afterAll(async () => {
  if (worker) {
    const failures = await replayFailures(await fetchTreeHistories(worker.client, runIds));
    expect(failures).toEqual([]);
  }
  await running?.close();
  await worker?.stop();
  await provider?.close();
});

async function start(name: string, input: unknown): Promise<string> {
  const reply = await api.post(`/workflows/${name}/run`, { input });
  expect(reply.status).toBe(202);
  runIds.push(reply.body.runId);
  return reply.body.runId;
}

const runOf = async (runId: string) => (await api.get(`/runs/${runId}`)).body;
const waitingFor = (runId: string) => eventually(async () => ((await runOf(runId)).status === 'waiting_for_input' ? runOf(runId) : undefined));

test('lists code workflows, and checks their input against input_schema before starting', async () => {
  const listed = (await api.get('/workflows')).body.workflows;
  expect(listed).toEqual(
    expect.arrayContaining([
      { name: 'triage', type: 'code', description: 'Triage a support ticket' },
      { name: 'publish', type: 'code', description: '' },
    ]),
  );
  const bad = await api.post('/workflows/triage/run', { input: { ticket: '', extra: 1 } });
  expect(bad.status).toBe(400);
  expect(bad.body.error.code).toBe('invalid_input');
  expect(bad.body.error.details).toEqual(expect.arrayContaining([expect.stringMatching(/^input\.ticket: /), expect.stringMatching(/^input(\.extra)?: /)]));
  const spec = await api.post('/workflows/triage/run', { input: { ticket: 'x' }, spec: { type: 'agent', agent: 'writer' } });
  expect(spec.status).toBe(400);
  expect(spec.body.error.code).toBe('invalid_spec');
});

test('a structured answer, two agents in parallel, a person asked, a structured summary: one run with usage that adds up', async () => {
  provider.script(models.classifier, [{ json: { kind: 'bug', urgent: true }, usage: { input: 10, output: 3 } }]);
  provider.script(models.researcher, [{ text: 'A null check is missing.', usage: { input: 20, output: 5 } }]);
  provider.script(models.writer, [
    { text: 'Sorry, we are on it.', usage: { input: 30, output: 7 } },
    { json: { title: 'Crash on save', nextStep: 'patch the null check' }, usage: { input: 40, output: 9 } },
  ]);
  const runId = await start('triage', { ticket: 'The app crashes when I save.' });

  const waiting = await waitingFor(runId);
  expect(waiting).toMatchObject({
    workflow: 'triage',
    pattern: 'code',
    step: 'asking support',
    pendingInput: { kind: 'input', prompt: 'A bug (urgent): anything to add?' },
  });
  const listed = (await api.get('/runs?workflow=triage&status=waiting_for_input')).body.runs;
  expect(listed.find((run: { runId: string }) => run.runId === runId)?.step).toBe('asking support');
  expect((await api.post(`/runs/${runId}/input`, { value: 'They are on version 2.', requestId: waiting.pendingInput.requestId })).status).toBe(202);

  const done = (await api.get(`/runs/${runId}/result?wait=30`)).body;
  expect(done.status).toBe('completed');
  // The step is what an open run is doing now; a closed one is doing nothing.
  expect(done.step).toBeUndefined();
  expect(done.result).toMatchObject({
    kind: { kind: 'bug', urgent: true },
    research: 'A null check is missing.',
    draft: 'Sorry, we are on it.',
    note: 'They are on version 2.',
    summary: { title: 'Crash on save', nextStep: 'patch the null check' },
  });
  const usage = { inputTokens: 100, outputTokens: 24, llmCalls: 4, toolCalls: 0 };
  expect(done.usage).toEqual(usage);
  expect(done.result.usage).toEqual(usage);

  // The override reached the writer's draft call only; the classification was native structured output.
  const writerCalls = provider.requests(models.writer);
  expect(writerCalls[0].body.temperature).toBe(0.2);
  expect(writerCalls[1].body.temperature).toBeUndefined();
  expect((provider.requests(models.classifier)[0].body.response_format as { type?: string } | undefined)?.type).toBe('json_schema');

  // The two agents ran as children, side by side, each named by its call.
  const events = await api.get(`/runs/${runId}/events`);
  const children = String(events.body).match(/"workflowId":"[^"]+"/g) ?? [];
  expect(children.join(' ')).toContain('research');
  expect(children.join(' ')).toContain('draft');
});

test('pause holds the run while a child runs, resume goes on, cancel ends it and its children with the reason', async () => {
  provider.script(models.classifier, [{ json: { kind: 'question', urgent: false } }]);
  provider.script(models.researcher, [{ text: 'Slow research.', delayMs: 2500 }]);
  provider.script(models.writer, [{ text: 'A draft.' }]);
  const runId = await start('triage', { ticket: 'How do I export?' });

  const researching = await eventually(async () => {
    const run = await runOf(runId);
    return run.status === 'running' && (await api.get(`/runs/${runId}`)).body;
  });
  expect(researching.pattern).toBe('code');
  expect((await api.post(`/runs/${runId}/pause`)).status).toBe(202);
  await eventually(async () => (await runOf(runId)).status === 'paused');
  // The research answers meanwhile, but the paused run asks nobody anything.
  await new Promise((resolve) => setTimeout(resolve, 4000));
  const paused = await runOf(runId);
  expect(paused.status).toBe('paused');
  expect(paused.pendingInput).toBeUndefined();

  expect((await api.post(`/runs/${runId}/resume`)).status).toBe(202);
  const waiting = await waitingFor(runId);
  expect(waiting.pendingInput.prompt).toBe('A question: anything to add?');

  expect((await api.request('POST', `/runs/${runId}/cancel`, { json: { reason: 'duplicate ticket' } })).status).toBe(202);
  const cancelled = (await api.get(`/runs/${runId}/result?wait=30`)).body;
  expect(cancelled.status).toBe('cancelled');
  const stream = String((await api.get(`/runs/${runId}/events`)).body);
  expect(stream).toContain('"reason":"duplicate ticket"');
});

test('a pattern run from code, and an approval answered through the API', async () => {
  provider.script(models.researcher, [{ text: 'Facts.' }]);
  provider.script(models.writer, [{ text: 'Prose.' }]);
  const runId = await start('publish', 'Write about exports.');
  const waiting = await waitingFor(runId);
  expect(waiting.pendingInput).toMatchObject({ kind: 'approval', tool: 'publishing', prompt: 'Approve publishing?' });
  expect(waiting.pendingInput.args.text).toContain('Facts.');

  const answered = await api.post(`/runs/${runId}/input`, { requestId: waiting.pendingInput.requestId, value: { approved: false, reason: 'not yet' } });
  expect(answered.status).toBe(202);
  const done = (await api.get(`/runs/${runId}/result?wait=30`)).body;
  expect(done.status).toBe('completed');
  expect(done.result).toMatchObject({ published: false, reason: 'not yet' });
  expect(done.result.text).toContain('Prose.');
  expect(done.usage.llmCalls).toBe(2);
});

test("the workflow's own question and its child agent's at once: both in its events while both wait, each answered by its id", async () => {
  provider.script(models.asker, [{ toolCalls: [{ name: 'human_input', arguments: { prompt: 'Which colour?' } }] }, { text: 'Blue it is.' }]);
  const runId = await start('askWithChild', 'Pick a colour.');
  const waiting = await eventually(async () => {
    const run = await runOf(runId);
    return run.pendingInputs?.length === 2 && run;
  });
  const [own, child] = waiting.pendingInputs;
  expect(own).toEqual({ requestId: 'input-1', kind: 'input', prompt: 'Anything to add?' });
  expect(child).toEqual({ requestId: expect.stringMatching(/\/asker-\d+::input-1$/), kind: 'input', prompt: 'Which colour?' });
  expect(waiting.pendingInput).toEqual(own);

  // The child's first, though the run's own was asked before it.
  expect((await api.post(`/runs/${runId}/input`, { requestId: child.requestId, value: 'blue' })).status).toBe(202);
  expect((await api.post(`/runs/${runId}/input`, { requestId: own.requestId, value: 'Nothing.' })).status).toBe(202);
  const done = (await api.get(`/runs/${runId}/result?wait=30`)).body;
  expect(done).toMatchObject({ status: 'completed', result: { own: 'Nothing.', child: 'Blue it is.' } });
  expect(toolResultsSeen(provider.requests(models.asker)[1])[0].content).toBe('blue');

  // Each question announced once, both before either answer.
  const events = String((await api.get(`/runs/${runId}/events`)).body)
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice('data: '.length)) as { type: string; data: { requestId?: string } })
    .filter((event) => event.type === 'input_requested' || event.type === 'input_received')
    .map((event) => `${event.type} ${event.data.requestId}`);
  expect(events).toEqual([
    `input_requested ${own.requestId}`,
    `input_requested ${child.requestId}`,
    `input_received ${child.requestId}`,
    `input_received ${own.requestId}`,
  ]);
});

test("a tool loop of the workflow's own: the agent's model and MCP tools, turn by turn, under the workflow's rule", async () => {
  provider.script(models.scout, [
    { toolCalls: [{ name: 'everything-get-sum', arguments: { a: 2, b: 3 } }] },
    { toolCalls: [{ name: 'everything-get-sum', arguments: { a: 5, b: 5 } }] },
    { text: 'Five, then ten.' },
  ]);
  const runId = await start('capped', { question: 'Add 2 and 3, then 5 and 5.', maxToolCalls: 2 });
  const done = (await api.get(`/runs/${runId}/result?wait=30`)).body;
  expect(done.status).toBe('completed');
  expect(done.result).toEqual({ answer: 'Five, then ten.', toolCalls: 2, turns: 3 });
  expect(done.usage).toMatchObject({ llmCalls: 3, toolCalls: 2 });

  // Each turn continued the stored conversation: the real server's results reached the model, and
  // once the cap was reached the model was told so and offered no tools.
  const [first, second, third] = provider.requests(models.scout);
  expect(toolNamesOffered(first)).toContain('everything-get-sum');
  expect(toolResultsSeen(second).map((r) => r.content)).toEqual([expect.stringContaining('5')]);
  expect(toolNamesOffered(third)).toEqual([]);
  expect(JSON.stringify(third.body.messages)).toContain('No more tools: answer with what you have.');
  expect(toolResultsSeen(third).map((r) => r.content)).toEqual([expect.stringContaining('5'), expect.stringContaining('10')]);

  const messages = (await api.get(`/runs/${runId}/messages`)).body;
  expect(JSON.stringify(messages)).toContain('Five, then ten.');
});

test('a code workflow made with {conversation: true} is a conversation: it answers its input, goes idle, answers a message, and close ends it', async () => {
  provider.script(models.chatter, [{ text: 'Sorry to hear that: which order?' }, { text: 'Order 7 ships tomorrow.' }]);
  const runId = await start('chat', 'My order has not arrived.');

  const idle = await eventually(async () => {
    const run = await runOf(runId);
    return run.status === 'idle' && run;
  });
  expect(idle).toMatchObject({
    pattern: 'code',
    result: { text: 'Sorry to hear that: which order?' },
    conversation: { turn: 1, finishedTurns: 1, queuedMessages: 0, onMessageWhileBusy: 'queue', idleTimeoutSeconds: 600 },
  });

  const second = await api.post(`/runs/${runId}/messages?wait=30`, { input: 'Order 7.' });
  expect(second.status).toBe(200);
  expect(second.body).toMatchObject({ status: 'idle', turn: 2, answer: { turn: 2, outcome: 'answered', text: 'Order 7 ships tomorrow.' } });
  // The second turn continued the first: the model saw what was said before.
  expect(JSON.stringify(provider.requests(models.chatter)[1].body.messages)).toContain('Sorry to hear that: which order?');

  expect((await api.post(`/runs/${runId}/close`)).status).toBe(202);
  const done = (await api.get(`/runs/${runId}/result?wait=30`)).body;
  expect(done).toMatchObject({ status: 'completed', result: { text: 'Order 7 ships tomorrow.', turns: 2, closedBy: 'close' } });
  const messages: { turn: number; role: string; text: string }[] = (await api.get(`/runs/${runId}/messages`)).body.messages;
  const transcript = messages.map((m) => [m.turn, m.role, m.text]);
  expect(transcript).toEqual([
    [1, 'user', 'My order has not arrived.'],
    [1, 'assistant', 'Sorry to hear that: which order?'],
    [2, 'user', 'Order 7.'],
    [2, 'assistant', 'Order 7 ships tomorrow.'],
  ]);
  expect((await api.post(`/runs/${runId}/messages`, { input: 'Thanks!' })).status).toBe(409);
});

test('a run whose spec says conversation, of a code workflow made without {conversation: true}, fails at start saying why', async () => {
  // The worker refuses such a config entry; a Temporal client's own start can still send the spec.
  const runId = `code-not-a-conversation-${stamp}`;
  const spec = { type: 'code', workflow: 'triageTicket', conversation: { on_message_while_busy: 'queue', idle_timeout_seconds: 600 } };
  const args = [{ name: 'triage', spec, input: { ticket: 'x' } }];
  await worker.client.workflow.start('triageTicket', { taskQueue: worker.taskQueue, workflowId: runId, args });
  runIds.push(runId);
  const failed = (await api.get(`/runs/${runId}/result?wait=30`)).body;
  expect(failed).toMatchObject({
    status: 'failed',
    error: { code: 'invalid_spec', message: expect.stringContaining('triageTicket cannot be a conversation: its spec says conversation: true') },
  });
});

test("callTool on a tool the workflow offered itself answers that the workflow must handle it, not that it is unknown", async () => {
  provider.script(models.scout, [{ toolCalls: [{ name: 'my_tool', arguments: {} }] }]);
  const runId = await start('ownTool', 'Look it up.');
  const done = (await api.get(`/runs/${runId}/result?wait=30`)).body;
  expect(done.status).toBe('completed');
  expect(done.result).toEqual([
    {
      content:
        '"my_tool" is offered but callTool cannot run it: callTool runs the agent\'s MCP tools and functions, human_input and approvals; ' +
        'a tool the workflow adds itself (toolSet(listed, ownTools)) must be handled by the workflow before calling callTool.',
      isError: true,
    },
  ]);
  expect(toolNamesOffered(provider.requests(models.scout).at(-1)!)).toEqual(expect.arrayContaining(['everything-get-sum', 'my_tool']));
});

test('an agent the config does not have fails the run with the key path, at once', async () => {
  const runId = await start('ghost', 'hello');
  const failed = (await api.get(`/runs/${runId}/result?wait=30`)).body;
  expect(failed.status).toBe('failed');
  expect(failed.error.message).toBe('ghost cannot run: node: unknown agent "ghost"');
});

test('an error thrown by workflow code fails the run with its type and message, at once: no workflow task retried forever', async () => {
  provider.script(models.classifier, [{ text: 'not JSON at all' }]);
  const buggy = await start('buggy', 'Label this.');
  const failed = (await api.get(`/runs/${buggy}/result?wait=30`)).body;
  expect(failed).toMatchObject({ status: 'failed', error: { code: 'syntax_error', message: expect.stringContaining('JSON') } });

  // Refused before any model call, with how to wrap the list.
  const before = provider.requests(models.classifier).length;
  const list = await start('list', 'Kinds?');
  const refused = (await api.get(`/runs/${list}/result?wait=30`)).body;
  expect(refused).toMatchObject({ status: 'failed', error: { code: 'type_error', message: expect.stringContaining('z.object({ items: z.array(...) })') } });
  expect(provider.requests(models.classifier)).toHaveLength(before);
});

test('a structured answer with a part JSON Schema cannot express (a z.date()) fails the run at once, naming the field and what to use', async () => {
  const before = provider.requests(models.classifier).length;
  const runId = await start('date', 'When?');
  const refused = (await api.get(`/runs/${runId}/result?wait=30`)).body;
  expect(refused).toMatchObject({
    status: 'failed',
    error: {
      code: 'type_error',
      message:
        "structured output's schema has a part JSON Schema cannot express, at when (Date cannot be represented in JSON Schema): " +
        'the model writes JSON, so use z.iso.datetime() (an ISO 8601 string; add .transform((s) => new Date(s)) for a Date) or z.string() there',
    },
  });
  expect(provider.requests(models.classifier)).toHaveLength(before);
});

test('mcp-agent replay says whether a recorded history replays on the code the config names now', async () => {
  const [completed] = runIds;
  const history = await worker.client.workflow.getHandle(completed).fetchHistory();
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-agent-replay-'));
  try {
    // Named as the run, as `--id` defaults to.
    const historyFile = path.join(dir, `${completed}.json`);
    writeFileSync(historyFile, historyToJSON(history));
    const replay = async (module: string) => {
      const configFile = path.join(dir, `${path.basename(module, '.ts')}.yaml`);
      writeFileSync(configFile, stringify({ workflows: { triage: { type: 'code', module, export: 'triageTicket' } }, storage: { path: testStoragePath() } }));
      const cli = path.resolve(__dirname, '..', '..', 'bin', 'mcp-agent.js');
      return promisify(execFile)(process.execPath, [cli, 'replay', historyFile], { env: { ...process.env, MCP_AGENT_CONFIG: configFile } }).then(
        ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
        (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
      );
    };

    const same = await replay(fixtureModule);
    expect(same).toMatchObject({ code: 0, stdout: `${historyFile} replays on this code.\n` });
    const changed = await replay(path.join(path.dirname(fixtureModule), 'triage-changed.ts'));
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/does not replay on this code: .*[Nn]ondeterminism/);
    // The same commands in the same order, but each call of the two in parallel now names the other's agent.
    const swapped = await replay(path.join(path.dirname(fixtureModule), 'triage-swapped.ts'));
    expect(swapped.code).toBe(1);
    expect(swapped.stderr).toBe(
      `${historyFile} does not replay on this code: Nondeterminism: the workflow code asks for "writer" where the run's history resolved "researcher": ` +
        'its calls to agents, patterns or functions changed since the run was recorded (guard such a change with patched())\n',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
