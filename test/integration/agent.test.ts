import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { humanInputSignal, InputRejection, pauseSignal, provideInputUpdate, resumeSignal, stateQuery } from '../../workflows/definitions';
import type { AgentResult } from '../../workflows/agent';
import { executionSizes } from '../../client/executions';
import { eventually, mcpServers, providerConfig, startAgentEnv, type AgentEnv } from '../support/agent-env';
import { toolNamesOffered, toolResultsSeen } from '../support/requests';

/**
 * The agent loop end to end: a real Temporal dev server, the real Anthropic and OpenAI SDK clients
 * against the scripted provider, and real MCP servers (server-everything over stdio, our fixture
 * over streamable HTTP and stdio).
 */

let env: AgentEnv;

beforeAll(async () => {
  env = await startAgentEnv((provider, fixtureUrl) => ({
    ...providerConfig(provider),
    mcp: { servers: mcpServers(fixtureUrl) },
    agents: {
      calculator: { instruction: 'Add numbers with your tools.', servers: ['everything'], provider: 'openai', model: 'calc-openai' },
    },
    workflows: { calc: { type: 'agent', agent: 'calculator' } },
  }));
});

afterAll(async () => {
  await env?.close();
});

/** The validator's verdict on an Update that was refused. */
async function rejection(update: Promise<unknown>): Promise<{ type?: string; message: string }> {
  const err = await update.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    return { type: err.cause.type ?? undefined, message: err.cause.message };
  }
  if (err instanceof Error) return { type: err.name, message: err.message };
  throw new Error('the update was accepted');
}

async function activitySummaries(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e) =>
    e.activityTaskScheduledEventAttributes && e.userMetadata?.summary
      ? [defaultPayloadConverter.fromPayload<string>(e.userMetadata.summary as never)]
      : [],
  );
}

let modelCounter = 0;
const uniqueModel = (label: string) => `${label}-${++modelCounter}-${Date.now()}`;

function adHoc(model: string, extra: Record<string, unknown> = {}, provider: 'openai' | 'anthropic' = 'openai') {
  return { type: 'agent', agent: { instruction: 'You are a test agent.', provider, model, ...extra } };
}

async function activityTypes(handle: { fetchHistory(): Promise<{ events?: unknown[] | null }> }): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const scheduled = (e as { activityTaskScheduledEventAttributes?: { activityType?: { name?: string } } })
      .activityTaskScheduledEventAttributes;
    return scheduled?.activityType?.name ? [scheduled.activityType.name] : [];
  });
}

test('a configured agent makes a tool round trip through server-everything over stdio (OpenAI)', async () => {
  env.provider.script('calc-openai', [
    { toolCalls: [{ name: 'everything-get-sum', arguments: { a: 2, b: 40 } }], usage: { input: 100, output: 20 } },
    { text: 'The answer is 42.', usage: { input: 150, output: 10 } },
  ]);
  const handle = await env.start('calc', 'What is 2 + 40?');
  const result = (await handle.result()) as AgentResult;

  expect(result).toMatchObject({ text: 'The answer is 42.', iterations: 2, stopReason: 'final_answer' });
  expect(result.usage).toEqual({ inputTokens: 250, outputTokens: 30, llmCalls: 2, toolCalls: 1 });
  const [first, second] = env.provider.requests('calc-openai');
  expect(toolNamesOffered(first)).toContain('everything-get-sum');
  expect(JSON.stringify(first.body.messages)).toContain('What is 2 + 40?');
  expect(toolResultsSeen(second)).toEqual([
    expect.objectContaining({ content: 'The sum of 2 and 40 is 42.', isError: false }),
  ]);
  const described = await handle.describe();
  expect(described.typedSearchAttributes.get({ name: 'McpAgentStatus', type: 'KEYWORD' } as never)).toBe('completed');
  // What the Web UI shows: the run's summary and details, and a summary on every activity.
  expect(await described.staticSummary()).toBe('calc: What is 2 + 40?');
  expect(await described.staticDetails()).toContain('calculator');
  expect(await activitySummaries(handle)).toEqual([
    'list tools · everything',
    'llm openai/calc-openai · calculator · turn 1',
    'tool everything-get-sum',
    'llm openai/calc-openai · calculator · turn 2',
  ]);
});

