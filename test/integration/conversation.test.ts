import { defaultPayloadConverter } from '@temporalio/common';
import { MEMO_INPUT_MAX_BYTES } from '../../client/run-metadata';
import { eventually, mcpServers, providerConfig, startAgentEnv, type AgentEnv } from '../support/agent-env';
import { startApi, type RunningApi } from '../support/api-http';
import { executionSizes } from '../../client/executions';
import { SUMMARY_SYSTEM_PROMPT } from '../../src/conversation/summary';
import { stubText } from '../../src/conversation/context';
import { conversationSeen, systemSeen, toolResultsSeen } from '../support/requests';
import { collectEvents } from '../support/sse';
import { messageSignal } from '../../workflows/definitions';

/**
 * Conversations (contract section 9) through the HTTP API, on the suite's Temporal dev server:
 * follow-up messages under each busy policy, idle timeout and close, the transcript, pause and
 * approvals between and within turns, and turn events. The scripted provider shows what each
 * model call was sent.
 */

let env: AgentEnv;
let running: RunningApi;

beforeAll(async () => {
  env = await startAgentEnv((provider, fixtureUrl) => ({
    ...providerConfig(provider),
    default_provider: 'openai',
    mcp: { servers: { ...mcpServers(fixtureUrl), repeater: { url: fixtureUrl, allowed_tools: ['repeat'] } } },
    agents: {
      helper: { instruction: 'You help.', model: 'conv-helper', servers: ['fixture'] },
    },
    workflows: {
      chat: { type: 'agent', agent: 'helper', conversation: true, description: 'Talks' },
    },
  }));
  running = await startApi(env.worker.config);
});

afterAll(async () => {
  await running?.close();
  await env?.close();
});

let counter = 0;
const uniqueModel = (label: string) => `conv-${label}-${process.pid}-${++counter}`;

function conversationSpec(model: string, extra: Record<string, unknown> = {}, agent: Record<string, unknown> = {}) {
  return {
    type: 'agent',
    conversation: true,
    ...extra,
    agent: { instruction: 'You help.', provider: 'openai', model, servers: ['fixture'], ...agent },
  };
}

/** Starts a conversation through the API; the run joins the file's replay check. */
async function startConversation(input: unknown, spec: Record<string, unknown>, id?: string): Promise<string> {
  const reply = await running.api.post('/workflows/agent/run', { input, spec, ...(id !== undefined && { id }) });
  expect(reply.status).toBe(202);
  const runId: string = reply.body.runId;
  env.handles.push(env.worker.client.workflow.getHandle(runId));
  return runId;
}

async function runOf(runId: string) {
  return (await running.api.get(`/runs/${encodeURIComponent(runId)}`)).body;
}

async function untilStatus(runId: string, status: string) {
  return eventually(async () => {
    const run = await runOf(runId);
    return run.status === status && run;
  });
}

async function send(runId: string, input: unknown, wait = 0) {
  return running.api.post(`/runs/${encodeURIComponent(runId)}/messages${wait ? `?wait=${wait}` : ''}`, { input });
}

async function sendKeyed(runId: string, input: unknown, key: string) {
  return running.api.request('POST', `/runs/${encodeURIComponent(runId)}/messages`, { json: { input }, headers: { 'idempotency-key': key } });
}

async function transcript(runId: string, query = '') {
  return running.api.get(`/runs/${encodeURIComponent(runId)}/messages${query}`);
}

async function closeAndWait(runId: string) {
  const closed = await running.api.post(`/runs/${encodeURIComponent(runId)}/close`);
  expect(closed.status).toBe(202);
  return (await running.api.get(`/runs/${encodeURIComponent(runId)}/result?wait=30`)).body;
}

test('a conversation answers, waits idle, and answers follow-ups with everything said before', async () => {
  const model = uniqueModel('follow-up');
  env.provider.script(model, [
    { text: 'Hello Ada.' },
    { toolCalls: [{ name: 'fixture-add', arguments: { a: 2, b: 3 } }] },
    { text: 'It is 5.' },
  ]);
  const runId = await startConversation('Hi, I am Ada.', conversationSpec(model));

  const idle = await untilStatus(runId, 'idle');
  expect(idle.result).toMatchObject({ text: 'Hello Ada.' });
  expect(idle.conversation).toMatchObject({ turn: 1, finishedTurns: 1, queuedMessages: 0, onMessageWhileBusy: 'queue' });

  const answered = await send(runId, 'What is 2 + 3?', 30);
  expect(answered.status).toBe(200);
  expect(answered.body).toMatchObject({ turn: 2, status: 'idle', result: { text: 'It is 5.' } });

  const [, second, third] = env.provider.requests(model);
  expect(conversationSeen(second)).toEqual(['user: Hi, I am Ada.', 'assistant: Hello Ada.', 'user: What is 2 + 3?']);
  expect(conversationSeen(third).slice(0, 4)).toEqual([
    'user: Hi, I am Ada.',
    'assistant: Hello Ada.',
    'user: What is 2 + 3?',
    'assistant: [fixture-add]',
  ]);
  expect(toolResultsSeen(third)).toEqual([expect.objectContaining({ content: '5', isError: false })]);

  const page = await transcript(runId);
  expect(page.status).toBe(200);
  expect(page.body.messages).toEqual([
    { turn: 1, role: 'user', text: 'Hi, I am Ada.' },
    { turn: 1, role: 'assistant', text: 'Hello Ada.' },
    { turn: 2, role: 'user', text: 'What is 2 + 3?' },
    {
      turn: 2,
      role: 'assistant',
      text: '',
      toolCalls: [{ id: expect.any(String), name: 'fixture-add', arguments: { a: 2, b: 3 } }],
    },
    { turn: 2, role: 'tool', text: '5', tool: 'fixture-add', toolCallId: expect.any(String), isError: false },
    { turn: 2, role: 'assistant', text: 'It is 5.' },
  ]);
  expect(page.body.next).toBeUndefined();
  const first = await transcript(runId, '?limit=4');
  expect(first.body.messages).toHaveLength(4);
  expect(first.body.next).toBe('4');
  expect((await transcript(runId, `?cursor=${first.body.next}&limit=4`)).body.messages).toEqual(page.body.messages.slice(4));

  const result = await closeAndWait(runId);
  expect(result).toMatchObject({ status: 'completed', result: { text: 'It is 5.', turns: 2, closedBy: 'close' } });
  expect((await send(runId, 'anyone there?')).status).toBe(409);
  // A closed conversation's transcript is still there, read from its result.
  expect((await transcript(runId)).body.messages).toHaveLength(6);
});

