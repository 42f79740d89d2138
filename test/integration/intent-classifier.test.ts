import { defaultPayloadConverter } from '@temporalio/common';
import { NO_INTENT_TEXT } from '../../src/patterns/intent-classifier';
import { cosineSimilarity } from '../../src/patterns/similarity';
import type { IntentClassifierResult } from '../../workflows/intent-classifier';
import { providerConfig, startAgentEnv, type AgentEnv } from '../support/agent-env';
import { fetchTreeHistories, replayFailures } from '../support/replay';
import { fakeEmbedding } from '../../src/testing/scripted-embeddings';

/**
 * The intent classifier end to end: the real Temporal dev server and the real SDK clients against
 * the scripted provider, for the model and for embeddings.
 */

let env: AgentEnv;

beforeAll(async () => {
  env = await startAgentEnv((provider) => ({
    ...providerConfig(provider),
    cohere: { api_key: 'test-key', base_url: provider.cohereBaseUrl, embedding_model: 'intent-cohere-embed' },
    openai: { api_key: 'test-key', base_url: provider.openaiBaseUrl, embedding_model: 'intent-openai-embed' },
  }));
});

afterAll(async () => {
  await env?.close();
});

let modelCounter = 0;
const uniqueModel = (label: string) => `intent-${label}-${++modelCounter}-${Date.now()}`;

const intents = [
  { name: 'order_status', description: 'Where an order is and when it arrives', examples: ['Where is my parcel?', 'Has my order shipped yet?'] },
  { name: 'refund', description: 'Getting money back for a purchase', examples: ['I want a refund for my kettle'] },
  { name: 'greeting', description: 'Saying hello', examples: ['Hi there', 'Good morning'] },
];

async function activitySummaries(workflowId: string): Promise<string[]> {
  const history = await env.worker.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((e) =>
    e.activityTaskScheduledEventAttributes && e.userMetadata?.summary
      ? [defaultPayloadConverter.fromPayload<string>(e.userMetadata.summary as never)]
      : [],
  );
}

describe('llm classification', () => {
  test('top_k 2 (Anthropic): the model sees every intent, and the result ranks them with reasons and entities', async () => {
    const model = uniqueModel('llm');
    env.provider.script(model, [
      {
        json: {
          intents: [
            { intent: 'refund', confidence: 0.35, reasoning: 'Maybe they want money back.', entities: {} },
            { intent: 'order_status', confidence: 0.9, reasoning: 'Asks where the order is.', entities: { order_id: 'A-17' } },
            { intent: 'greeting', confidence: 0.2, reasoning: 'Says hi.', entities: {} },
          ],
        },
        usage: { input: 60, output: 30 },
      },
    ]);

    const handle = await env.start('intent_classifier', 'Hi, where is order A-17?', {
      method: 'llm',
      provider: 'anthropic',
      model,
      intents,
      top_k: 2,
    });
    const result = (await handle.result()) as IntentClassifierResult;

    expect(result).toEqual({
      text: 'order_status',
      intents: [
        { name: 'order_status', score: 0.9, reasoning: 'Asks where the order is.', entities: { order_id: 'A-17' } },
        { name: 'refund', score: 0.35, reasoning: 'Maybe they want money back.', entities: {} },
      ],
      usage: { inputTokens: 60, outputTokens: 30, llmCalls: 1, toolCalls: 0 },
    });
    const [asked] = env.provider.requests(model);
    const system = JSON.stringify(asked.body.system);
    for (const intent of intents) {
      expect(system).toContain(intent.name);
      expect(system).toContain(intent.description);
      for (const example of intent.examples) expect(system).toContain(example);
    }
    expect(system).toContain('at most 2 intents');
    expect(JSON.stringify(asked.body.messages)).toContain('Hi, where is order A-17?');
    expect(JSON.stringify(asked.body.tools)).toContain('"enum":["order_status","refund","greeting"]');
    expect(await activitySummaries(handle.workflowId)).toEqual([`intent classifier · anthropic/${model}`]);
    expect(await replayFailures(await fetchTreeHistories(env.worker.client, [handle.workflowId]))).toEqual([]);
  });

  test.each([
    ['every intent is below the threshold', [{ intent: 'greeting', confidence: 0.3, reasoning: 'Barely.', entities: {} }]],
    ['the model returns no intent', []],
  ])('no intent matched (OpenAI, %s)', async (_label, reply) => {
    const model = uniqueModel('llm-none');
    env.provider.script(model, [{ json: { intents: reply } }]);

    const handle = await env.start('intent_classifier', 'What is the capital of France?', {
      method: 'llm',
      provider: 'openai',
      model,
      intents,
      threshold: 0.5,
    });

    expect(await handle.result()).toEqual({
      text: NO_INTENT_TEXT,
      intents: [],
      usage: { inputTokens: 10, outputTokens: 5, llmCalls: 1, toolCalls: 0 },
    });
    const [asked] = env.provider.requests(model);
    expect(JSON.stringify(asked.body.response_format)).toContain('"enum":["order_status","refund","greeting"]');
  });

  test('an intent that does not exist gets the model a repair turn', async () => {
    const model = uniqueModel('llm-repair');
    env.provider.script(model, [
      { json: { intents: [{ intent: 'weather', confidence: 0.8, reasoning: 'Sky.' }] } },
      { json: { intents: [{ intent: 'greeting', confidence: 0.8, reasoning: 'Says hello.' }] } },
    ]);

    const handle = await env.start('intent_classifier', 'Hello!', { method: 'llm', provider: 'openai', model, intents });

    expect(await handle.result()).toMatchObject({
      text: 'greeting',
      intents: [{ name: 'greeting', score: 0.8, entities: {} }],
      usage: { llmCalls: 2 },
    });
    expect(JSON.stringify(env.provider.requests(model)[1].body.messages)).toContain('intents[0].intent');
  });
});

