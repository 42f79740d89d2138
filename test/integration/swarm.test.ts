import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import { executionSizes } from '../../client/executions';
import { closeSignal, provideInputUpdate, sendMessageUpdate, stateQuery } from '../../workflows/definitions';
import type { SwarmResult } from '../../workflows/swarm';
import { eventually, mcpServers, projectRoot, providerConfig, startAgentEnv, type AgentEnv } from '../support/agent-env';
import { fetchHistories, replayFailures } from '../support/replay';
import { conversationSeen, systemSeen, toolNamesOffered, toolResultsSeen } from '../support/requests';

/**
 * The swarm end to end: one conversation passed between configured agents on both providers, by
 * transfer tools and by config functions calling transferTo, with context variables carried through.
 */

const orders = path.join(projectRoot, 'test', 'fixtures', 'functions', 'orders.ts');

let env: AgentEnv;

beforeAll(async () => {
  env = await startAgentEnv((provider, fixtureUrl) => ({
    ...providerConfig(provider),
    mcp: { servers: mcpServers(fixtureUrl) },
    functions: {
      lookup_order: { module: orders, export: 'lookupOrder', description: 'Finds an order by its id.' },
      start_refund: { module: orders, export: 'startRefund', description: 'Starts a refund and passes the customer to refunds.' },
    },
    agents: {
      triage: { instruction: 'Triage the request.', provider: 'openai', model: 'swarm-triage', handoffs: ['billing', 'refunds'] },
      billing: {
        instruction: 'Answer billing questions.',
        description: 'Knows invoices and sums.',
        provider: 'anthropic',
        model: 'swarm-billing',
        servers: ['fixture'],
        functions: ['lookup_order'],
      },
      refunds: { instruction: 'Process refunds.', provider: 'anthropic', model: 'swarm-refunds' },
      desk: { instruction: 'Help with orders.', provider: 'openai', model: 'swarm-desk', functions: ['lookup_order', 'start_refund'] },
      front: { instruction: 'Greet.', provider: 'openai', model: 'swarm-front', servers: ['fixture'], handoffs: ['back'] },
      back: { instruction: 'Do the work.', provider: 'openai', model: 'swarm-back', servers: ['fixture'], handoffs: ['front'] },
      ping: { instruction: 'Pass to pong.', provider: 'openai', model: 'swarm-ping', handoffs: ['pong'] },
      pong: { instruction: 'Pass to ping.', provider: 'anthropic', model: 'swarm-pong', handoffs: ['ping'] },
      clerk: {
        instruction: 'Look orders up.',
        provider: 'openai',
        model: 'swarm-clerk',
        functions: ['lookup_order', 'start_refund'],
        human_input: true,
        approve_tools: ['lookup_*'],
      },
    },
  }));
});

afterAll(async () => {
  await env?.close();
});

async function activitySummaries(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e) =>
    e.activityTaskScheduledEventAttributes && e.userMetadata?.summary
      ? [defaultPayloadConverter.fromPayload<string>(e.userMetadata.summary as never)]
      : [],
  );
}

test('triage (OpenAI) hands the conversation to billing (Anthropic) with a transfer tool', async () => {
  env.provider.script('swarm-triage', [{ toolCalls: [{ name: 'transfer_to_billing', arguments: {} }], usage: { input: 10, output: 2 } }]);
  env.provider.script('swarm-billing', [
    { toolCalls: [{ name: 'fixture-add', arguments: { a: 2, b: 3 } }], usage: { input: 20, output: 3 } },
    { text: 'Your total is 5.', usage: { input: 30, output: 4 } },
  ]);
  const handle = await env.start('swarm', 'What do I owe for items of 2 and 3?', {
    agents: ['triage', 'billing', 'refunds'],
    context_variables: { customer: 'Ada' },
  });
  const result = (await handle.result()) as SwarmResult;

  expect(result).toEqual({
    text: 'Your total is 5.',
    agent: 'billing',
    handoffs: ['triage', 'billing'],
    context_variables: { customer: 'Ada' },
    turns: 3,
    stopReason: 'final_answer',
    usage: { inputTokens: 60, outputTokens: 9, llmCalls: 3, toolCalls: 1 },
    transcript: { head: expect.stringMatching(/^log\/[0-9a-f]{64}$/), pending: [] },
  });

  const [triageTurn] = env.provider.requests('swarm-triage');
  expect(toolNamesOffered(triageTurn)).toEqual(['transfer_to_billing', 'transfer_to_refunds']);
  expect(JSON.stringify(triageTurn.body.tools)).toContain('Knows invoices and sums.');
  expect(systemSeen(triageTurn)).toMatch(/^Triage the request\.\n\n.*"customer": "Ada"/s);

  // Billing takes over the same conversation, with its own instruction and tools.
  const [billingFirst, billingSecond] = env.provider.requests('swarm-billing');
  expect(systemSeen(billingFirst)).toMatch(/^Answer billing questions\.\n\n.*"customer": "Ada"/s);
  expect(toolNamesOffered(billingFirst)).toEqual(expect.arrayContaining(['fixture-add', 'lookup_order']));
  expect(toolNamesOffered(billingFirst).some((name) => name.startsWith('transfer_to_'))).toBe(false);
  expect(JSON.stringify(billingFirst.body.messages)).toContain('What do I owe for items of 2 and 3?');
  expect(toolResultsSeen(billingFirst)).toEqual([expect.objectContaining({ content: expect.stringMatching(/^Transferred to billing\./) })]);
  expect(toolResultsSeen(billingSecond).at(-1)).toMatchObject({ content: '5', isError: false });

  expect(await activitySummaries(handle)).toEqual([
    'llm openai/swarm-triage · triage · turn 1',
    'list tools · fixture',
    'llm anthropic/swarm-billing · billing · turn 2',
    'tool fixture-add',
    'llm anthropic/swarm-billing · billing · turn 3',
  ]);
});

