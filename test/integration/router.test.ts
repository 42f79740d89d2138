import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { cosineSimilarity } from '../../src/patterns/similarity';
import { NO_ROUTE_TEXT } from '../../src/patterns/router';
import type { RouterResult } from '../../workflows/router';
import { mcpServers, providerConfig, startAgentEnv, type AgentEnv } from '../support/agent-env';
import { toolNamesOffered, toolResultsSeen } from '../support/requests';
import { fetchTreeHistories, replayFailures } from '../support/replay';
import { fakeEmbedding } from '../../src/testing/scripted-embeddings';
import { SpecError } from '../../src/config/errors';

/**
 * The router end to end: the real Temporal dev server, the real SDK clients against the scripted
 * provider (LLM and embeddings), real MCP servers, configured functions, and agents as child workflows.
 */

const shopModule = path.resolve(__dirname, '../fixtures/functions/shop.ts');
const FIXTURE_DESCRIPTION = 'Arithmetic tools that add numbers and echo text';
const HOURS_DESCRIPTION = 'Tells the shop opening hours';

let env: AgentEnv;

beforeAll(async () => {
  env = await startAgentEnv((provider, fixtureUrl) => ({
    ...providerConfig(provider),
    cohere: { api_key: 'test-key', base_url: provider.cohereBaseUrl, embedding_model: 'router-cohere-embed' },
    openai: { api_key: 'test-key', base_url: provider.openaiBaseUrl, embedding_model: 'router-openai-embed' },
    mcp: { servers: { ...mcpServers(fixtureUrl), fixture: { url: fixtureUrl, description: FIXTURE_DESCRIPTION } } },
    functions: { opening_hours: { module: shopModule, export: 'openingHours', description: HOURS_DESCRIPTION } },
  }));
});

afterAll(async () => {
  await env?.close();
});

let modelCounter = 0;
const uniqueModel = (label: string) => `router-${label}-${++modelCounter}-${Date.now()}`;

type Provider = 'openai' | 'anthropic';

function agentNode(name: string, model: string, description: string, provider: Provider = 'openai') {
  return { name, description, instruction: `You handle ${name} requests.`, provider, model };
}

/** Every activity type scheduled by the run and its children, by workflow. */
async function activitiesByWorkflow(workflowId: string): Promise<Record<string, string[]>> {
  const histories = await fetchTreeHistories(env.worker.client, [workflowId]);
  return Object.fromEntries(
    histories.map(({ workflowId: id, history }) => [
      id.slice(workflowId.length) || 'router',
      (history.events ?? []).flatMap((e) => {
        const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
        return name ? [name] : [];
      }),
    ]),
  );
}

async function activitySummaries(workflowId: string): Promise<string[]> {
  const history = await env.worker.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((e) =>
    e.activityTaskScheduledEventAttributes && e.userMetadata?.summary
      ? [defaultPayloadConverter.fromPayload<string>(e.userMetadata.summary as never)]
      : [],
  );
}

function userMessagesSeen(body: Record<string, unknown>): string {
  return JSON.stringify((body.messages as unknown[]).filter((m) => (m as { role: string }).role === 'user'));
}