test('queue: messages sent while a turn runs wait for their own turns, in order', async () => {
  const model = uniqueModel('queue');
  env.provider.script(model, [{ text: 'one', delayMs: 1500 }, { text: 'two' }, { text: 'three' }, { text: 'four' }]);
  const runId = await startConversation('first', conversationSpec(model));
  await env.provider.waitForRequest(model, 1);

  const second = await send(runId, 'second');
  const third = await send(runId, 'third');
  expect([second.status, second.body.turn, third.status, third.body.turn]).toEqual([202, 2, 202, 3]);
  expect(third.body.conversation).toMatchObject({ turn: 1, queuedMessages: 2 });

  const done = await send(runId, 'fourth?', 30);
  expect(done.body).toMatchObject({ turn: 4, result: { text: 'four' } });
  const seen = env.provider.requests(model).map((r) => conversationSeen(r).at(-1));
  expect(seen).toEqual(['user: first', 'user: second', 'user: third', 'user: fourth?']);
  await closeAndWait(runId);
});

test('?wait answers with the awaited turn\'s own answer, though a later message was answered meanwhile', async () => {
  const model = uniqueModel('wait-own');
  env.provider.script(model, [{ text: 'one', delayMs: 1500 }, { text: 'answer to A' }, { text: 'answer to B' }]);
  const runId = await startConversation('first', conversationSpec(model));
  await env.provider.waitForRequest(model, 1);

  const waited = send(runId, 'A', 20);
  await eventually(async () => (await runOf(runId)).conversation?.queuedMessages === 1);
  expect((await send(runId, 'B')).body.turn).toBe(3);
  const a = await waited;
  expect(a.status).toBe(200);
  expect(a.body.turn).toBe(2);
  expect(a.body.answer).toEqual({ turn: 2, outcome: 'answered', text: 'answer to A' });
  // The Run's result stays the latest answer: B's once its turn has finished too.
  const latest = await eventually(async () => {
    const run = await runOf(runId);
    return run.conversation?.finishedTurns === 3 && run;
  });
  expect(latest.result).toMatchObject({ text: 'answer to B' });
  await closeAndWait(runId);
});

test('interrupt: ?wait on the interrupted message answers 200 saying its turn was interrupted', async () => {
  const model = uniqueModel('wait-interrupted');
  env.provider.script(model, [
    { text: 'hi' },
    { toolCalls: [{ name: 'fixture-slow', arguments: { ms: 20_000 } }] },
    { text: 'Answering B.' },
  ]);
  const runId = await startConversation('hello', conversationSpec(model, { on_message_while_busy: 'interrupt' }));
  await untilStatus(runId, 'idle');

  const waited = send(runId, 'A: do the slow thing', 20);
  await eventually(async () => (await runOf(runId)).usage.llmCalls === 2);
  expect((await send(runId, 'B: never mind')).body.turn).toBe(3);
  const a = await waited;
  expect(a.status).toBe(200);
  expect(a.body.turn).toBe(2);
  expect(a.body.answer).toEqual({ turn: 2, outcome: 'interrupted' });
  await closeAndWait(runId);
});

test('?wait on a turn that asks for input answers 202 at once, with the pending request', async () => {
  const model = uniqueModel('wait-input');
  env.provider.script(model, [
    { text: 'ready' },
    { toolCalls: [{ name: 'human_input', arguments: { prompt: 'Which city?' } }] },
    { text: 'Paris it is.' },
  ]);
  const runId = await startConversation('hi', conversationSpec(model, {}, { human_input: true }));
  await untilStatus(runId, 'idle');

  const started = Date.now();
  const asked = await send(runId, 'plan a trip', 20);
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(asked.status).toBe(202);
  expect(asked.body).toMatchObject({ turn: 2, status: 'waiting_for_input', pendingInput: { kind: 'input', prompt: 'Which city?' } });
  expect(asked.body.answer).toBeUndefined();
  await running.api.post(`/runs/${encodeURIComponent(runId)}/input`, { value: 'Paris' });
  await untilStatus(runId, 'idle');
  await closeAndWait(runId);
});

