import { once } from 'node:events';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { FailureTypes } from '../../src/failure-types';
import { createLlmActivities, type LlmActivityDeps } from '../../activities/llm';
import { singleRequest } from '../support/stores';
import type { LlmRequest, LlmResponse } from '../../src/llm/messages';
import { startScriptedProvider, type ScriptedProvider } from '../../src/testing/scripted-model';
import { scratchConversationStore } from '../support/stores';

/**
 * The real activity, in a real activity context, through the real SDK clients, against a scripted
 * provider over HTTP.
 */

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

/** Expected failures are the point of several tests; the worker's warnings about them are noise. */
function activityEnvironment(): MockActivityEnvironment {
  return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
}

function uniqueModel(): string {
  modelCount += 1;
  return `scripted-model-${modelCount}`;
}

function request(providerName: LlmRequest['provider'], model: string): LlmRequest {
  return {
    provider: providerName,
    model,
    system: 'You add numbers.',
    messages: [{ role: 'user', content: 'What is 1+2?' }],
    tools: [
      {
        name: 'everything-get-sum',
        description: 'Adds two numbers',
        inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } },
      },
    ],
    maxTokens: 256,
  };
}

async function generate(req: LlmRequest, withDeps: LlmActivityDeps = deps): Promise<LlmResponse> {
  return activityEnvironment().run(singleRequest(createLlmActivities(withDeps).llmGenerate), req);
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  if (!(error instanceof ApplicationFailure)) throw new Error(`expected an ApplicationFailure, got ${String(error)}`);
  return error;
}