test('a function updates the context variables and transfers to refunds', async () => {
  env.provider.script('swarm-desk', [
    {
      toolCalls: [
        { name: 'lookup_order', arguments: { id: 'A-1' } },
        { name: 'start_refund', arguments: { id: 'A-1' } },
      ],
    },
  ]);
  env.provider.script('swarm-refunds', [{ text: 'Your refund for the kettle is on its way, Ada.' }]);
  const handle = await env.start('swarm', 'Refund my order A-1, please.', {
    agents: ['desk', 'refunds'],
    context_variables: { customer: 'Ada' },
  });
  const result = (await handle.result()) as SwarmResult;

  expect(result).toMatchObject({
    text: 'Your refund for the kettle is on its way, Ada.',
    agent: 'refunds',
    handoffs: ['desk', 'refunds'],
    context_variables: { customer: 'Ada', refund_order: 'A-1', refunds_started: 1 },
    turns: 2,
    stopReason: 'final_answer',
  });
  expect(result.usage).toMatchObject({ llmCalls: 2, toolCalls: 2 });

  const [deskTurn] = env.provider.requests('swarm-desk');
  expect(toolNamesOffered(deskTurn)).toEqual(['lookup_order', 'start_refund']);
  expect(JSON.stringify(deskTurn.body.tools)).toContain('Finds an order by its id.');
  expect(systemSeen(deskTurn)).not.toContain('refund_order');

  const [refundsTurn] = env.provider.requests('swarm-refunds');
  expect(systemSeen(refundsTurn)).toMatch(/^Process refunds\./);
  expect(systemSeen(refundsTurn)).toContain('"refund_order": "A-1"');
  expect(systemSeen(refundsTurn)).toContain('"refunds_started": 1');
  const [looked, refunded] = toolResultsSeen(refundsTurn);
  expect(JSON.parse(looked.content)).toMatchObject({ id: 'A-1', item: 'kettle', status: 'shipped' });
  expect(refunded).toMatchObject({ content: 'Refund started for A-1.', isError: false });
  // The turn's calls ran one after another, in the order the model made them.
  expect(await activitySummaries(handle)).toEqual([
    'llm openai/swarm-desk · desk · turn 1',
    'function lookup_order',
    'function start_refund',
    'llm anthropic/swarm-refunds · refunds · turn 2',
  ]);
});

test('agents handing the conversation back and forth stop at max_turns', async () => {
  const pass = (to: string, text: string) => ({ text, toolCalls: [{ name: `transfer_to_${to}`, arguments: {} }] });
  env.provider.script('swarm-ping', [pass('pong', 'over to pong'), pass('pong', 'over to pong again')]);
  env.provider.script('swarm-pong', [pass('ping', 'back to ping'), pass('ping', 'back to ping again')]);
  const handle = await env.start('swarm', 'bounce', { agents: ['ping', 'pong'], max_turns: 4 });
  const result = (await handle.result()) as SwarmResult;

  expect(result).toMatchObject({
    text: 'back to ping again',
    agent: 'ping',
    handoffs: ['ping', 'pong', 'ping', 'pong', 'ping'],
    turns: 4,
    stopReason: 'max_turns',
  });
  expect(env.provider.requests('swarm-ping')).toHaveLength(2);
  expect(env.provider.requests('swarm-pong')).toHaveLength(2);
});