test('reject: a message while a turn runs is refused with 409 and nothing is queued', async () => {
  const model = uniqueModel('reject');
  env.provider.script(model, [{ text: 'slow answer', delayMs: 1500 }, { text: 'next answer' }]);
  const runId = await startConversation('first', conversationSpec(model, { on_message_while_busy: 'reject' }));
  await env.provider.waitForRequest(model, 1);

  const refused = await send(runId, 'too soon');
  expect(refused.status).toBe(409);
  expect(refused.body.error.code).toBe('run_busy');

  await untilStatus(runId, 'idle');
  const accepted = await send(runId, 'now', 30);
  expect(accepted.body).toMatchObject({ turn: 2, result: { text: 'next answer' } });
  expect(conversationSeen(env.provider.requests(model)[1])).toEqual(['user: first', 'assistant: slow answer', 'user: now']);
  await closeAndWait(runId);
});

test('interrupt: a new message stops the running turn cleanly and is answered instead', async () => {
  const model = uniqueModel('interrupt');
  env.provider.script(model, [{ toolCalls: [{ name: 'fixture-slow', arguments: { ms: 20_000 } }] }, { text: 'Answering the new one.' }]);
  const runId = await startConversation('do the slow thing', conversationSpec(model, { on_message_while_busy: 'interrupt' }));
  await eventually(async () => (await runOf(runId)).usage.llmCalls === 1);

  const sent = await send(runId, 'never mind, say hi', 30);
  expect(sent.body).toMatchObject({ turn: 2, status: 'idle', result: { text: 'Answering the new one.' } });

  // The model saw its unfinished call answered as stopped, then the new message.
  const last = env.provider.requests(model)[1];
  expect(toolResultsSeen(last)).toEqual([expect.objectContaining({ isError: true, content: expect.stringContaining('stopped before it finished') })]);
  expect(conversationSeen(last).at(-1)).toBe('user: never mind, say hi');

  const events = await collectEvents(running.api.url, runId, { until: (e) => e.type === 'turn_finished' && e.data.turn === 2 });
  expect(events.filter((e) => e.type.startsWith('turn_')).map((e) => [e.type, e.data.turn, e.data.outcome])).toEqual([
    ['turn_started', 1, undefined],
    ['turn_finished', 1, 'interrupted'],
    ['turn_started', 2, undefined],
    ['turn_finished', 2, 'answered'],
  ]);
  await closeAndWait(runId);
});

test('an idle conversation completes with its last answer once the idle timeout passes', async () => {
  const model = uniqueModel('idle');
  env.provider.script(model, [{ text: 'Bye for now.' }]);
  const runId = await startConversation('hello', conversationSpec(model, { idle_timeout_seconds: 1 }));
  const result = (await running.api.get(`/runs/${encodeURIComponent(runId)}/result?wait=30`)).body;
  expect(result).toMatchObject({ status: 'completed', result: { text: 'Bye for now.', turns: 1, closedBy: 'idle_timeout' } });
});

test('close lets the running turn and queued messages finish, then completes', async () => {
  const model = uniqueModel('close');
  env.provider.script(model, [{ text: 'one', delayMs: 1000 }, { text: 'two' }]);
  const runId = await startConversation('first', conversationSpec(model));
  await env.provider.waitForRequest(model, 1);
  expect((await send(runId, 'second')).body.turn).toBe(2);
  const result = await closeAndWait(runId);
  expect(result).toMatchObject({ status: 'completed', result: { text: 'two', turns: 2, closedBy: 'close' } });
  const refused = await send(runId, 'third');
  expect(refused.body.error.code).toBe('run_closed');
});

test('a message sent right after the start waits for its own turn, even while tools are still being listed', async () => {
  const model = uniqueModel('early');
  env.provider.script(model, [{ text: 'first' }, { text: 'second' }]);
  const runId = await startConversation('one', conversationSpec(model, { on_message_while_busy: 'queue' }));
  const early = await send(runId, 'two', 30);
  expect(early.body).toMatchObject({ turn: 2, result: { text: 'second' } });
  expect(conversationSeen(env.provider.requests(model)[0])).toEqual(['user: one']);
  expect(conversationSeen(env.provider.requests(model)[1])).toEqual(['user: one', 'assistant: first', 'user: two']);
  await closeAndWait(runId);
});

test('a turn that fails leaves the conversation open: the next message is answered with everything before', async () => {
  const model = uniqueModel('failed-turn');
  env.provider.script(model, [
    { text: 'hello' },
    { status: 400, message: 'this request is too long for the model' },
    { text: 'back again' },
  ]);
  const runId = await startConversation('hi', conversationSpec(model));
  await untilStatus(runId, 'idle');
  const failed = await send(runId, 'something the model refuses', 30);
  expect(failed.body).toMatchObject({
    turn: 2,
    status: 'idle',
    conversation: { lastTurn: { turn: 2, outcome: 'failed', error: { code: 'provider_request_rejected', message: expect.stringContaining('too long') } } },
    answer: { turn: 2, outcome: 'failed', error: { code: 'provider_request_rejected', message: expect.stringContaining('too long') } },
  });
  expect(failed.body.answer.text).toBeUndefined();
  // snake_case as the Run's own error.code, on every view of the run.
  const view = await running.api.get(`/runs/${encodeURIComponent(runId)}`);
  expect(view.body.conversation.lastTurn.error.code).toBe('provider_request_rejected');
  const next = await send(runId, 'try this instead', 30);
  expect(next.body).toMatchObject({ turn: 3, result: { text: 'back again' }, conversation: { lastTurn: { turn: 3, outcome: 'answered' } } });
  expect(conversationSeen(env.provider.requests(model)[2])).toEqual([
    'user: hi',
    'assistant: hello',
    'user: something the model refuses',
    'user: try this instead',
  ]);
  const events = await collectEvents(running.api.url, runId, { until: (e) => e.type === 'turn_finished' && e.data.turn === 3 });
  expect(events.find((e) => e.type === 'turn_finished' && e.data.turn === 2)?.data).toMatchObject({ outcome: 'failed', text: expect.stringContaining('too long') });
  await closeAndWait(runId);
});

