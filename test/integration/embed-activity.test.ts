import { once } from 'node:events';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { type EmbedInput, type EmbedResult } from '../../activities/contracts';
import { FailureTypes } from '../../src/failure-types';
import { createEmbedActivities, type EmbedActivityDeps } from '../../activities/embed';
import { rankBySimilarity } from '../../src/patterns/similarity';
import { fakeEmbedding } from '../../src/testing/scripted-embeddings';
import { startScriptedProvider, type ScriptedProvider } from '../../src/testing/scripted-model';

/**
 * The real activity, in a real activity context, through the real OpenAI SDK and real fetch,
 * against a scripted provider over HTTP.
 */

type Embed = ReturnType<typeof createEmbedActivities>['embed'];

let provider: ScriptedProvider;
let deps: EmbedActivityDeps;
let modelCount = 0;

beforeAll(async () => {
  provider = await startScriptedProvider();
  deps = {
    openai: { api_key: 'test-openai-key', base_url: provider.openaiBaseUrl, embedding_model: 'configured-openai-model' },
    cohere: { api_key: 'test-cohere-key', base_url: provider.cohereBaseUrl, embedding_model: 'configured-cohere-model' },
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
  return `scripted-embedding-model-${modelCount}`;
}

/** A fresh activity, so a fresh cache: the same activity across calls is what a worker process has. */
function freshEmbed(withDeps: EmbedActivityDeps = deps): Embed {
  return createEmbedActivities(withDeps).embed;
}

function run(embed: Embed, input: EmbedInput): Promise<EmbedResult> {
  return activityEnvironment().run(embed, input);
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  if (!(error instanceof ApplicationFailure)) throw new Error(`expected an ApplicationFailure, got ${String(error)}`);
  return error;
}

function numbered(count: number, prefix = 'text'): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix} ${index}`);
}

describe.each(['openai', 'cohere'] as const)('embed with %s', (providerName) => {
  const batchSize = providerName === 'openai' ? 256 : 96;

  function input(model: string, texts: string[], purpose: EmbedInput['purpose'] = 'document'): EmbedInput {
    return { provider: providerName, model, texts, purpose };
  }

  it('returns one vector per text in order, having sent the provider’s own wire format', async () => {
    const model = uniqueModel();
    const texts = ['Billing and refunds', 'Technical support'];

    const result = await run(freshEmbed(), input(model, texts, 'query'));

    expect(result.vectors).toEqual(texts.map(fakeEmbedding));
    const [sent] = provider.embeddings.requests(model);
    expect(sent.provider).toBe(providerName);
    if (providerName === 'openai') {
      expect(sent.body).toEqual({ model, input: texts, encoding_format: 'float' });
      expect(sent.headers.authorization).toBe('Bearer test-openai-key');
    } else {
      expect(sent.body).toEqual({ model, texts, input_type: 'search_query', embedding_types: ['float'] });
      expect(sent.headers.authorization).toBe('Bearer test-cohere-key');
    }
  });

  it('gives vectors that rank the description sharing the query’s words first', async () => {
    const model = uniqueModel();
    const embed = freshEmbed();
    const descriptions = { billing: 'Questions about invoices and refunds', weather: 'Forecasts for a city' };

    const routes = await run(embed, input(model, Object.values(descriptions)));
    const [query] = (await run(embed, input(model, ['How long do refunds take?'], 'query'))).vectors;

    const ranked = rankBySimilarity(
      query,
      Object.keys(descriptions).map((name, index) => ({ name, vector: routes.vectors[index] })),
      { topK: 1 },
    );
    expect(ranked.map((match) => match.name)).toEqual(['billing']);
  });

  it('splits many texts into requests the provider accepts', async () => {
    const model = uniqueModel();
    const texts = numbered(batchSize + 44);

    const result = await run(freshEmbed(), input(model, texts));

    expect(result.vectors).toEqual(texts.map(fakeEmbedding));
    expect(provider.embeddings.requests(model).map((request) => request.texts)).toEqual([
      texts.slice(0, batchSize),
      texts.slice(batchSize),
    ]);
  });

  it('sends nothing for texts this worker embedded before', async () => {
    const model = uniqueModel();
    const embed = freshEmbed();
    const texts = ['Orders and shipping', 'Account security'];
    const first = await run(embed, input(model, texts));

    const second = await run(embed, input(model, [...texts].reverse()));

    expect(second.vectors).toEqual([first.vectors[1], first.vectors[0]]);
    expect(provider.embeddings.requests(model)).toHaveLength(1);
  });

  it('sends only the texts not cached, each once', async () => {
    const model = uniqueModel();
    const embed = freshEmbed();
    await run(embed, input(model, ['Orders and shipping', 'Account security']));

    const result = await run(embed, input(model, ['Account security', 'Gift cards', 'Gift cards', 'Orders and shipping']));

    expect(result.vectors).toEqual(['Account security', 'Gift cards', 'Gift cards', 'Orders and shipping'].map(fakeEmbedding));
    expect(provider.embeddings.requests(model).map((request) => request.texts)).toEqual([
      ['Orders and shipping', 'Account security'],
      ['Gift cards'],
    ]);
  });

  it('embeds a text again for another purpose', async () => {
    const model = uniqueModel();
    const embed = freshEmbed();
    await run(embed, input(model, ['Gift cards'], 'document'));

    await run(embed, input(model, ['Gift cards'], 'query'));

    expect(provider.embeddings.requests(model)).toHaveLength(2);
  });

  it('keeps the batches that arrived, so a retry sends only what is still missing', async () => {
    const model = uniqueModel();
    const embed = freshEmbed();
    const texts = numbered(batchSize + 10);
    provider.embeddings.script(model, [{}, { status: 503, message: 'Overloaded' }]);

    const failure = await failureOf(run(embed, input(model, texts)));
    const retried = await run(embed, input(model, texts));

    expect(failure.nonRetryable).toBe(false);
    expect(retried.vectors).toEqual(texts.map(fakeEmbedding));
    expect(provider.embeddings.requests(model).map((request) => request.texts.length)).toEqual([batchSize, 10, 10]);
  });

  it('uses the configured embedding model when the input names none', async () => {
    const configured = providerName === 'openai' ? deps.openai.embedding_model : deps.cohere.embedding_model;
    const before = provider.embeddings.requests(configured).length;

    await run(freshEmbed(), input('', ['Which model embeds this?']));

    expect(provider.embeddings.requests(configured)).toHaveLength(before + 1);
  });

  it('sends nothing for no texts', async () => {
    const model = uniqueModel();

    expect(await run(freshEmbed(), input(model, []))).toEqual({ vectors: [] });
    expect(provider.embeddings.requests(model)).toHaveLength(0);
  });

  it('turns a 429 into a retryable failure that waits as long as retry-after says', async () => {
    const model = uniqueModel();
    provider.embeddings.script(model, [{ status: 429, message: 'Rate limited', headers: { 'retry-after': '2' } }]);

    const failure = await failureOf(run(freshEmbed(), input(model, ['Rate me'])));

    expect(failure.type).toBe(FailureTypes.ProviderUnavailable);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(2000);
    expect(failure.message).toBe(`${providerName} 429: Rate limited`);
    expect(provider.embeddings.requests(model)).toHaveLength(1);
  });

  it('turns a 401 into a non-retryable failure that quotes the provider', async () => {
    const model = uniqueModel();
    provider.embeddings.script(model, [{ status: 401, message: 'invalid api token' }]);

    const failure = await failureOf(run(freshEmbed(), input(model, ['Let me in'])));

    expect(failure.type).toBe(FailureTypes.ProviderRequestRejected);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(`${providerName} 401: invalid api token`);
  });

  it('fails for good, naming the variable to set, when there is no API key', async () => {
    const model = uniqueModel();
    const variable = providerName === 'openai' ? 'OPENAI_API_KEY' : 'COHERE_API_KEY';
    const withoutKeys: EmbedActivityDeps = {
      openai: { api_key: '', embedding_model: 'unused' },
      cohere: { embedding_model: 'unused' },
    };

    const failure = await failureOf(run(freshEmbed(withoutKeys), input(model, ['No key'])));

    expect(failure.type).toBe(FailureTypes.MissingApiKey);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(variable);
    expect(provider.embeddings.requests(model)).toHaveLength(0);
  });

  it('refuses a reply with fewer vectors than texts, without retrying', async () => {
    const model = uniqueModel();
    const short =
      providerName === 'openai'
        ? { object: 'list', data: [{ object: 'embedding', index: 0, embedding: [1, 0] }], model, usage: { prompt_tokens: 1, total_tokens: 1 } }
        : { id: 'e1', embeddings: { float: [[1, 0]] }, texts: ['one'], meta: {} };
    provider.embeddings.script(model, [{ body: short }]);

    const failure = await failureOf(run(freshEmbed(), input(model, ['one', 'two'])));

    expect(failure.type).toBe(FailureTypes.ProviderReplyMalformed);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(`${providerName} embeddings reply unusable: 1 embeddings for 2 texts`);
  });

  it('heartbeats while waiting, and a cancellation aborts the HTTP request', async () => {
    const model = uniqueModel();
    provider.embeddings.script(model, [{ delayMs: 60_000 }]);
    const env = activityEnvironment();
    const heartbeat = once(env, 'heartbeat');
    const outcome = env.run(freshEmbed(), input(model, ['Slow'])).then(
      () => undefined,
      (error: unknown) => error,
    );

    const received = await provider.embeddings.waitForRequest(model);
    await heartbeat;
    env.cancel();

    expect(await outcome).toBeInstanceOf(CancelledFailure);
    await expect(received.settled).resolves.toBe('disconnected');
  });

  it('reports an unreachable server as retryable', async () => {
    const closed = await startScriptedProvider();
    await closed.close();
    const unreachable: EmbedActivityDeps = {
      openai: { ...deps.openai, base_url: closed.openaiBaseUrl },
      cohere: { ...deps.cohere, base_url: closed.cohereBaseUrl },
    };

    const failure = await failureOf(run(freshEmbed(unreachable), input(uniqueModel(), ['Anyone there?'])));

    expect(failure.type).toBe(FailureTypes.ProviderUnavailable);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toMatch(new RegExp(`^${providerName} unreachable: .*ECONNREFUSED`));
  });
});

describe('embed with an OpenAI-compatible server', () => {
  it('needs no API key when a base URL is configured', async () => {
    const model = uniqueModel();
    const keyless: EmbedActivityDeps = { ...deps, openai: { base_url: provider.openaiBaseUrl, embedding_model: 'unused' } };

    const result = await run(freshEmbed(keyless), { provider: 'openai', model, texts: ['Local model'], purpose: 'query' });

    expect(result.vectors).toEqual([fakeEmbedding('Local model')]);
    expect(provider.embeddings.requests(model)[0].headers.authorization).toBe('Bearer unused');
  });
});

describe('embed with a Cohere-compatible gateway', () => {
  it('sends no key when a base URL is configured without one', async () => {
    const model = uniqueModel();
    const keyless: EmbedActivityDeps = { ...deps, cohere: { base_url: provider.cohereBaseUrl, embedding_model: 'unused' } };

    await run(freshEmbed(keyless), { provider: 'cohere', model, texts: ['Gateway'], purpose: 'document' });

    expect(provider.embeddings.requests(model)[0].headers.authorization).toBeUndefined();
  });
});