describe('llm routing', () => {
  test('then run (OpenAI): the model sees every route, the chosen agent answers, and its answer is the router’s', async () => {
    const router = uniqueModel('llm-run');
    const billing = uniqueModel('billing');
    const support = uniqueModel('support');
    const research = uniqueModel('research');
    env.provider.script(router, [
      { json: { categories: [{ category: 'billing', confidence: 0.92, reasoning: 'It is about an invoice.' }] }, usage: { input: 50, output: 20 } },
    ]);
    env.provider.script(billing, [{ text: 'Your refund is on its way.', usage: { input: 30, output: 8 } }]);

    const handle = await env.start('router', 'I was charged twice on my invoice', {
      method: 'llm',
      provider: 'openai',
      model: router,
      agents: [
        agentNode('billing', billing, 'Invoices, refunds and payments'),
        agentNode('support', support, 'Problems using the app'),
        { type: 'agent', name: 'research', agent: agentNode('researcher', research, 'Looks things up in depth') },
      ],
      servers: ['fixture'],
      functions: ['opening_hours'],
    });
    const result = (await handle.result()) as RouterResult;

    expect(result).toMatchObject({
      text: 'Your refund is on its way.',
      routes: [{ name: 'billing', kind: 'agent', score: 0.92, reasoning: 'It is about an invoice.' }],
      chosen: 'billing',
      output: { text: 'Your refund is on its way.', stopReason: 'final_answer' },
    });
    expect(result.usage).toEqual({ inputTokens: 80, outputTokens: 28, llmCalls: 2, toolCalls: 0 });

    const [asked] = env.provider.requests(router);
    const seen = JSON.stringify(asked.body);
    for (const shown of [
      'billing',
      'Invoices, refunds and payments',
      'support',
      'Problems using the app',
      'research',
      'Looks things up in depth',
      'fixture',
      FIXTURE_DESCRIPTION,
      'opening_hours',
      HOURS_DESCRIPTION,
    ]) {
      expect(seen).toContain(shown);
    }
    expect(userMessagesSeen(asked.body)).toContain('I was charged twice on my invoice');
    expect(seen).toContain('"enum":["billing","support","research","fixture","opening_hours"]');
    expect(userMessagesSeen(env.provider.requests(billing)[0].body)).toContain('I was charged twice on my invoice');
    expect(env.provider.requests(support)).toHaveLength(0);
    expect(env.provider.requests(research)).toHaveLength(0);

    expect(await activitySummaries(handle.workflowId)).toEqual([`router · openai/${router}`]);
    expect(await activitiesByWorkflow(handle.workflowId)).toEqual({
      router: ['llmGenerate'],
      '/billing-1': ['llmGenerate'],
    });
    expect(await replayFailures(await fetchTreeHistories(env.worker.client, [handle.workflowId]))).toEqual([]);
  });

  test('then classify, top_k 2 (Anthropic): the ranking best first and no route runs', async () => {
    const router = uniqueModel('llm-classify');
    const billing = uniqueModel('billing');
    const support = uniqueModel('support');
    env.provider.script(router, [
      {
        json: {
          categories: [
            { category: 'support', confidence: 0.4, reasoning: 'Could be an app problem.' },
            { category: 'billing', confidence: 0.8, reasoning: 'Mentions a payment.' },
            { category: 'opening_hours', confidence: 0.1, reasoning: 'Unlikely.' },
          ],
        },
      },
    ]);

    const handle = await env.start('router', 'My payment failed in the app', {
      method: 'llm',
      provider: 'anthropic',
      model: router,
      agents: [agentNode('billing', billing, 'Invoices and payments', 'anthropic'), agentNode('support', support, 'App problems', 'anthropic')],
      functions: ['opening_hours'],
      top_k: 2,
      then: 'classify',
    });
    const result = (await handle.result()) as RouterResult;

    expect(result).toEqual({
      text: 'billing',
      routes: [
        { name: 'billing', kind: 'agent', score: 0.8, reasoning: 'Mentions a payment.' },
        { name: 'support', kind: 'agent', score: 0.4, reasoning: 'Could be an app problem.' },
      ],
      usage: { inputTokens: 10, outputTokens: 5, llmCalls: 1, toolCalls: 0 },
    });
    const [asked] = env.provider.requests(router);
    expect(asked.body.tool_choice).toEqual({ type: 'tool', name: 'routes' });
    expect(JSON.stringify(asked.body.system)).toContain('at most 2 destinations');
    expect(env.provider.requests(billing)).toHaveLength(0);
    expect(env.provider.requests(support)).toHaveLength(0);
    expect(await activitiesByWorkflow(handle.workflowId)).toEqual({ router: ['llmGenerate'] });
  });

  test('a route name that does not exist gets the model a repair turn', async () => {
    const router = uniqueModel('llm-repair');
    env.provider.script(router, [
      { json: { categories: [{ category: 'refunds', confidence: 0.9, reasoning: 'Money back.' }] } },
      { json: { categories: [{ category: 'billing', confidence: 0.9, reasoning: 'Money back.' }] } },
    ]);

    const handle = await env.start('router', 'I want my money back', {
      method: 'llm',
      provider: 'openai',
      model: router,
      agents: [agentNode('billing', uniqueModel('billing'), 'Refunds')],
      then: 'classify',
    });
    const result = (await handle.result()) as RouterResult;

    expect(result.routes).toEqual([{ name: 'billing', kind: 'agent', score: 0.9, reasoning: 'Money back.' }]);
    expect(result.usage.llmCalls).toBe(2);
    const [, repair] = env.provider.requests(router);
    expect(userMessagesSeen(repair.body)).toContain('categories[0].category');
    expect(await activitySummaries(handle.workflowId)).toEqual([
      `router · openai/${router}`,
      `router · openai/${router} · repair`,
    ]);
  });

  test.each([
    ['every route is below the threshold', [{ category: 'billing', confidence: 0.3, reasoning: 'Barely.' }]],
    ['the model returns no route', []],
  ])('then run with no route matched (%s): completes with no routes and runs nothing', async (_label, categories) => {
    const router = uniqueModel('llm-none');
    const billing = uniqueModel('billing');
    env.provider.script(router, [{ json: { categories } }]);

    const handle = await env.start('router', 'Tell me a joke', {
      method: 'llm',
      provider: 'openai',
      model: router,
      agents: [agentNode('billing', billing, 'Invoices')],
      threshold: 0.5,
    });
    const result = (await handle.result()) as RouterResult;

    expect(result).toEqual({ text: NO_ROUTE_TEXT, routes: [], usage: { inputTokens: 10, outputTokens: 5, llmCalls: 1, toolCalls: 0 } });
    expect(env.provider.requests(billing)).toHaveLength(0);
    expect(await activitiesByWorkflow(handle.workflowId)).toEqual({ router: ['llmGenerate'] });
  });

  test('a server route (Anthropic): an agent on the router’s model handles the request with that server’s tools', async () => {
    const router = uniqueModel('llm-server');
    env.provider.script(router, [
      { json: { categories: [{ category: 'fixture', confidence: 0.85, reasoning: 'Needs arithmetic.' }] } },
      { toolCalls: [{ name: 'fixture-add', arguments: { a: 2, b: 3 } }] },
      { text: '2 + 3 = 5' },
    ]);

    const handle = await env.start('router', 'Add 2 and 3', {
      method: 'llm',
      provider: 'anthropic',
      model: router,
      agents: [agentNode('billing', uniqueModel('billing'), 'Invoices', 'anthropic')],
      servers: ['fixture'],
    });
    const result = (await handle.result()) as RouterResult;

    expect(result).toMatchObject({
      text: '2 + 3 = 5',
      chosen: 'fixture',
      routes: [{ name: 'fixture', kind: 'server', score: 0.85 }],
      usage: { llmCalls: 3, toolCalls: 1 },
    });
    const [, agentTurn, lastTurn] = env.provider.requests(router);
    expect(JSON.stringify(agentTurn.body.system)).toContain('Use the tools of fixture to handle the request.');
    expect(toolNamesOffered(agentTurn)).toEqual(expect.arrayContaining(['fixture-add', 'fixture-echo']));
    expect(toolResultsSeen(lastTurn)).toEqual([expect.objectContaining({ content: '5', isError: false })]);
    expect(await activitiesByWorkflow(handle.workflowId)).toEqual({
      router: ['llmGenerate'],
      '/fixture-1': ['mcpListTools', 'llmGenerate', 'mcpCallTool', 'llmGenerate'],
    });
  });

  test('a nested pattern route runs as its own child workflow', async () => {
    const router = uniqueModel('llm-pattern');
    const helper = uniqueModel('helper');
    env.provider.script(router, [{ json: { categories: [{ category: 'research', confidence: 0.7, reasoning: 'Needs digging.' }] } }]);
    env.provider.script(helper, [{ text: 'Found it.' }]);

    const handle = await env.start('router', 'Dig into this', {
      method: 'llm',
      provider: 'openai',
      model: router,
      agents: [{ type: 'agent', name: 'research', agent: agentNode('helper', helper, 'Digs into questions') }],
    });
    const result = (await handle.result()) as RouterResult;

    expect(result).toMatchObject({ text: 'Found it.', chosen: 'research', routes: [{ name: 'research', kind: 'pattern' }] });
    expect(Object.keys(await activitiesByWorkflow(handle.workflowId))).toEqual(['router', '/research-1']);
  });

  test('a router with nowhere to route is refused before it starts', async () => {
    const refused = await env.start('router', 'anything', { method: 'llm', provider: 'openai', model: uniqueModel('empty') }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SpecError);
    expect((refused as SpecError).problems).toEqual(['spec: a router needs at least one route: agents, servers or functions']);
  });
});