test('parallel tool calls in one turn run as concurrent activities (Anthropic, streamable HTTP)', async () => {
  const model = uniqueModel('parallel');
  env.provider.script(model, [
    {
      toolCalls: [
        { name: 'fixture-slow', arguments: { ms: 700 } },
        { name: 'fixture-add', arguments: { a: 1, b: 2 } },
        { name: 'fixture-slow', arguments: { ms: 700 } },
      ],
    },
    { text: 'done' },
  ]);
  const handle = await env.start('agent', 'go', adHoc(model, { servers: ['fixture'] }, 'anthropic'));
  await handle.result();

  const results = toolResultsSeen(env.provider.requests(model)[1]);
  expect(results).toHaveLength(3);
  expect(results[1].content).toBe('3');
  expect(results.every((r) => !r.isError)).toBe(true);
  // All three tool activities were scheduled before any of them completed.
  const history = await handle.fetchHistory();
  const kinds = (history.events ?? [])
    .map((e) => (e.activityTaskScheduledEventAttributes?.activityType?.name === 'mcpCallTool' ? 'scheduled' : e.activityTaskCompletedEventAttributes ? 'completed' : ''))
    .filter(Boolean);
  const toolPhase = kinds.slice(kinds.lastIndexOf('completed', kinds.indexOf('scheduled')) + 1);
  expect(toolPhase.slice(0, 3)).toEqual(['scheduled', 'scheduled', 'scheduled']);
});

/** Every payload of a run's history as text: what history holds, whatever event it is in. */
async function historyPayloadText(handle: WorkflowHandle): Promise<string> {
  const texts: string[] = [];
  const walk = (node: unknown): void => {
    if (node instanceof Uint8Array) texts.push(Buffer.from(node).toString('utf8'));
    else if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') Object.values(node).forEach(walk);
  };
  walk(await handle.fetchHistory());
  return texts.join('\n');
}

test("an agent's tool lists stay in the store: history holds their names, and every model call gets them whole", async () => {
  const model = uniqueModel('tool-lists');
  env.provider.script(model, [{ toolCalls: [{ name: 'fixture-add', arguments: { a: 1, b: 2 } }] }, { text: 'done' }]);
  const handle = await env.start('agent', 'go', adHoc(model, { servers: ['fixture'], human_input: true }));
  await handle.result();

  const [first, second] = env.provider.requests(model);
  for (const request of [first, second]) {
    expect(toolNamesOffered(request)).toEqual(expect.arrayContaining(['fixture-add', 'fixture-echo', 'human_input']));
    expect(JSON.stringify(request.body.tools)).toContain('Adds two numbers');
  }
  expect(toolNamesOffered(second)).toEqual(toolNamesOffered(first));
  const history = await historyPayloadText(handle);
  expect(history).toContain('fixture-add');
  // Not the server's list (descriptions, input schemas): only the tools the workflow makes (human_input) go by value, once.
  expect(history).not.toContain('Adds two numbers');
  expect(history).not.toContain('"required":["a","b"]');
  expect(history.split('Ask the person you are working for')).toHaveLength(2);
  // A reply names where the tools went once (the next call sends that key), and a one-line prompt stays a value.
  expect(history.match(/"keys":\{[^}]*\}/g)).toEqual([expect.stringMatching(/^"keys":\{"tools":"json\/[0-9a-f]{64}"\}$/), '"keys":{}']);
});

test('a tool error and an unknown tool go back to the model as error results, not failures', async () => {
  const model = uniqueModel('tool-errors');
  env.provider.script(model, [
    {
      toolCalls: [
        { name: 'fixture-fail', arguments: { message: 'disk full' } },
        { name: 'fixture-nope', arguments: {} },
      ],
    },
    { text: 'I could not do it.' },
  ]);
  const handle = await env.start('agent', 'try', adHoc(model, { servers: ['fixture'] }));
  expect(await handle.result()).toMatchObject({ text: 'I could not do it.' });
  const [failed, unknown] = toolResultsSeen(env.provider.requests(model)[1]);
  expect(failed.isError).toBe(true);
  expect(failed.content).toContain('disk full');
  expect(unknown.isError).toBe(true);
  expect(unknown.content).toContain('Unknown tool "fixture-nope"');
});

