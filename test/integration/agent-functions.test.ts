import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import type { AgentResult } from '../../workflows/agent';
import { mcpServers, projectRoot, providerConfig, startAgentEnv, type AgentEnv } from '../support/agent-env';
import { fetchHistories, replayFailures } from '../support/replay';
import { toolNamesOffered, toolResultsSeen } from '../support/requests';

/** Config functions offered to a plain agent as tools, next to its MCP tools. */

const orders = path.join(projectRoot, 'test', 'fixtures', 'functions', 'orders.ts');

let env: AgentEnv;

beforeAll(async () => {
  env = await startAgentEnv((provider, fixtureUrl) => ({
    ...providerConfig(provider),
    mcp: { servers: mcpServers(fixtureUrl) },
    functions: {
      lookup_order: { module: orders, export: 'lookupOrder', description: 'Finds an order by its id.' },
      start_refund: { module: orders, export: 'startRefund' },
    },
  }));
});

afterAll(async () => {
  await env?.close();
});

let modelCounter = 0;
const uniqueModel = (label: string) => `${label}-${++modelCounter}-${Date.now()}`;

function adHoc(model: string, provider: 'openai' | 'anthropic', extra: Record<string, unknown>) {
  return { type: 'agent', agent: { instruction: 'You help with orders.', provider, model, ...extra } };
}

async function activitySummaries(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e) =>
    e.activityTaskScheduledEventAttributes && e.userMetadata?.summary
      ? [defaultPayloadConverter.fromPayload<string>(e.userMetadata.summary as never)]
      : [],
  );
}

test('function tools run as activities beside MCP tools; a thrown error is an error result (Anthropic)', async () => {
  const model = uniqueModel('functions');
  env.provider.script(model, [
    {
      toolCalls: [
        { name: 'lookup_order', arguments: { id: 'A-1' } },
        { name: 'lookup_order', arguments: { id: 'Z-9' } },
        { name: 'fixture-add', arguments: { a: 1, b: 2 } },
      ],
    },
    { text: 'A-1 has shipped; Z-9 does not exist.' },
  ]);
  const handle = await env.start(
    'agent',
    'Where are A-1 and Z-9?',
    adHoc(model, 'anthropic', { servers: ['fixture'], functions: ['lookup_order', 'start_refund'] }),
  );
  const result = (await handle.result()) as AgentResult;

  expect(result).toMatchObject({ text: 'A-1 has shipped; Z-9 does not exist.', iterations: 2, stopReason: 'final_answer' });
  expect(result.usage).toMatchObject({ llmCalls: 2, toolCalls: 3 });
  const [first, second] = env.provider.requests(model);
  expect(toolNamesOffered(first)).toEqual(expect.arrayContaining(['fixture-add', 'lookup_order', 'start_refund']));
  const tools = first.body.tools as { name: string; description: string; input_schema: unknown }[];
  expect(tools.find((t) => t.name === 'lookup_order')).toEqual({
    name: 'lookup_order',
    description: 'Finds an order by its id.',
    input_schema: { type: 'object', additionalProperties: true },
  });
  expect(tools.find((t) => t.name === 'start_refund')?.description).toBe('Runs the function "start_refund".');

  const [found, missing, sum] = toolResultsSeen(second);
  expect(JSON.parse(found.content)).toMatchObject({ id: 'A-1', item: 'kettle', status: 'shipped' });
  expect(found.isError).toBe(false);
  expect(missing).toMatchObject({ content: 'No order with id "Z-9".', isError: true });
  expect(sum).toMatchObject({ content: '3', isError: false });
  expect((await activitySummaries(handle)).sort()).toEqual(
    [
      'list tools · fixture',
      'llm anthropic/' + model + ' · agent · turn 1',
      'function lookup_order',
      'function lookup_order',
      'tool fixture-add',
      'llm anthropic/' + model + ' · agent · turn 2',
    ].sort(),
  );
});

test("only the agent's own functions are tools; a transfer asked outside a swarm changes nothing (OpenAI)", async () => {
  const model = uniqueModel('own-functions');
  env.provider.script(model, [
    {
      toolCalls: [
        { name: 'start_refund', arguments: { id: 'A-1' } },
        { name: 'lookup_order', arguments: { id: 'A-1' } },
      ],
    },
    { text: 'Refund started.' },
  ]);
  const handle = await env.start('agent', 'Refund A-1.', adHoc(model, 'openai', { functions: ['start_refund'] }));
  expect(await handle.result()).toMatchObject({ text: 'Refund started.', stopReason: 'final_answer' });

  const [first, second] = env.provider.requests(model);
  expect(toolNamesOffered(first)).toEqual(['start_refund']);
  const [refunded, notOffered] = toolResultsSeen(second);
  expect(refunded).toMatchObject({ content: 'Refund started for A-1.', isError: false });
  expect(notOffered.isError).toBe(true);
  expect(notOffered.content).toContain('Unknown tool "lookup_order". Available tools: start_refund.');
});

test('the function-tool runs replay deterministically from their histories', async () => {
  const histories = await fetchHistories(env.handles);
  expect(histories).toHaveLength(2);
  expect(await replayFailures(histories)).toEqual([]);
});