describe('embedding routing', () => {
  function embeddingSpec(extra: Record<string, unknown>) {
    return {
      method: 'embedding',
      agents: [
        agentNode('billing', uniqueModel('billing'), 'Invoices refunds and payments'),
        agentNode('support', uniqueModel('support'), 'Technical problems with the app'),
      ],
      functions: ['opening_hours'],
      ...extra,
    };
  }

  const routeTexts = [
    'billing: Invoices refunds and payments',
    'support: Technical problems with the app',
    `opening_hours: ${HOURS_DESCRIPTION}`,
  ];

  test('then run (OpenAI): the closest route, a function, answers; a second run embeds only the request', async () => {
    const before = env.provider.embeddings.requests('router-openai-embed').length;
    const spec = embeddingSpec({});
    const first = await env.start('router', 'What are the shop opening hours on Sunday?', spec);
    const result = (await first.result()) as RouterResult;

    expect(result).toMatchObject({
      text: 'The shop is open 9:00 to 17:00 every day. (You asked: What are the shop opening hours on Sunday?)',
      chosen: 'opening_hours',
      routes: [{ name: 'opening_hours', kind: 'function' }],
      output: 'The shop is open 9:00 to 17:00 every day. (You asked: What are the shop opening hours on Sunday?)',
      usage: { llmCalls: 0, toolCalls: 0 },
    });
    const expectedScore = cosineSimilarity(fakeEmbedding('What are the shop opening hours on Sunday?'), fakeEmbedding(routeTexts[2]));
    expect(result.routes[0].score).toBeCloseTo(expectedScore, 6);

    const firstRequests = env.provider.embeddings.requests('router-openai-embed').slice(before);
    expect(firstRequests.map((r) => r.texts).sort()).toEqual([routeTexts, ['What are the shop opening hours on Sunday?']].sort());
    expect(await activitiesByWorkflow(first.workflowId)).toEqual({ router: ['embed', 'embed', 'callFunction'] });

    const second = await env.start('router', 'Shop opening hours tomorrow?', embeddingSpec({ then: 'classify' }));
    expect(await second.result()).toMatchObject({ text: 'opening_hours' });
    const secondRequests = env.provider.embeddings.requests('router-openai-embed').slice(before + firstRequests.length);
    expect(secondRequests.map((r) => r.texts)).toEqual([['Shop opening hours tomorrow?']]);
  });

  test('then classify (Cohere): routes by similarity, cut by threshold and top_k; documents and query embedded as such', async () => {
    const input = 'refunds for invoices paid twice';
    const scores = routeTexts.map((text) => cosineSimilarity(fakeEmbedding(input), fakeEmbedding(text)));
    const [billingScore, ...others] = scores;
    expect(billingScore).toBeGreaterThan(Math.max(...others));
    const threshold = (billingScore + Math.max(...others)) / 2;

    const handle = await env.start('router', input, embeddingSpec({ embedding_provider: 'cohere', then: 'classify', top_k: 3, threshold }));
    const result = (await handle.result()) as RouterResult;
    expect(result).toEqual({
      text: 'billing',
      routes: [{ name: 'billing', kind: 'agent', score: expect.closeTo(billingScore, 6) }],
      usage: { inputTokens: 0, outputTokens: 0, llmCalls: 0, toolCalls: 0 },
    });

    const requests = env.provider.embeddings.requests('router-cohere-embed');
    expect(requests.find((r) => r.texts.includes(input))?.body.input_type).toBe('search_query');
    expect(requests.find((r) => r.texts.includes(routeTexts[0]))?.body.input_type).toBe('search_document');

    const ranked = await env.start('router', input, embeddingSpec({ embedding_provider: 'cohere', then: 'classify', top_k: 2 }));
    const expected = routeTexts
      .map((_, index) => ({ name: ['billing', 'support', 'opening_hours'][index], score: scores[index] }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 2);
    expect(((await ranked.result()) as RouterResult).routes.map(({ name, score }) => ({ name, score: Number(score.toFixed(6)) }))).toEqual(
      expected.map(({ name, score }) => ({ name, score: Number(score.toFixed(6)) })),
    );
  });
});