test('human input: the run waits, shows what it asks, and the answer becomes the tool result', async () => {
  const model = uniqueModel('human');
  env.provider.script(model, [
    { toolCalls: [{ name: 'human_input', arguments: { prompt: 'Which city?' } }] },
    { text: 'Paris it is.' },
  ]);
  const handle = await env.start('agent', 'plan a trip', adHoc(model, { human_input: true }));
  const state = await eventually(async () => {
    const s = await handle.query(stateQuery);
    return s.pendingInput ? s : undefined;
  });
  expect(state.status).toBe('waiting_for_input');
  expect(state.pendingInput).toMatchObject({ kind: 'input', prompt: 'Which city?' });
  expect(toolNamesOffered(env.provider.requests(model)[0])).toContain('human_input');

  const accepted = await handle.executeUpdate(provideInputUpdate, {
    args: [{ requestId: state.pendingInput!.requestId, value: 'Paris' }],
  });
  expect(accepted.requestId).toBe(state.pendingInput!.requestId);
  expect(await handle.result()).toMatchObject({ text: 'Paris it is.' });
  expect(toolResultsSeen(env.provider.requests(model)[1])[0]).toMatchObject({ content: 'Paris', isError: false });
});

test('a human_input signal the run cannot use is refused: no answer taken, the request stays pending', async () => {
  const model = uniqueModel('bad-signal');
  env.provider.script(model, [
    { toolCalls: [{ name: 'human_input', arguments: { prompt: 'Which city?' } }, { name: 'fixture-add', arguments: { a: 1, b: 2 } }] },
    { text: 'Lyon, and 3.' },
  ]);
  const handle = await env.start('agent', 'go', adHoc(model, { human_input: true, servers: ['fixture'], approve_tools: ['fixture-add'] }));
  const pending = await eventually(async () => {
    const s = await handle.query(stateQuery);
    return s.pendingInput?.kind === 'input' ? s.pendingInput : undefined;
  });
  // What `temporal workflow signal --name human_input --input '"Lyon"'` sends: a bare string.
  await handle.signal(humanInputSignal, 'Lyon' as never);
  await handle.signal(humanInputSignal, { value: 'Lyon', requestId: 7 } as never);
  await new Promise((r) => setTimeout(r, 300));
  expect((await handle.query(stateQuery)).pendingInput).toEqual(pending);
  expect((await handle.query(stateQuery)).queuedInputs).toBe(0);

  await handle.signal(humanInputSignal, { requestId: pending.requestId, value: 'Lyon' });
  const approval = await eventually(async () => {
    const s = await handle.query(stateQuery);
    return s.pendingInput?.kind === 'approval' ? s.pendingInput : undefined;
  });
  // An approval that is not {approved, reason?} is not taken either.
  await handle.signal(humanInputSignal, { requestId: approval.requestId, value: 'yes please' });
  await new Promise((r) => setTimeout(r, 300));
  expect((await handle.query(stateQuery)).pendingInput).toEqual(approval);

  await handle.signal(humanInputSignal, { requestId: approval.requestId, value: { approved: true } });
  expect(await handle.result()).toMatchObject({ text: 'Lyon, and 3.' });
  // The Web UI names each wait's timer.
  const timers = ((await handle.fetchHistory()).events ?? []).flatMap((e) =>
    e.timerStartedEventAttributes && e.userMetadata?.summary ? [defaultPayloadConverter.fromPayload<string>(e.userMetadata.summary as never)] : [],
  );
  expect(timers).toEqual(['waiting for input: Which city?', 'waiting for approval of fixture-add']);
  const [city, sum] = toolResultsSeen(env.provider.requests(model)[1]);
  expect([city.content, sum.content]).toEqual(['Lyon', '3']);
});

