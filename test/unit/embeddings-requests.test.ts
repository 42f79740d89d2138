import { ApplicationFailure } from '@temporalio/common';
import { FailureTypes } from '../../src/failure-types';
import { inBatches } from '../../src/embeddings/batches';
import { cohereEmbedRequest, cohereEndpoint, cohereStatusFailure } from '../../src/embeddings/cohere';
import { checkedVectors } from '../../src/embeddings/vectors';

const NOW = Date.parse('2026-01-01T00:00:00Z');

function thrown(action: () => unknown): ApplicationFailure {
  try {
    action();
  } catch (error) {
    if (error instanceof ApplicationFailure) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('inBatches', () => {
  it('cuts items into consecutive runs of at most the size', () => {
    expect(inBatches([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(inBatches([1, 2], 2)).toEqual([[1, 2]]);
    expect(inBatches([], 2)).toEqual([]);
  });

  it('refuses a size that could hold nothing', () => {
    expect(() => inBatches([1], 0)).toThrow(RangeError);
  });
});

describe('cohereEmbedRequest', () => {
  it('asks for float vectors with the input type of the purpose', () => {
    expect(cohereEmbedRequest('embed-english-v3.0', ['where is my refund'], 'query')).toEqual({
      model: 'embed-english-v3.0',
      texts: ['where is my refund'],
      input_type: 'search_query',
      embedding_types: ['float'],
    });
    expect(cohereEmbedRequest('embed-english-v3.0', ['Refunds'], 'document').input_type).toBe('search_document');
  });
});

describe('cohereEndpoint', () => {
  it('uses the public API by default', () => {
    expect(cohereEndpoint({ api_key: 'k' })).toEqual({ url: 'https://api.cohere.com/v2/embed', apiKey: 'k' });
  });

  it('appends the route to a configured base URL, with or without a trailing slash', () => {
    expect(cohereEndpoint({ api_key: 'k', base_url: 'http://gateway:8080/cohere/' }).url).toBe(
      'http://gateway:8080/cohere/v2/embed',
    );
    expect(cohereEndpoint({ api_key: 'k', base_url: 'http://gateway:8080/cohere' }).url).toBe(
      'http://gateway:8080/cohere/v2/embed',
    );
  });

  it('needs no key for a base URL of one’s own', () => {
    expect(cohereEndpoint({ base_url: 'http://gateway:8080' })).toEqual({ url: 'http://gateway:8080/v2/embed', apiKey: undefined });
  });

  it('names the variable to set when there is no key for the public API', () => {
    const failure = thrown(() => cohereEndpoint({ api_key: '  ' }));

    expect(failure.type).toBe(FailureTypes.MissingApiKey);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe('No Cohere API key: set COHERE_API_KEY (or cohere.api_key in the config file)');
  });
});

describe('cohereStatusFailure', () => {
  it('retries 429 after the delay the response asks for, quoting Cohere’s message', () => {
    const failure = cohereStatusFailure(429, '{"id":"r1","message":"too many requests"}', new Headers({ 'retry-after': '3' }), NOW);

    expect(failure.type).toBe(FailureTypes.ProviderUnavailable);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(3000);
    expect(failure.message).toBe('cohere 429: too many requests');
    expect(failure.details).toEqual([{ provider: 'cohere', status: 429, requestId: 'r1' }]);
  });

  it.each([408, 409, 500, 503])('retries %i', (status) => {
    expect(cohereStatusFailure(status, '{}', new Headers(), NOW).nonRetryable).toBe(false);
  });

  it.each([400, 401, 403, 404, 422])('does not retry %i', (status) => {
    const failure = cohereStatusFailure(status, '{"message":"invalid api token"}', new Headers(), NOW);

    expect(failure.type).toBe(FailureTypes.ProviderRequestRejected);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(`cohere ${status}: invalid api token`);
  });

  it('quotes a body that is not JSON, shortened', () => {
    const failure = cohereStatusFailure(502, `<html>${'x'.repeat(600)}</html>`, new Headers(), NOW);

    expect(failure.message.startsWith('cohere 502: <html>xxx')).toBe(true);
    expect(failure.message.endsWith('…')).toBe(true);
    expect(failure.message.length).toBeLessThan(520);
  });
});

describe('checkedVectors', () => {
  it('passes one vector per text through', () => {
    expect(checkedVectors('openai', [[0.1, 0.2], [0.3, 0.4]], 2)).toEqual([[0.1, 0.2], [0.3, 0.4]]);
  });

  it.each([
    ['no embeddings', undefined, 'no embeddings in the reply'],
    ['too few embeddings', [[0.1]], '1 embeddings for 2 texts'],
    ['an embedding of strings', [[0.1], ['a']], 'embedding 1 is not a list of numbers'],
    ['an empty embedding', [[0.1], []], 'embedding 1 is not a list of numbers'],
  ])('refuses a reply with %s, without retrying', (_case, vectors, reason) => {
    const failure = thrown(() => checkedVectors('cohere', vectors, 2));

    expect(failure.type).toBe(FailureTypes.ProviderReplyMalformed);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(`cohere embeddings reply unusable: ${reason}`);
  });
});
