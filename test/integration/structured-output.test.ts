import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { z } from 'zod';
import { createLlmActivities, type LlmActivityDeps } from '../../activities/llm';
import { singleRequest } from '../support/stores';
import type { LlmRequest, LlmResponse } from '../../src/llm/messages';
import { checkStructured, outputJsonSchema } from '../../src/patterns/structured';
import { startScriptedProvider, type ScriptedProvider } from '../../src/testing/scripted-model';
import { scratchConversationStore } from '../support/stores';

/**
 * Structured output over the wire: the real activity and SDK clients ask the scripted provider for
 * an object in each provider's native way, and the reply comes back parsed.
 */

const routeSchema = z.object({
  category: z.enum(['billing', 'technical', 'other']),
  confidence: z.number().min(0).max(1),
  reasoning: z.string(),
});

const output = { name: 'route', description: 'Where the request should go', schema: outputJsonSchema(routeSchema) };

let provider: ScriptedProvider;
let deps: LlmActivityDeps;
let modelCount = 0;

beforeAll(async () => {
  provider = await startScriptedProvider();
  deps = {
    anthropic: { api_key: 'test-anthropic-key', base_url: provider.anthropicBaseUrl },
    openai: { api_key: 'test-openai-key', base_url: provider.openaiBaseUrl },
    conversations: scratchConversationStore(),
  };
});

afterAll(async () => {
  await provider.close();
});

function uniqueModel(): string {
  modelCount += 1;
  return `structured-model-${modelCount}`;
}

function request(providerName: LlmRequest['provider'], model: string): LlmRequest {
  return {
    provider: providerName,
    model,
    system: 'You route support requests.',
    messages: [{ role: 'user', content: 'My invoice is wrong.' }],
    tools: [],
    maxTokens: 256,
    output,
  };
}

async function generate(req: LlmRequest): Promise<LlmResponse> {
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
  return env.run(singleRequest(createLlmActivities(deps).llmGenerate), req);
}

const route = { category: 'billing', confidence: 0.9, reasoning: 'It is about an invoice.' };

describe.each(['anthropic', 'openai'] as const)('structured output with %s', (providerName) => {
  it('asks for the schema natively and returns the reply parsed', async () => {
    const model = uniqueModel();
    provider.script(model, [{ json: route, usage: { input: 40, output: 12 } }]);

    const response = await generate(request(providerName, model));

    expect(response).toEqual({
      message: { role: 'assistant', content: JSON.stringify(route), toolCalls: [] },
      stopReason: 'end_turn',
      usage: { inputTokens: 40, outputTokens: 12 },
      structured: route,
    });
    expect(checkStructured(routeSchema, response)).toEqual({ ok: true, value: route });
    const [sent] = provider.requests(model);
    if (providerName === 'anthropic') {
      expect(sent.body.tools).toEqual([{ name: 'route', description: 'Where the request should go', input_schema: output.schema }]);
      expect(sent.body.tool_choice).toEqual({ type: 'tool', name: 'route' });
    } else {
      expect(sent.body.response_format).toEqual({
        type: 'json_schema',
        json_schema: { name: 'route', description: 'Where the request should go', schema: output.schema, strict: false },
      });
    }
  });

  it('returns a reply that breaks the schema parsed, for the workflow to reject', async () => {
    const model = uniqueModel();
    provider.script(model, [{ json: { category: 'sales', confidence: 2 } }]);

    const response = await generate(request(providerName, model));

    expect(response.structured).toEqual({ category: 'sales', confidence: 2 });
    expect(checkStructured(routeSchema, response)).toEqual({
      ok: false,
      problems: [expect.stringMatching(/^category: /), expect.stringMatching(/^confidence: /), expect.stringMatching(/^reasoning: /)],
    });
  });

  it('leaves the structured value out when the model answers in prose', async () => {
    const model = uniqueModel();
    provider.script(model, [{ text: 'This looks like a billing question.' }]);

    const response = await generate(request(providerName, model));

    expect(response).not.toHaveProperty('structured');
    expect(response.message).toEqual({ role: 'assistant', content: 'This looks like a billing question.', toolCalls: [] });
    expect(checkStructured(routeSchema, response)).toEqual({ ok: false, problems: ['(root): the reply was not a JSON object; it began: "This looks like a billing question."'] });
  });
});

describe('structured output with Anthropic and other tools', () => {
  it('keeps calls of other tools as tool calls beside the structured value', async () => {
    const model = uniqueModel();
    provider.script(model, [
      { toolCalls: [{ id: 'toolu_a', name: 'everything-echo', arguments: { message: 'hi' } }, { id: 'toolu_b', name: 'route', arguments: route }] },
    ]);
    const req: LlmRequest = {
      ...request('anthropic', model),
      tools: [{ name: 'everything-echo', description: 'Echoes', inputSchema: { type: 'object', properties: { message: { type: 'string' } } } }],
    };

    const response = await generate(req);

    expect(response.structured).toEqual(route);
    expect(response.message.toolCalls).toEqual([{ id: 'toolu_a', name: 'everything-echo', arguments: { message: 'hi' } }]);
    expect(provider.requests(model)[0].body.tools).toHaveLength(2);
  });
});