test('human input and tool approvals work for swarm agents; a transfer to a non-member is refused', async () => {
  env.provider.script('swarm-clerk', [
    { toolCalls: [{ name: 'human_input', arguments: { prompt: 'Which order?' } }] },
    {
      toolCalls: [
        { name: 'lookup_order', arguments: { id: 'A-1' } },
        { name: 'start_refund', arguments: { id: 'A-1' } },
      ],
    },
    { text: 'Your kettle has shipped.' },
  ]);
  const handle = await env.start('swarm', 'Where is my order?', { agents: ['clerk'] });

  const asked = await eventually(async () => (await handle.query(stateQuery)).pendingInput);
  expect(asked).toMatchObject({ kind: 'input', prompt: 'Which order?' });
  await handle.executeUpdate(provideInputUpdate, { args: [{ requestId: asked.requestId, value: 'A-1' }] });

  const approval = await eventually(async () => {
    const pending = (await handle.query(stateQuery)).pendingInput;
    return pending?.kind === 'approval' ? pending : undefined;
  });
  expect(approval).toMatchObject({ tool: 'lookup_order', args: { id: 'A-1' } });
  await handle.executeUpdate(provideInputUpdate, { args: [{ requestId: approval.requestId, value: { approved: true } }] });
  const result = (await handle.result()) as SwarmResult;

  expect(result).toMatchObject({
    text: 'Your kettle has shipped.',
    agent: 'clerk',
    handoffs: ['clerk'],
    context_variables: { refund_order: 'A-1', refunds_started: 1 },
    turns: 3,
  });
  const [, second, third] = env.provider.requests('swarm-clerk');
  expect(toolResultsSeen(second)).toEqual([expect.objectContaining({ content: 'A-1', isError: false })]);
  const [looked, refunded] = toolResultsSeen(third).slice(-2);
  expect(looked.content).toContain('kettle');
  expect(refunded.content).toContain('Refund started for A-1.');
  expect(refunded.content).toContain('"refunds", which is not an agent of this swarm (clerk)');
});

test('every swarm run above replays deterministically from its history', async () => {
  const histories = await fetchHistories(env.handles);
  expect(histories).toHaveLength(4);
  expect(await replayFailures(histories)).toEqual([]);
});

test('a swarm conversation keeps its active agent from message to message, across continue-as-new', async () => {
  const repeat = (text: string) => ({ toolCalls: [{ name: 'fixture-repeat', arguments: { text, times: 3000 } }] });
  env.provider.script('swarm-front', [repeat('f'), { toolCalls: [{ name: 'transfer_to_back', arguments: {} }] }, { text: 'front again' }]);
  env.provider.script('swarm-back', [
    { text: 'back, turn 1' },
    repeat('b'),
    { text: 'back, turn 2' },
    { toolCalls: [{ name: 'transfer_to_front', arguments: {} }] },
  ]);
  const spec = { type: 'swarm', agents: ['front', 'back'], conversation: true, history_limit_bytes: 16 * 1024 };
  const handle = await env.start('swarm', 'hello', spec);
  await eventually(async () => (await handle.query(stateQuery)).status === 'idle');
  expect(await handle.executeUpdate(sendMessageUpdate, { args: [{ input: 'more work' }] })).toEqual({ turn: 2 });
  await eventually(async () => (await handle.query(stateQuery)).conversation?.finishedTurns === 2);
  expect(await handle.executeUpdate(sendMessageUpdate, { args: [{ input: 'back to the front' }] })).toEqual({ turn: 3 });
  await eventually(async () => (await handle.query(stateQuery)).conversation?.finishedTurns === 3);
  await handle.signal(closeSignal);
  const result = (await handle.result()) as SwarmResult;

  expect(result).toMatchObject({ text: 'front again', agent: 'front', handoffs: ['front', 'back', 'front'], conversationTurns: 3, closedBy: 'close' });
  // Turn 2 went straight to back, which still held the conversation.
  expect(env.provider.requests('swarm-back')).toHaveLength(4);
  expect(conversationSeen(env.provider.requests('swarm-back')[1]).at(-1)).toBe('user: more work');
  // The last call saw all three messages and both long tool results whole.
  const last = env.provider.requests('swarm-front').at(-1)!;
  expect(conversationSeen(last).filter((line) => line.startsWith('user:'))).toEqual(['user: hello', 'user: more work', 'user: back to the front']);
  expect(toolResultsSeen(last).filter((r) => r.content.length === 3000).map((r) => r.content[0])).toEqual(['f', 'b']);
  expect((await executionSizes(env.worker.client, handle.workflowId, handle.firstExecutionRunId)).length).toBeGreaterThan(1);
});