describe.each(['anthropic', 'openai'] as const)('llmGenerate with %s', (providerName) => {
  it('returns a text reply with its usage, having sent the provider’s own wire format', async () => {
    const model = uniqueModel();
    provider.script(model, [{ text: 'It is 3.', usage: { input: 30, output: 4 } }]);

    const response = await generate(request(providerName, model));

    expect(response).toEqual({
      message: { role: 'assistant', content: 'It is 3.', toolCalls: [] },
      stopReason: 'end_turn',
      usage: { inputTokens: 30, outputTokens: 4 },
    });
    const [sent] = provider.requests(model);
    expect(sent.provider).toBe(providerName);
    if (providerName === 'anthropic') {
      expect(sent.body).toMatchObject({ system: 'You add numbers.', max_tokens: 256 });
      // @anthropic-ai/sdk 1.x sends the API key as a bearer token.
      expect(sent.headers.authorization).toBe('Bearer test-anthropic-key');
    } else {
      expect(sent.body).toMatchObject({ max_tokens: 256 });
      expect(sent.body.messages).toEqual([
        { role: 'system', content: 'You add numbers.' },
        { role: 'user', content: 'What is 1+2?' },
      ]);
      expect(sent.headers.authorization).toBe('Bearer test-openai-key');
    }
  });

  it('returns parallel tool calls with their arguments', async () => {
    const model = uniqueModel();
    provider.script(model, [
      {
        text: 'Adding.',
        toolCalls: [
          { id: 'c1', name: 'everything-get-sum', arguments: { a: 1, b: 2 } },
          { id: 'c2', name: 'everything-get-sum', arguments: { a: 3, b: 4 } },
        ],
      },
    ]);

    const response = await generate(request(providerName, model));

    expect(response.stopReason).toBe('tool_use');
    expect(response.message).toEqual({
      role: 'assistant',
      content: 'Adding.',
      toolCalls: [
        { id: 'c1', name: 'everything-get-sum', arguments: { a: 1, b: 2 } },
        { id: 'c2', name: 'everything-get-sum', arguments: { a: 3, b: 4 } },
      ],
    });
  });

  it('turns a 429 into a retryable failure that waits as long as retry-after says', async () => {
    const model = uniqueModel();
    provider.script(model, [{ status: 429, message: 'Rate limited', headers: { 'retry-after': '2' } }]);

    const failure = await failureOf(generate(request(providerName, model)));

    expect(failure.type).toBe(FailureTypes.ProviderUnavailable);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(2000);
    expect(provider.requests(model)).toHaveLength(1);
  });

  it('turns a 500 into a retryable failure, without retrying inside the SDK', async () => {
    const model = uniqueModel();
    provider.script(model, [{ status: 500, message: 'Internal trouble' }]);

    const failure = await failureOf(generate(request(providerName, model)));

    expect(failure.type).toBe(FailureTypes.ProviderUnavailable);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toBe(`${providerName} 500: Internal trouble`);
    expect(provider.requests(model)).toHaveLength(1);
  });

  it('turns a 400 into a non-retryable failure that quotes the provider', async () => {
    const model = uniqueModel();
    provider.script(model, [{ status: 400, message: 'max_tokens: must be at least 1' }]);

    const failure = await failureOf(generate(request(providerName, model)));

    expect(failure.type).toBe(FailureTypes.ProviderRequestRejected);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(`${providerName} 400: max_tokens: must be at least 1`);
  });

  it('fails for good, naming the variable to set, when there is no API key', async () => {
    const model = uniqueModel();
    const variable = providerName === 'anthropic' ? 'ANTHROPIC_API_KEY' : 'OPENAI_API_KEY';

    const failure = await failureOf(generate(request(providerName, model), { ...deps, anthropic: {}, openai: { api_key: '' } }));

    expect(failure.type).toBe(FailureTypes.MissingApiKey);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(variable);
    expect(provider.requests(model)).toHaveLength(0);
  });

  it('heartbeats while the provider is thinking', async () => {
    const model = uniqueModel();
    provider.script(model, [{ text: 'never sent', delayMs: 60_000 }]);
    const env = activityEnvironment();
    const heartbeat = once(env, 'heartbeat');
    const run = env.run(createLlmActivities(deps).llmGenerate, request(providerName, model));
    const settled = run.catch(() => undefined);

    await heartbeat;
    expect(provider.requests(model)).toHaveLength(1);

    env.cancel();
    await settled;
  });

  it('aborts the HTTP request when the activity is cancelled', async () => {
    const model = uniqueModel();
    provider.script(model, [{ text: 'never sent', delayMs: 60_000 }]);
    const env = activityEnvironment();
    const run = env.run(createLlmActivities(deps).llmGenerate, request(providerName, model));
    const outcome = run.then(
      () => undefined,
      (error: unknown) => error,
    );

    const received = await provider.waitForRequest(model);
    env.cancel();

    expect(await outcome).toBeInstanceOf(CancelledFailure);
    await expect(received.settled).resolves.toBe('disconnected');
  });
});

describe('llmGenerate with an OpenAI-compatible server', () => {
  it('needs no API key when a base URL is configured', async () => {
    const model = uniqueModel();
    provider.script(model, [{ text: 'Hi from a local model.' }]);

    const response = await generate(request('openai', model), { ...deps, anthropic: undefined, openai: { base_url: provider.openaiBaseUrl } });

    expect(response.message.content).toBe('Hi from a local model.');
    expect(provider.requests(model)[0].headers.authorization).toBe('Bearer unused');
  });

  it('fails at once, without retries, when a test forgot to script a reply', async () => {
    const model = uniqueModel();

    const failure = await failureOf(generate(request('openai', model)));

    expect(failure.message).toBe(`openai 400: no scripted reply left for model ${model}: add one with env.model.script('${model}', [...])`);
    expect(failure.type).toBe(FailureTypes.ProviderRequestRejected);
    expect(failure.nonRetryable).toBe(true);
  });

  it('reports an unreachable server as retryable', async () => {
    const closed = await startScriptedProvider();
    await closed.close();

    const failure = await failureOf(generate(request('openai', uniqueModel()), { ...deps, anthropic: undefined, openai: { base_url: closed.openaiBaseUrl } }));

    expect(failure.type).toBe(FailureTypes.ProviderUnavailable);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toMatch(/^openai unreachable: .*ECONNREFUSED/);
  });
});