describe('embedding classification', () => {
  /** What the workflow should compute: each intent scores as its closest text. */
  function expectedScores(input: string): { name: string; score: number }[] {
    const query = fakeEmbedding(input);
    return intents
      .map(({ name, description, examples }) => ({
        name,
        score: Math.max(...[description, ...examples].map((text) => cosineSimilarity(query, fakeEmbedding(text)))),
      }))
      .sort((a, b) => b.score - a.score);
  }

  const rounded = (matches: { name: string; score: number }[]) => matches.map(({ name, score }) => ({ name, score: Number(score.toFixed(6)) }));

  test('top_k 2 (OpenAI): ranks by closest example; a second run embeds only the request', async () => {
    const before = env.provider.embeddings.requests('intent-openai-embed').length;
    const input = 'where is my parcel with the kettle';
    const handle = await env.start('intent_classifier', input, { method: 'embedding', intents, top_k: 2 });
    const result = (await handle.result()) as IntentClassifierResult;

    const expected = expectedScores(input).slice(0, 2);
    expect(expected[0].name).toBe('order_status');
    expect(result.text).toBe('order_status');
    expect(rounded(result.intents)).toEqual(rounded(expected));
    expect(result.usage).toEqual({ inputTokens: 0, outputTokens: 0, llmCalls: 0, toolCalls: 0 });

    const intentTexts = intents.flatMap(({ description, examples }) => [description, ...examples]);
    const firstRequests = env.provider.embeddings.requests('intent-openai-embed').slice(before);
    expect(firstRequests.map((r) => r.texts).sort()).toEqual([intentTexts, [input]].sort());
    expect(await activitySummaries(handle.workflowId)).toEqual([
      'intent classifier · embed 3 intents',
      'intent classifier · embed request',
    ]);

    const again = await env.start('intent_classifier', 'good morning to you', { method: 'embedding', intents, top_k: 2 });
    expect(await again.result()).toMatchObject({ text: 'greeting' });
    const secondRequests = env.provider.embeddings.requests('intent-openai-embed').slice(before + firstRequests.length);
    expect(secondRequests.map((r) => r.texts)).toEqual([['good morning to you']]);
  });

  test('threshold (Cohere): only intents close enough count; documents and query embedded as such', async () => {
    const input = 'I want my money back for the kettle';
    const [best, next] = expectedScores(input);
    expect(best.name).toBe('refund');
    const threshold = (best.score + next.score) / 2;

    const handle = await env.start('intent_classifier', input, {
      method: 'embedding',
      embedding_provider: 'cohere',
      intents,
      top_k: 3,
      threshold,
    });
    const result = (await handle.result()) as IntentClassifierResult;
    expect(result.text).toBe('refund');
    expect(rounded(result.intents)).toEqual(rounded([best]));

    const requests = env.provider.embeddings.requests('intent-cohere-embed');
    expect(requests.find((r) => r.texts.includes(input))?.body.input_type).toBe('search_query');
    expect(requests.find((r) => r.texts.includes('Saying hello'))?.body.input_type).toBe('search_document');

    const nothing = await env.start('intent_classifier', 'zebra quantum saxophone', {
      method: 'embedding',
      embedding_provider: 'cohere',
      intents,
      threshold: 0.9,
    });
    expect(await nothing.result()).toMatchObject({ text: NO_INTENT_TEXT, intents: [] });
  });
});