test('a call that needs no approval runs while the one beside it waits for its approval', async () => {
  const model = uniqueModel('beside-approval');
  env.provider.script(model, [
    // The approval first: the sum's call must not wait behind it.
    { toolCalls: [{ name: 'fixture-echo', arguments: { text: 'approved echo' } }, { name: 'fixture-add', arguments: { a: 2, b: 2 } }] },
    { text: 'the echo, and four' },
  ]);
  const handle = await env.start('agent', 'go', adHoc(model, { servers: ['fixture'], approve_tools: ['fixture-echo'] }));
  const approval = await eventually(async () => (await handle.query(stateQuery)).pendingInput);
  expect(approval).toMatchObject({ kind: 'approval', tool: 'fixture-echo' });
  // The sum's tool call completes while the approval is still pending.
  await eventually(async () => {
    const events = (await handle.fetchHistory()).events ?? [];
    const toolCalls = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'mcpCallTool').map((e) => String(e.eventId));
    const completed = events.filter((e) => e.activityTaskCompletedEventAttributes).map((e) => String(e.activityTaskCompletedEventAttributes!.scheduledEventId));
    return toolCalls.length === 1 && completed.includes(toolCalls[0]) ? true : undefined;
  });
  expect((await handle.query(stateQuery)).pendingInput).toEqual(approval);
  await handle.executeUpdate(provideInputUpdate, { args: [{ requestId: approval.requestId, value: { approved: true } }] });
  expect(await handle.result()).toMatchObject({ text: 'the echo, and four' });
  const results = toolResultsSeen(env.provider.requests(model)[1]);
  expect(results.map((r) => [r.content, r.isError])).toEqual([['approved echo', false], ['4', false]]);
});

test('input sent by signal before it is asked for is kept and answers the next request', async () => {
  const model = uniqueModel('early');
  env.provider.script(model, [
    { toolCalls: [{ name: 'human_input', arguments: { prompt: 'Name?' } }], delayMs: 500 },
    { text: 'Hello Ada.' },
  ]);
  const handle = await env.start('agent', 'greet me', adHoc(model, { human_input: true }));
  await handle.signal(humanInputSignal, { value: 'Ada' });
  expect(await handle.result()).toMatchObject({ text: 'Hello Ada.' });
  expect(toolResultsSeen(env.provider.requests(model)[1])[0].content).toBe('Ada');
});

test.each([
  ['approved', { approved: true }, 'The sum of 3 and 4 is 7.', false],
  ['denied', { approved: false, reason: 'not today' }, 'The user denied the call to everything-get-sum: not today', true],
])('tool approval %s', async (_label, decision, expected, isError) => {
  const model = uniqueModel('approval');
  env.provider.script(model, [
    { toolCalls: [{ name: 'everything-get-sum', arguments: { a: 3, b: 4 } }] },
    { text: 'ok' },
  ]);
  const handle = await env.start(
    'agent',
    'add 3 and 4',
    adHoc(model, { servers: ['everything'], approve_tools: ['everything-get-*'] }),
  );
  const pending = await eventually(async () => (await handle.query(stateQuery)).pendingInput);
  expect(pending).toMatchObject({ kind: 'approval', tool: 'everything-get-sum', args: { a: 3, b: 4 } });
  expect(await activityTypes(handle)).not.toContain('mcpCallTool');

  expect(
    await rejection(handle.executeUpdate(provideInputUpdate, { args: [{ requestId: pending.requestId, value: 'yes' }] })),
  ).toMatchObject({ type: InputRejection.InvalidValue, message: expect.stringContaining('asks for approval') });
  expect(
    await rejection(handle.executeUpdate(provideInputUpdate, { args: [{ requestId: 'approval-99', value: decision }] })),
  ).toMatchObject({ type: InputRejection.WrongRequest });
  await handle.executeUpdate(provideInputUpdate, { args: [{ requestId: pending.requestId, value: decision }] });
  await handle.result();

  const [seen] = toolResultsSeen(env.provider.requests(model)[1]);
  expect(seen.isError).toBe(isError);
  expect(seen.content).toContain(expected);
  expect((await activityTypes(handle)).includes('mcpCallTool')).toBe(!isError);
});