test('the transcript keeps the message of a failed and of an interrupted turn, and says how each turn ended', async () => {
  const model = uniqueModel('transcript-unanswered');
  env.provider.script(model, [
    { text: 'hello' },
    { status: 400, message: 'this request is too long for the model' },
    { toolCalls: [{ name: 'fixture-slow', arguments: { ms: 20_000 } }] },
    { text: 'Fine, never mind.' },
  ]);
  const runId = await startConversation('hi', conversationSpec(model, { on_message_while_busy: 'interrupt' }));
  await untilStatus(runId, 'idle');
  expect((await send(runId, 'something the model refuses', 30)).body.answer).toMatchObject({ outcome: 'failed' });
  await send(runId, 'do the slow thing');
  // The failed call counts for nothing: the slow call's reply is the second.
  await eventually(async () => (await runOf(runId)).usage.llmCalls === 2);
  expect((await send(runId, 'never mind', 30)).body.answer).toMatchObject({ turn: 4, outcome: 'answered' });

  const expected = [
    { turn: 1, role: 'user', text: 'hi' },
    { turn: 1, role: 'assistant', text: 'hello' },
    {
      turn: 2,
      role: 'user',
      text: 'something the model refuses',
      outcome: 'failed',
      error: { code: 'provider_request_rejected', message: expect.stringContaining('too long') },
    },
    { turn: 3, role: 'user', text: 'do the slow thing', outcome: 'interrupted' },
    { turn: 3, role: 'assistant', text: '', toolCalls: [expect.objectContaining({ name: 'fixture-slow' })] },
    expect.objectContaining({ turn: 3, role: 'tool', isError: true }),
    { turn: 4, role: 'user', text: 'never mind' },
    { turn: 4, role: 'assistant', text: 'Fine, never mind.' },
  ];
  expect((await transcript(runId)).body.messages).toEqual(expected);
  // The same from the closed run's result, and page by page.
  await closeAndWait(runId);
  expect((await transcript(runId)).body.messages).toEqual(expected);
  expect((await transcript(runId, '?cursor=2&limit=2')).body.messages).toEqual(expected.slice(2, 4));
});

test('an input near the body limit, in multi-byte text, goes through its turns to a clear end and stays out of history', async () => {
  const model = uniqueModel('big-input');
  env.provider.script(model, [{ text: 'read it' }, { text: 'and this' }]);
  // 800 KB of UTF-8 in 400,000 characters: sizes count bytes, and the payloads leave history for the store.
  const input = 'ü'.repeat(400_000);
  const runId = await startConversation(input, conversationSpec(model));
  await untilStatus(runId, 'idle');
  expect((await send(runId, 'and now?', 30)).body).toMatchObject({ turn: 2, result: { text: 'and this' } });
  const done = await closeAndWait(runId);
  expect(done).toMatchObject({ status: 'completed', input, result: { turns: 2 } });
  expect(conversationSeen(env.provider.requests(model)[1])[0]).toBe(`user: ${input}`);
  const handle = env.worker.client.workflow.getHandle(runId);
  const chain = await executionSizes(env.worker.client, runId, (await handle.describe()).raw.workflowExecutionInfo!.firstRunId!);
  expect(chain.reduce((sum, e) => sum + e.historySize, 0)).toBeLessThan(100 * 1024);
});

test('cancel ends a conversation mid-turn as cancelled, and it takes no more messages', async () => {
  const model = uniqueModel('cancel');
  env.provider.script(model, [{ text: 'hello' }, { text: 'never sent', delayMs: 20_000 }]);
  const runId = await startConversation('hi', conversationSpec(model));
  await untilStatus(runId, 'idle');
  await send(runId, 'this takes long');
  const inFlight = await env.provider.waitForRequest(model, 2);
  expect((await running.api.post(`/runs/${encodeURIComponent(runId)}/cancel`)).status).toBe(202);
  const closed = (await running.api.get(`/runs/${encodeURIComponent(runId)}/result?wait=30`)).body;
  expect(closed.status).toBe('cancelled');
  expect(await inFlight.settled).toBe('disconnected');
  expect((await send(runId, 'still there?')).body.error.code).toBe('run_closed');
});

