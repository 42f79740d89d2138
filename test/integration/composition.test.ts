import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { pauseSignal, provideInputUpdate, REQUEST_MEMO_KEY, resumeSignal, stateQuery } from '../../workflows/definitions';
import { eventually, mcpServers, providerConfig, startAgentEnv, type AgentEnv } from '../support/agent-env';
import { toolResultsSeen } from '../support/requests';

/**
 * Patterns inside patterns: nested runs are child workflows, and pause, resume, cancel and input
 * sent to the parent reach them; usage adds up across the tree.
 */

let env: AgentEnv;

beforeAll(async () => {
  env = await startAgentEnv((provider, fixtureUrl) => ({ ...providerConfig(provider), mcp: { servers: mcpServers(fixtureUrl) } }));
});

afterAll(async () => {
  await env?.close();
});

let counter = 0;
const model = (label: string) => `compose-${label}-${++counter}-${Date.now()}`;
const agent = (name: string, m: string, extra: Record<string, unknown> = {}, provider = 'openai') => ({
  name,
  instruction: `You are ${name}.`,
  provider,
  model: m,
  ...extra,
});

test('an evaluator-optimizer whose optimizer is an orchestrator', async () => {
  const lead = model('lead');
  const writer = model('writer');
  const evaluator = model('evaluator');
  const plan = (description: string) => ({
    json: { steps: [{ description, tasks: [{ description, agent: 'writer' }] }], is_complete: true },
  });
  // The orchestrator plans and synthesizes with its own model: plan, synthesis, for each attempt.
  env.provider.script(lead, [plan('Write a haiku'), { text: 'final one' }, plan('Improve the haiku'), { text: 'final two' }]);
  env.provider.script(writer, [{ text: 'first haiku' }, { text: 'second haiku' }]);
  env.provider.script(evaluator, [
    { json: { rating: 'fair', feedback: 'Needs imagery.', needs_improvement: true, focus_areas: ['imagery'] } },
    { json: { rating: 'excellent', feedback: 'Lovely.', needs_improvement: false, focus_areas: [] } },
  ]);
  const handle = await env.start('evaluator_optimizer', 'Write a haiku about rain', {
    type: 'evaluator_optimizer',
    optimizer: { type: 'orchestrator', name: 'team', agents: [agent('writer', writer)], provider: 'openai', model: lead },
    evaluator: 'Rate the haiku for imagery.',
    provider: 'anthropic',
    model: evaluator,
    min_rating: 'good',
    max_refinements: 2,
  });
  const result = (await handle.result()) as { text: string; attempts: { rating: string }[]; usage: { llmCalls: number } };
  expect(result.attempts.map((a) => a.rating)).toEqual(['fair', 'excellent']);
  expect(result.text).toBe('final two');
  // Evaluator 2 + (plan + writer + synthesis) × 2, added up across the tree.
  expect(result.usage.llmCalls).toBe(8);
  // The second attempt's orchestrator was told what the evaluator wanted.
  expect(JSON.stringify(env.provider.requests(lead)[2].body)).toContain('Needs imagery.');
});

async function childIds(handle: { query: (q: typeof stateQuery) => Promise<{ children: { workflowId: string }[] }> }, n: number) {
  return eventually(async () => {
    const ids = (await handle.query(stateQuery)).children.map((c) => c.workflowId);
    return ids.length === n ? ids : undefined;
  });
}

test('pause and resume of a parent reach its running children; usage adds up across the tree', async () => {
  const [a, b] = [model('pa'), model('pb')];
  for (const m of [a, b]) {
    env.provider.script(m, [
      { toolCalls: [{ name: 'fixture-add', arguments: { a: 1, b: 1 } }], delayMs: 1200 },
      { text: `answer of ${m}` },
    ]);
  }
  const handle = await env.start('parallel', 'go', {
    type: 'parallel',
    fan_out: [agent('alpha', a, { servers: ['fixture'] }), agent('beta', b, { servers: ['fixture'] }, 'anthropic')],
  });
  const ids = await childIds(handle, 2);
  await Promise.all([env.provider.waitForRequest(a, 1), env.provider.waitForRequest(b, 1)]);
  await handle.signal(pauseSignal);
  const paused = await eventually(async () => {
    const state = await handle.query(stateQuery);
    return state.status === 'paused' && state.children.every((c) => c.status === 'paused') ? state : undefined;
  });
  expect(paused.children.map((c) => c.workflow).sort()).toEqual(['alpha', 'beta']);
  await new Promise((r) => setTimeout(r, 1500));
  for (const id of ids) {
    const history = await env.worker.client.workflow.getHandle(id).fetchHistory();
    const tools = history.events?.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'mcpCallTool');
    expect(tools).toHaveLength(0);
  }
  expect(env.provider.requests(a)).toHaveLength(1);

  await handle.signal(resumeSignal);
  const result = (await handle.result()) as { branches: Record<string, string>; usage: { llmCalls: number; toolCalls: number } };
  expect(result.branches).toEqual({ alpha: `answer of ${a}`, beta: `answer of ${b}` });
  expect(result.usage).toMatchObject({ llmCalls: 4, toolCalls: 2 });
});