test('pause holds the run at the next step boundary; resume carries on', async () => {
  const model = uniqueModel('pause');
  env.provider.script(model, [
    { toolCalls: [{ name: 'fixture-add', arguments: { a: 5, b: 5 } }], delayMs: 1000 },
    { text: 'ten' },
  ]);
  const handle = await env.start('agent', 'add', adHoc(model, { servers: ['fixture'] }));
  await env.provider.waitForRequest(model, 1);
  await handle.signal(pauseSignal);
  // The LLM call in flight finishes; no tool call and no further LLM call may start.
  await eventually(async () => (await activityTypes(handle)).includes('llmGenerate') && (await handle.fetchHistory()).events?.some((e) => e.activityTaskCompletedEventAttributes && true));
  await new Promise((r) => setTimeout(r, 1500));
  const state = await handle.query(stateQuery);
  expect(state.status).toBe('paused');
  const metadata = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
  expect(metadata.currentDetails).toMatch(/^paused before: 1 tool call · turn 1/);
  expect(await activityTypes(handle)).toEqual(['mcpListTools', 'llmGenerate']);
  expect(env.provider.requests(model)).toHaveLength(1);
  expect(await rejection(handle.executeUpdate(provideInputUpdate, { args: [{ value: 'hello' }] }))).toMatchObject({
    type: InputRejection.NothingPending,
  });

  await handle.signal(resumeSignal);
  expect(await handle.result()).toMatchObject({ text: 'ten' });
  expect(await activityTypes(handle)).toEqual(['mcpListTools', 'llmGenerate', 'mcpCallTool', 'llmGenerate']);
});

test('a run paused during its last model call does not complete until resumed', async () => {
  const model = uniqueModel('pause-end');
  env.provider.script(model, [{ text: 'the answer', delayMs: 1000 }]);
  const handle = await env.start('agent', 'answer', adHoc(model));
  await env.provider.waitForRequest(model, 1);
  await handle.signal(pauseSignal);
  await eventually(async () => (await handle.fetchHistory()).events?.some((e) => e.activityTaskCompletedEventAttributes && true));
  await new Promise((r) => setTimeout(r, 1500));
  expect((await handle.describe()).status.name).toBe('RUNNING');
  expect((await handle.query(stateQuery)).status).toBe('paused');

  await handle.signal(resumeSignal);
  expect(await handle.result()).toMatchObject({ text: 'the answer' });
  expect(env.provider.requests(model)).toHaveLength(1);
});

test('cancel ends the run as cancelled and aborts the LLM call in flight', async () => {
  const model = uniqueModel('cancel');
  env.provider.script(model, [{ text: 'too late', delayMs: 60_000 }]);
  const handle = await env.start('agent', 'wait', adHoc(model));
  const request = await env.provider.waitForRequest(model, 1);
  await handle.cancel();
  await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
  expect((await handle.describe()).status.name).toBe('CANCELLED');
  expect(await request.settled).toBe('disconnected');
});

test('429 (with Retry-After) and 500 are retried by Temporal until the call succeeds', async () => {
  const model = uniqueModel('retry');
  env.provider.script(model, [
    { status: 429, message: 'slow down', headers: { 'retry-after': '1' } },
    { status: 500, message: 'boom' },
    { text: 'third time lucky' },
  ]);
  const handle = await env.start('agent', 'hi', adHoc(model, {}, 'anthropic'));
  expect(await handle.result()).toMatchObject({ text: 'third time lucky' });
  const requests = env.provider.requests(model);
  expect(requests).toHaveLength(3);
  // Retry-After: 1 means the second attempt waited at least a second.
  expect(requests[1].at - requests[0].at).toBeGreaterThanOrEqual(900);
});

test('a 400 fails the run at once with the provider message', async () => {
  const model = uniqueModel('bad-request');
  env.provider.script(model, [{ status: 400, message: 'messages: field required' }]);
  const handle = await env.start('agent', 'hi', adHoc(model));
  const failure = await handle.result().catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect(String((failure as WorkflowFailedError).cause?.message)).toContain('messages: field required');
  expect(env.provider.requests(model)).toHaveLength(1);
  const status = (await handle.describe()).typedSearchAttributes.get({ name: 'McpAgentStatus', type: 'KEYWORD' } as never);
  expect(status).toBe('failed');
});