test('a conversation can start without a message, and a run that is no conversation refuses messages', async () => {
  const model = uniqueModel('empty-start');
  env.provider.script(model, [{ text: 'Hi!' }]);
  const runId = await startConversation(null, conversationSpec(model));
  expect((await untilStatus(runId, 'idle')).conversation).toMatchObject({ turn: 0, finishedTurns: 0 });
  expect((await send(runId, 'hello', 30)).body).toMatchObject({ turn: 1, result: { text: 'Hi!' } });
  await closeAndWait(runId);

  const single = uniqueModel('single');
  env.provider.script(single, [{ text: 'done' }]);
  const reply = await running.api.post('/workflows/agent/run', { input: 'once', spec: { agent: { instruction: 'x', model: single } } });
  env.handles.push(env.worker.client.workflow.getHandle(reply.body.runId));
  await running.api.get(`/runs/${encodeURIComponent(reply.body.runId)}/result?wait=30`);
  const refused = await send(reply.body.runId, 'more?');
  expect([refused.status, refused.body.error.code]).toEqual([409, 'run_closed']);
  // Its transcript is there all the same.
  expect((await transcript(reply.body.runId)).body.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
});

test('a paused conversation whose idle timeout passes refuses messages with 409, rather than taking one it will never answer', async () => {
  const model = uniqueModel('idle-paused');
  env.provider.script(model, [{ text: 'hello there' }]);
  const runId = await startConversation('hi', conversationSpec(model, { idle_timeout_seconds: 1 }));
  await untilStatus(runId, 'idle');
  expect((await running.api.post(`/runs/${encodeURIComponent(runId)}/pause`)).status).toBe(202);
  // The idle timeout passes while paused: the conversation has ended, the run completes on resume.
  await eventually(async () => (await runOf(runId)).result?.closedBy === 'idle_timeout');
  const refused = await send(runId, 'are you still there?');
  expect(refused.status).toBe(409);
  expect(refused.body.error).toEqual({ code: 'run_closing', message: 'The conversation has ended (its idle timeout passed) and takes no more messages.' });
  await running.api.post(`/runs/${encodeURIComponent(runId)}/resume`);
  const done = (await running.api.get(`/runs/${encodeURIComponent(runId)}/result?wait=30`)).body;
  expect(done).toMatchObject({ status: 'completed', result: { text: 'hello there', turns: 1, closedBy: 'idle_timeout' } });
  expect(env.provider.requests(model)).toHaveLength(1);
});

/** The `message` signal, as `temporal workflow signal --name message` sends it: no one hears a refusal. */
async function signalMessage(runId: string, input: unknown) {
  await env.worker.client.workflow.getHandle(runId).signal(messageSignal, { input });
}

async function userMessages(runId: string): Promise<string[]> {
  const messages: { role: string; text: string }[] = (await transcript(runId)).body.messages;
  return messages.filter((m) => m.role === 'user').map((m) => m.text);
}

test('a message signal that arrives after close, while the last turn runs, is answered before the run completes', async () => {
  const model = uniqueModel('signal-after-close');
  env.provider.script(model, [{ text: 'one', delayMs: 1500 }, { text: 'two' }]);
  const runId = await startConversation('first', conversationSpec(model));
  await env.provider.waitForRequest(model, 1);
  expect((await running.api.post(`/runs/${encodeURIComponent(runId)}/close`)).status).toBe(202);
  // The Update can still refuse; a signal cannot, so the run takes it into the queue close waits for.
  expect((await send(runId, 'by update')).body.error.code).toBe('run_closing');
  await signalMessage(runId, 'by signal');
  const done = (await running.api.get(`/runs/${encodeURIComponent(runId)}/result?wait=30`)).body;
  expect(done).toMatchObject({ status: 'completed', result: { text: 'two', turns: 2, closedBy: 'close' } });
  expect(await userMessages(runId)).toEqual(['first', 'by signal']);
});

test('a message signal that reaches a paused conversation after its idle timeout passed is answered once resumed', async () => {
  const model = uniqueModel('signal-idle-paused');
  env.provider.script(model, [{ text: 'hello there' }, { text: 'still here' }]);
  const runId = await startConversation('hi', conversationSpec(model, { idle_timeout_seconds: 1 }));
  await untilStatus(runId, 'idle');
  await running.api.post(`/runs/${encodeURIComponent(runId)}/pause`);
  await eventually(async () => (await runOf(runId)).result?.closedBy === 'idle_timeout');
  await signalMessage(runId, 'are you still there?');
  await new Promise((r) => setTimeout(r, 300));
  expect(env.provider.requests(model)).toHaveLength(1);
  await running.api.post(`/runs/${encodeURIComponent(runId)}/resume`);
  const done = (await running.api.get(`/runs/${encodeURIComponent(runId)}/result?wait=30`)).body;
  expect(done).toMatchObject({ status: 'completed', result: { text: 'still here', turns: 2, closedBy: 'idle_timeout' } });
  expect(await userMessages(runId)).toEqual(['hi', 'are you still there?']);
});

test('a message sent again with the same Idempotency-Key is the same message: one turn, answered once', async () => {
  const model = uniqueModel('idempotent');
  env.provider.script(model, [{ text: 'ready' }, { text: 'Once.' }, { text: 'Twice.' }]);
  const runId = await startConversation('hi', conversationSpec(model));
  await untilStatus(runId, 'idle');
  const first = await sendKeyed(runId, 'only once, please', 'msg-1');
  const again = await sendKeyed(runId, 'only once, please', 'msg-1');
  expect([first.status, first.body.turn]).toEqual([202, 2]);
  expect([again.status, again.body.turn]).toEqual([202, 2]);
  // Another key is another message.
  expect((await sendKeyed(runId, 'and this', 'msg-2')).body.turn).toBe(3);
  await eventually(async () => (await runOf(runId)).conversation?.finishedTurns === 3);
  expect(await userMessages(runId)).toEqual(['hi', 'only once, please', 'and this']);
  expect(env.provider.requests(model)).toHaveLength(3);
  const tooLong = await sendKeyed(runId, 'x', 'k'.repeat(201));
  expect([tooLong.status, tooLong.body.error?.code]).toEqual([400, 'invalid_request']);
  await closeAndWait(runId);
});

test('an Idempotency-Key sent again with a different message is refused (422), not taken as the first message', async () => {
  const model = uniqueModel('key-reused');
  env.provider.script(model, [{ text: 'ready' }, { text: 'Slowly.', delayMs: 1000 }, { text: 'Keys in any order.' }]);
  const runId = await startConversation('hi', conversationSpec(model));
  await untilStatus(runId, 'idle');
  const first = await sendKeyed(runId, 'slow one', 'k1');
  expect([first.status, first.body.turn]).toEqual([202, 2]);
  // Sent again while the first message's turn still runs, as a client retrying mid-turn would.
  const reused = await sendKeyed(runId, 'different', 'k1');
  expect([reused.status, reused.body.error?.code]).toEqual([422, 'idempotency_key_reused']);
  expect(reused.body.error.message).toBe(
    `The idempotency key "k1" was already used for a different message to run "${runId}", so this message was not sent; send it with a new key.`,
  );
  const again = await sendKeyed(runId, 'slow one', 'k1');
  expect([again.status, again.body.turn]).toEqual([202, 2]);
  // The same JSON with its keys in another order is the same message.
  expect((await sendKeyed(runId, { a: 1, b: [{ c: 2, d: 3 }] }, 'k2')).body.turn).toBe(3);
  const reordered = await sendKeyed(runId, { b: [{ d: 3, c: 2 }], a: 1 }, 'k2');
  expect([reordered.status, reordered.body.turn]).toEqual([202, 3]);
  await eventually(async () => (await runOf(runId)).conversation?.finishedTurns === 3);
  const [hi, slow, json, ...more] = await userMessages(runId);
  expect([hi, slow, JSON.parse(json), more]).toEqual(['hi', 'slow one', { a: 1, b: [{ c: 2, d: 3 }] }, []]);
  expect(env.provider.requests(model)).toHaveLength(3);
  await closeAndWait(runId);
});

test('an Idempotency-Key outlives continue-as-new: sent again it is its first turn, with a different message it is refused (422)', async () => {
  const model = uniqueModel('key-can');
  env.provider.script(model, [
    { text: 'ready' },
    ...Array.from({ length: 6 }, (_, i) => [{ toolCalls: [{ name: 'fixture-repeat', arguments: { text: `${i + 2}`, times: 5000 } }] }, { text: `answer ${i + 2}` }]).flat(),
  ]);
  const runId = await startConversation('hi', conversationSpec(model, { history_limit_bytes: 16 * 1024 }));
  const handle = env.worker.client.workflow.getHandle(runId);
  const first = (await handle.describe()).runId;
  await untilStatus(runId, 'idle');
  expect((await sendKeyed(runId, 'only once, please', 'can-key')).body.turn).toBe(2);
  await eventually(async () => (await runOf(runId)).conversation?.finishedTurns === 2);
  // Turns with 5 KB tool results pass the 16 KB limit: the run continues as new after one of them.
  let turn = 2;
  while ((await handle.describe()).runId === first) {
    turn++;
    expect(turn).toBeLessThanOrEqual(7);
    expect((await send(runId, `turn ${turn}`, 30)).body.turn).toBe(turn);
  }
  const calls = env.provider.requests(model).length;

  const again = await sendKeyed(runId, 'only once, please', 'can-key');
  expect([again.status, again.body.turn]).toEqual([202, 2]);
  expect((await runOf(runId)).conversation).toMatchObject({ turn, finishedTurns: turn, queuedMessages: 0 });
  const reused = await sendKeyed(runId, 'something else', 'can-key');
  expect([reused.status, reused.body.error?.code]).toEqual([422, 'idempotency_key_reused']);

  await closeAndWait(runId);
  expect(env.provider.requests(model)).toHaveLength(calls);
  expect((await userMessages(runId)).filter((text) => text === 'only once, please')).toHaveLength(1);
});

test('pause holds a queued message until resume; approvals work inside a turn', async () => {
  const model = uniqueModel('pause');
  env.provider.script(model, [
    { text: 'ready' },
    { toolCalls: [{ name: 'fixture-add', arguments: { a: 1, b: 1 } }] },
    { text: 'It is 2.' },
  ]);
  const runId = await startConversation('hi', conversationSpec(model, {}, { approve_tools: ['fixture-add'] }));
  await untilStatus(runId, 'idle');

  expect((await running.api.post(`/runs/${encodeURIComponent(runId)}/pause`)).body.status).toBe('paused');
  expect((await send(runId, 'add 1 and 1')).body.turn).toBe(2);
  await new Promise((r) => setTimeout(r, 500));
  expect(env.provider.requests(model)).toHaveLength(1);
  expect((await runOf(runId)).status).toBe('paused');

  await running.api.post(`/runs/${encodeURIComponent(runId)}/resume`);
  const waiting = await untilStatus(runId, 'waiting_for_input');
  expect(waiting.pendingInput).toMatchObject({ kind: 'approval', tool: 'fixture-add', args: { a: 1, b: 1 } });
  const approved = await running.api.post(`/runs/${encodeURIComponent(runId)}/input`, { value: { approved: true } });
  expect(approved.status).toBe(202);
  expect((await untilStatus(runId, 'idle')).result).toMatchObject({ text: 'It is 2.' });
  await closeAndWait(runId);
});

test('a conversation that continues as new keeps its turns, transcript, events and a pending approval', async () => {
  const model = uniqueModel('can');
  const replies = [];
  for (let turn = 1; turn <= 4; turn++) {
    replies.push({ toolCalls: [{ name: 'fixture-repeat', arguments: { text: `${turn}`, times: 5000 } }] }, { text: `answer ${turn}` });
  }
  replies.push({ toolCalls: [{ name: 'fixture-add', arguments: { a: 2, b: 2 } }] }, { text: 'approved and done' });
  env.provider.script(model, replies);
  const spec = conversationSpec(model, { history_limit_bytes: 16 * 1024 }, { approve_tools: ['fixture-add'] });
  const runId = await startConversation('turn 1', spec);
  const handle = env.worker.client.workflow.getHandle(runId);
  const firstExecution = (await handle.describe()).runId;
  await untilStatus(runId, 'idle');
  for (let turn = 2; turn <= 4; turn++) expect((await send(runId, `turn ${turn}`, 30)).body.turn).toBe(turn);
  // Four turns with 5 KB tool results went over the 16 KB limit: the run continued as new between turns.
  const beforeApproval = (await handle.describe()).runId;
  expect(beforeApproval).not.toBe(firstExecution);

  expect((await send(runId, 'add 2 and 2')).body.turn).toBe(5);
  const waiting = await untilStatus(runId, 'waiting_for_input');
  // Messages queued behind the approval grow history past the limit; the run continues as new with the request open.
  for (let i = 0; i < 20; i++) await send(runId, `queued ${i} ${'q'.repeat(500)}`);
  const pendingAfter = await eventually(async () => {
    const run = await runOf(runId);
    return (await handle.describe()).runId !== beforeApproval && run.status === 'waiting_for_input' && run;
  });
  expect(pendingAfter.pendingInput).toEqual(waiting.pendingInput);
  expect(pendingAfter.conversation).toMatchObject({ turn: 5, queuedMessages: 20 });

  env.provider.script(model, Array.from({ length: 20 }, (_, i) => ({ text: `queued answer ${i}` })));
  await running.api.post(`/runs/${encodeURIComponent(runId)}/input`, { value: { approved: true } });
  const done = await closeAndWait(runId);
  expect(done).toMatchObject({ status: 'completed', result: { text: 'queued answer 19', turns: 25 } });
  expect(done.usage).toMatchObject({ llmCalls: 30, toolCalls: 5 });

  const all = [];
  for (let cursor: string | undefined = '0'; cursor !== undefined; ) {
    const page = await transcript(runId, `?cursor=${cursor}&limit=7`);
    all.push(...page.body.messages);
    cursor = page.body.next;
  }
  expect(all.filter((m) => m.role === 'user').map((m) => m.turn)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  expect(all.find((m) => m.role === 'tool' && m.turn === 3).text).toBe('3'.repeat(5000));

  const events = await collectEvents(running.api.url, runId);
  expect(events.filter((e) => e.type === 'turn_finished').map((e) => e.data.turn)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  expect(new Set(events.map((e) => e.id.split('-')[0])).size).toBeGreaterThan(2);
});

test.each([
  ['', undefined],
  // A listing cannot ask visibility about such an id: the run is described instead.
  [' (an id with a quote)', `can'started-${process.pid}-${Date.now()}`],
])('a conversation that continued as new shows when it started and its input, from its first execution, in its view and the listing%s', async (_, id) => {
  const model = uniqueModel('can-started');
  env.provider.script(
    model,
    Array.from({ length: 6 }, (_, i) => [{ toolCalls: [{ name: 'fixture-repeat', arguments: { text: `${i + 1}`, times: 5000 } }] }, { text: `answer ${i + 1}` }]).flat(),
  );
  // Too large for the memo: the input is read from the first execution's history.
  const input = `turn 1 ${'x'.repeat(MEMO_INPUT_MAX_BYTES)}`;
  const runId = await startConversation(input, conversationSpec(model, { history_limit_bytes: 16 * 1024 }), id);
  const handle = env.worker.client.workflow.getHandle(runId);
  const first = await handle.describe();
  await untilStatus(runId, 'idle');
  for (let turn = 2; (await handle.describe()).runId === first.runId; turn++) {
    expect(turn).toBeLessThanOrEqual(6);
    expect((await send(runId, `turn ${turn}`, 30)).body.turn).toBe(turn);
  }
  expect((await handle.describe()).startTime.getTime()).toBeGreaterThan(first.startTime.getTime());
  const startedAt = first.startTime.toISOString();
  // The input stands for itself, so that a failure does not print 32 KB.
  const shown = (run: { status: string; startedAt: string; input: unknown }) => ({
    status: run.status,
    startedAt: run.startedAt,
    input: run.input === input ? 'the input' : run.input,
  });
  const listed = async (status: string) =>
    shown(
      await eventually(async () => {
        const page = await running.api.get(`/runs?status=${status}&workflow=agent&limit=500`);
        return page.body.runs.find((run: { runId: string }) => run.runId === runId);
      }),
    );

  expect(shown(await runOf(runId))).toEqual({ status: 'idle', startedAt, input: 'the input' });
  expect(await listed('idle')).toEqual({ status: 'idle', startedAt, input: 'the input' });
  expect(shown(await closeAndWait(runId))).toEqual({ status: 'completed', startedAt, input: 'the input' });
  expect(await listed('completed')).toEqual({ status: 'completed', startedAt, input: 'the input' });

  // A client that allows it may start the id again: that run is a chain of its own, whose start is
  // its own, not the first of the earlier chain's executions (which a listing also finds by id).
  const started = (await handle.fetchHistory()).events![0].workflowExecutionStartedEventAttributes!;
  const args = defaultPayloadConverter.fromPayload<Record<string, unknown>>(started.input!.payloads![0] as never);
  const again = await env.worker.client.workflow.start(started.workflowType!.name!, {
    args: [{ ...args, input: null }],
    taskQueue: started.taskQueue!.name!,
    workflowId: runId,
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
  });
  env.handles.push(again);
  const againStarted = (await again.describe()).startTime.toISOString();
  await untilStatus(runId, 'idle');
  expect((await listed('idle')).startedAt).toBe(againStarted);
  expect((await runOf(runId)).startedAt).toBe(againStarted);
  await closeAndWait(runId);
});

describe('context budgets: the model is sent less, the transcript keeps everything', () => {
  /** Two turns, each with a 4000-character tool result: over a 1800-token budget by turn 2. */
  function twoLongTurns(model: string, middle: { text: string }[] = []) {
    env.provider.script(model, [
      { toolCalls: [{ name: 'repeater-repeat', arguments: { text: 'a', times: 4000 } }] },
      { text: 'first answer' },
      { toolCalls: [{ name: 'repeater-repeat', arguments: { text: 'b', times: 4000 } }] },
      ...middle,
      { text: 'second answer' },
    ]);
  }

  async function twoTurns(model: string, strategy: string): Promise<string> {
    const spec = conversationSpec(model, {}, { servers: ['repeater'], context: { max_tokens: 1800, strategy } });
    const runId = await startConversation('first question', spec);
    await untilStatus(runId, 'idle');
    expect((await send(runId, 'second question', 30)).body.result).toMatchObject({ text: 'second answer' });
    return runId;
  }

  async function transcriptTools(runId: string): Promise<string[]> {
    const messages: { role: string; text: string }[] = (await transcript(runId)).body.messages;
    return messages.filter((m) => m.role === 'tool').map((m) => m.text);
  }

  test('stub_tool_results: an old tool result goes as a stub, the latest whole', async () => {
    const model = uniqueModel('stub');
    twoLongTurns(model);
    const runId = await twoTurns(model, 'stub_tool_results');
    const last = env.provider.requests(model).at(-1)!;
    expect(toolResultsSeen(last).map((r) => r.content)).toEqual([stubText(4000), 'b'.repeat(4000)]);
    expect(conversationSeen(last)[0]).toBe('user: first question');

    const run = await runOf(runId);
    expect(run.context).toMatchObject({ trimmedCalls: 1, summaries: 0 });
    expect(run.context.lastTokens).toBeLessThanOrEqual(1800);
    const finished = (await collectEvents(running.api.url, runId, { until: (e) => e.type === 'turn_finished' && e.data.turn === 2 }))
      .filter((e) => e.type === 'llm_finished')
      .at(-1)!;
    expect(finished.data.context).toMatchObject({ stubbed: 1, dropped: 0 });
    // The transcript still has every result whole.
    expect(await transcriptTools(runId)).toEqual(['a'.repeat(4000), 'b'.repeat(4000)]);
    await closeAndWait(runId);
  });

  test('drop_oldest: the earlier turn is left out', async () => {
    const model = uniqueModel('drop');
    twoLongTurns(model);
    const runId = await twoTurns(model, 'drop_oldest');
    const seen = conversationSeen(env.provider.requests(model).at(-1)!);
    expect(seen[0]).toBe('user: second question');
    expect(seen.join('\n')).not.toContain('first answer');
    expect((await runOf(runId)).context).toMatchObject({ trimmedCalls: 1 });
    expect(await transcriptTools(runId)).toEqual(['a'.repeat(4000), 'b'.repeat(4000)]);
    await closeAndWait(runId);
  });

  test('summarize: an LLM activity summarizes the earlier turn, and later calls carry the summary instead', async () => {
    const model = uniqueModel('summarize');
    twoLongTurns(model, [{ text: 'The user asked a first question; the tool gave 4000 a-s; the answer was given.' }]);
    const runId = await twoTurns(model, 'summarize');
    const requests = env.provider.requests(model);
    expect(requests).toHaveLength(5);
    const summaryRequest = requests[3];
    expect(systemSeen(summaryRequest)).toBe(SUMMARY_SYSTEM_PROMPT);
    expect(conversationSeen(summaryRequest)[0]).toContain('User: first question');
    expect(conversationSeen(summaryRequest)[0]).toContain('Assistant: first answer');

    const after = requests[4];
    expect(systemSeen(after)).toContain('Summary of the conversation so far');
    expect(systemSeen(after)).toContain('the tool gave 4000 a-s');
    expect(conversationSeen(after)[0]).toBe('user: second question');
    expect(toolResultsSeen(after).map((r) => r.content)).toEqual(['b'.repeat(4000)]);

    const run = await runOf(runId);
    expect(run.context).toMatchObject({ summaries: 1, summarizedMessages: 4 });
    expect(run.usage.llmCalls).toBe(5);
    const events = await collectEvents(running.api.url, runId, { until: (e) => e.type === 'turn_finished' && e.data.turn === 2 });
    expect(events.find((e) => e.type === 'context_summarized')?.data).toMatchObject({ messages: 4, text: expect.stringContaining('first question') });
    expect(await transcriptTools(runId)).toEqual(['a'.repeat(4000), 'b'.repeat(4000)]);
    await closeAndWait(runId);
  });
});