test("a child reports to its parent once a step, not once a change, and the parent's state still follows it", async () => {
  const turns = 4;
  const m = model('steps');
  env.provider.script(m, [
    ...Array.from({ length: turns }, (_, i) => ({ toolCalls: [{ name: 'fixture-add', arguments: { a: i, b: 1 } }] })),
    { toolCalls: [{ name: 'fixture-slow', arguments: { ms: 1500 } }] },
    { text: 'done' },
  ]);
  const handle = await env.start('parallel', 'go', { type: 'parallel', fan_out: [agent('stepper', m, { servers: ['fixture'] })] });
  // While the slow call runs, the parent shows the child at that step, with the usage so far.
  const running = await eventually(async () => {
    const [child] = (await handle.query(stateQuery)).children;
    return child?.step.includes('tool call') && child.usage.llmCalls === turns + 1 ? child : undefined;
  });
  expect(running.usage).toMatchObject({ llmCalls: turns + 1, toolCalls: turns });
  await handle.result();
  const reports = ((await handle.fetchHistory()).events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'child_state');
  // Two steps a tool turn (the model's reply, the tool's result), plus the start and the end;
  // reporting each change (usage, then the step) sent about twice as many.
  expect(reports.length).toBeLessThanOrEqual(2 * (turns + 1) + 4);
});

test('cancelling a parent cancels its children and their calls in flight', async () => {
  const [a, b] = [model('ca'), model('cb')];
  env.provider.script(a, [{ text: 'never', delayMs: 60_000 }]);
  env.provider.script(b, [{ text: 'never', delayMs: 60_000 }]);
  const handle = await env.start('parallel', 'go', {
    type: 'parallel',
    fan_out: [agent('alpha', a), agent('beta', b)],
  });
  const ids = await childIds(handle, 2);
  const inFlight = await Promise.all([env.provider.waitForRequest(a, 1), env.provider.waitForRequest(b, 1)]);
  await handle.cancel();
  await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
  expect((await handle.describe()).status.name).toBe('CANCELLED');
  for (const id of ids) {
    await eventually(async () => (await env.worker.client.workflow.getHandle(id).describe()).status.name === 'CANCELLED');
  }
  expect(await Promise.all(inFlight.map((r) => r.settled))).toEqual(['disconnected', 'disconnected']);
});

test('a nested agent waiting for input shows as the parent pending input, and input through the parent reaches it', async () => {
  const [asker, other] = [model('asker'), model('other')];
  env.provider.script(asker, [
    { toolCalls: [{ name: 'human_input', arguments: { prompt: 'Which colour?' } }] },
    { text: 'Blue it is.' },
  ]);
  env.provider.script(other, [{ text: 'done' }]);
  const handle = await env.start('parallel', 'go', {
    type: 'parallel',
    fan_out: [agent('asker', asker, { human_input: true }), agent('other', other)],
  });
  const pending = await eventually(async () => (await handle.query(stateQuery)).pendingInput);
  expect(pending).toMatchObject({ kind: 'input', prompt: 'Which colour?' });
  expect(pending.requestId).toMatch(/\/asker-\d+::input-1$/);
  expect((await handle.query(stateQuery)).status).toBe('waiting_for_input');

  await handle.executeUpdate(provideInputUpdate, { args: [{ requestId: pending.requestId, value: 'blue' }] });
  const result = (await handle.result()) as { branches: Record<string, string> };
  expect(result.branches.asker).toBe('Blue it is.');
  expect(toolResultsSeen(env.provider.requests(asker)[1])[0].content).toBe('blue');
});

/** The requests a run has announced in its history so far (its input_requested events), in order. */
async function announcedRequests(handle: WorkflowHandle): Promise<string[]> {
  const { events } = await handle.fetchHistory();
  return (events ?? []).flatMap((event) => {
    const field = event.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields?.[REQUEST_MEMO_KEY];
    const marker = field ? defaultPayloadConverter.fromPayload<{ state: string; requestId: string }>(field as never) : undefined;
    return marker?.state === 'requested' ? [marker.requestId] : [];
  });
}