test('an MCP server that dies mid-call is restarted and the call retried', async () => {
  const model = uniqueModel('die');
  const marker = `${require('node:os').tmpdir()}/mcp-die-once-${Date.now()}`;
  env.provider.script(model, [
    { toolCalls: [{ name: 'local-die_once', arguments: { marker } }] },
    { text: 'recovered' },
  ]);
  const handle = await env.start('agent', 'go', adHoc(model, { servers: ['local'] }));
  expect(await handle.result()).toMatchObject({ text: 'recovered' });
  expect(toolResultsSeen(env.provider.requests(model)[1])[0]).toMatchObject({ content: 'survived', isError: false });
});

test('max_iterations bounds the loop', async () => {
  const model = uniqueModel('bound');
  env.provider.script(model, [
    { text: 'thinking', toolCalls: [{ name: 'fixture-add', arguments: { a: 1, b: 1 } }] },
    { text: 'still thinking', toolCalls: [{ name: 'fixture-add', arguments: { a: 2, b: 2 } }] },
  ]);
  const handle = await env.start('agent', 'loop', adHoc(model, { servers: ['fixture'], max_iterations: 2 }));
  expect(await handle.result()).toMatchObject({ stopReason: 'max_iterations', iterations: 2, text: 'still thinking' });
  expect(env.provider.requests(model)).toHaveLength(2);
});


test('a long run continues as new at a turn boundary, keeps its state, and no long tool result enters history', async () => {
  const model = uniqueModel('long');
  env.provider.script(model, [
    ...Array.from({ length: 6 }, (_, i) => ({ toolCalls: [{ name: 'fixture-repeat', arguments: { text: `${i}`, times: 100_000 } }] })),
    { text: 'done at last' },
  ]);
  const spec = { ...adHoc(model, { servers: ['fixture'] }), history_limit_bytes: 16 * 1024 };
  const handle = await env.start('agent', 'repeat a lot', spec);
  const result = (await handle.result()) as AgentResult;
  expect(result).toMatchObject({ text: 'done at last', iterations: 7, stopReason: 'final_answer' });
  expect(result.usage).toMatchObject({ llmCalls: 7, toolCalls: 6 });

  const executions = await executionSizes(env.worker.client, handle.workflowId, handle.firstExecutionRunId);
  expect(executions.length).toBeGreaterThan(1);
  // The model saw the whole conversation, every result whole, in the last call.
  const seen = toolResultsSeen(env.provider.requests(model).at(-1)!);
  expect(seen.map((r) => r.content)).toEqual(Array.from({ length: 6 }, (_, i) => `${i}`.repeat(100_000)));
  // 600 KB of tool results, yet every execution's history together stays small: they live in the store.
  const historyBytes = executions.reduce((sum, e) => sum + e.historySize, 0);
  expect(historyBytes).toBeLessThan(100 * 1024);
});

test.each(['anthropic', 'openai'] as const)('an image a tool returns reaches the %s model as an image, and history carries only its key', async (provider) => {
  const model = uniqueModel(`image-${provider}`);
  env.provider.script(model, [{ toolCalls: [{ name: 'everything-get-tiny-image', arguments: {} }] }, { text: 'The MCP logo.' }]);
  const handle = await env.start('agent', 'What does the tiny image show?', adHoc(model, { servers: ['everything'] }, provider));
  expect(await handle.result()).toMatchObject({ text: 'The MCP logo.' });

  const [, second] = env.provider.requests(model);
  const wire = JSON.stringify(second.body.messages);
  const png = /data:image\/png;base64,(iVBORw0KGgo[A-Za-z0-9+/=]+)|"media_type":"image\/png","data":"(iVBORw0KGgo[A-Za-z0-9+/=]+)"/.exec(wire);
  expect(png).not.toBeNull();
  const data = png![1] ?? png![2];
  expect(Buffer.from(data, 'base64').subarray(1, 4).toString()).toBe('PNG');
  // The text still says what the result held, and the image's bytes never went through Temporal.
  expect(toolResultsSeen(second)[0].content).toContain('[image image/png,');
  const history = JSON.stringify(await handle.fetchHistory());
  expect(history).not.toContain(data.slice(0, 200));
});