test('two children asking at once: the parent announces each question once, while both wait, and lists both', async () => {
  const [first, second] = [model('first'), model('second')];
  for (const m of [first, second]) {
    env.provider.script(m, [{ toolCalls: [{ name: 'human_input', arguments: { prompt: `Question of ${m}?` } }] }, { text: `${m} done` }]);
  }
  const handle = await env.start('parallel', 'go', {
    type: 'parallel',
    fan_out: [agent('first', first, { human_input: true }), agent('second', second, { human_input: true })],
  });
  // Both questions are in the parent's events before either is answered.
  const announced = await eventually(async () => {
    const ids = await announcedRequests(handle);
    return ids.length >= 2 && ids;
  });
  expect(announced).toHaveLength(2);
  const a = announced.find((id) => /\/first-\d+::input-1$/.test(id))!;
  const b = announced.find((id) => /\/second-\d+::input-1$/.test(id))!;
  expect([a, b].sort()).toEqual([...announced].sort());
  // The run's state lists both (in the order its children first reported, which races); pendingInput is the first.
  const state = await handle.query(stateQuery);
  const questions = { [a]: `Question of ${first}?`, [b]: `Question of ${second}?` };
  const byId = (x: { requestId: string }, y: { requestId: string }) => x.requestId.localeCompare(y.requestId);
  expect([...state.pendingInputs!].sort(byId)).toEqual([a, b].map((requestId) => ({ requestId, kind: 'input', prompt: questions[requestId] })).sort(byId));
  expect(state.pendingInput).toEqual(state.pendingInputs![0]);

  // The second child's question first, then the first's.
  await handle.executeUpdate(provideInputUpdate, { args: [{ requestId: b, value: 'for second' }] });
  await eventually(async () => (await handle.query(stateQuery)).pendingInputs?.length === 1);
  expect((await handle.query(stateQuery)).pendingInputs).toEqual([{ requestId: a, kind: 'input', prompt: `Question of ${first}?` }]);
  await handle.executeUpdate(provideInputUpdate, { args: [{ requestId: a, value: 'for first' }] });
  const result = (await handle.result()) as { branches: Record<string, string> };
  expect(result.branches).toEqual({ first: `${first} done`, second: `${second} done` });
  expect(toolResultsSeen(env.provider.requests(first)[1])[0].content).toBe('for first');
  expect(toolResultsSeen(env.provider.requests(second)[1])[0].content).toBe('for second');
  // Each once: none again once the other was answered, nor after its own answer.
  expect(await announcedRequests(handle)).toEqual(announced);
});

test('a parallel run with a router branch: the router picks a route and its answer joins the fan-in', async () => {
  const [critic, router, poet, editor, writer] = ['critic', 'router', 'poet', 'editor', 'writer'].map(model);
  env.provider.script(critic, [{ text: 'Too long.' }]);
  env.provider.script(router, [{ json: { categories: [{ category: 'editor', confidence: 0.9, reasoning: 'It is an edit.' }] } }]);
  env.provider.script(editor, [{ text: 'Trimmed.' }]);
  env.provider.script(writer, [{ text: 'Combined: trimmed and shorter.' }]);
  const handle = await env.start('parallel', 'Edit this paragraph.', {
    type: 'parallel',
    fan_out: [
      agent('critic', critic),
      {
        type: 'router',
        name: 'desk',
        method: 'llm',
        agents: [agent('poet', poet, { description: 'Writes verse' }), agent('editor', editor, { description: 'Edits prose' })],
        provider: 'anthropic',
        model: router,
      },
    ],
    fan_in: agent('writer', writer),
  });
  const result = (await handle.result()) as { text: string; branches: Record<string, string>; usage: { llmCalls: number } };
  expect(result.branches).toEqual({ critic: 'Too long.', desk: 'Trimmed.' });
  expect(result.text).toBe('Combined: trimmed and shorter.');
  expect(result.usage.llmCalls).toBe(4);
  expect(env.provider.requests(poet)).toHaveLength(0);
  const fanInPrompt = JSON.stringify(env.provider.requests(writer)[0].body);
  expect(fanInPrompt).toContain('Too long.');
  expect(fanInPrompt).toContain('Trimmed.');
});

test('cancel wins at every depth: no run of a ten-level nest cancelled as it starts ends completed', async () => {
  // Each round cancels at a different moment of the nest starting up. A child may finish before the
  // cancel reaches it; but no run that received a cancel may end completed, and none is left running.
  for (const delayMs of [0, 150, 400, 800]) {
    const leaf = model('leaf');
    env.provider.script(leaf, [{ text: 'done' }]);
    let node: Record<string, unknown> = agent('leaf', leaf);
    for (let level = 10; level >= 2; level--) node = { type: 'parallel', name: `level${level}`, fan_out: [node] };
    const handle = await env.start('parallel', 'go', { type: 'parallel', fan_out: [node] });
    await new Promise((r) => setTimeout(r, delayMs));
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    let id = handle.workflowId;
    for (const name of [...Array.from({ length: 9 }, (_, i) => `level${i + 2}`), 'leaf']) {
      id = `${id}/${name}-1`;
      const child = env.worker.client.workflow.getHandle(id);
      const status = await eventually(async () => {
        const described = await child.describe().catch(() => undefined);
        if (!described) return 'never started';
        return described.status.name === 'RUNNING' ? undefined : described.status.name;
      });
      if (status === 'never started') break;
      const history = await child.fetchHistory();
      const cancelRequested = history.events!.some((e) => e.workflowExecutionCancelRequestedEventAttributes);
      expect({ id, status }).toEqual({ id, status: cancelRequested ? 'CANCELLED' : expect.stringMatching(/^(CANCELLED|COMPLETED)$/) });
    }
  }
});
