import * as AnthropicSdk from '@anthropic-ai/sdk';
import * as OpenAiSdk from 'openai';
import { ApplicationFailure } from '@temporalio/common';
import { FailureTypes } from '../../src/failure-types';
import { isRetryableStatus, providerFailure, retryDelayMs } from '../../src/llm/errors';

const NOW = Date.parse('2026-01-01T00:00:00Z');

function openAiError(status: number, message: string, headers: Record<string, string> = {}, code: string | null = null) {
  return OpenAiSdk.APIError.generate(
    status,
    { error: { message, type: 'invalid_request_error', param: null, code } },
    undefined,
    new Headers(headers),
  );
}

function anthropicError(status: number, message: string, headers: Record<string, string> = {}) {
  return AnthropicSdk.APIError.generate(
    status,
    { type: 'error', error: { type: 'invalid_request_error', message } },
    undefined,
    new Headers(headers),
  );
}

function classify(provider: 'anthropic' | 'openai', error: unknown): ApplicationFailure {
  const failure = providerFailure(provider, error, NOW);
  if (!failure) throw new Error('expected a provider failure');
  return failure;
}

describe('isRetryableStatus', () => {
  it.each([
    [400, false],
    [401, false],
    [402, false],
    [403, false],
    [404, false],
    [408, true],
    [409, true],
    [413, false],
    [422, false],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [529, true],
  ])('status %i → retryable %s', (status, retryable) => {
    expect(isRetryableStatus(status)).toBe(retryable);
  });
});

describe('providerFailure', () => {
  it.each([
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [422, false],
    [408, true],
    [409, true],
    [429, true],
    [500, true],
    [503, true],
  ])('classifies both providers’ %i the same way (retryable %s)', (status, retryable) => {
    for (const [provider, error] of [
      ['openai', openAiError(status, 'boom')],
      ['anthropic', anthropicError(status, 'boom')],
    ] as const) {
      const failure = classify(provider, error);
      expect(failure.nonRetryable).toBe(!retryable);
      expect(failure.type).toBe(retryable ? FailureTypes.ProviderUnavailable : FailureTypes.ProviderRequestRejected);
      expect(failure.message).toBe(`${provider} ${status}: boom`);
    }
  });

  it('says what OpenAI objected to, without SDK noise', () => {
    const failure = classify('openai', openAiError(400, "Invalid value for 'model': unknown-model"));
    expect(failure.message).toBe("openai 400: Invalid value for 'model': unknown-model");
    expect(failure.details).toEqual([{ provider: 'openai', status: 400, requestId: null }]);
  });

  it('says what Anthropic objected to, reading its nested error body', () => {
    const failure = classify('anthropic', anthropicError(401, 'invalid x-api-key', { 'request-id': 'req_1' }));
    expect(failure.message).toBe('anthropic 401: invalid x-api-key');
    expect(failure.details).toEqual([{ provider: 'anthropic', status: 401, requestId: 'req_1' }]);
  });

  it('reads a compatible server’s plain-string error', () => {
    const error = OpenAiSdk.APIError.generate(404, { error: 'model "llama9" not found' }, undefined, new Headers());
    expect(classify('openai', error).message).toBe('openai 404: model "llama9" not found');
  });

  it('falls back to the response text when the body is not JSON', () => {
    const error = OpenAiSdk.APIError.generate(502, undefined, '<html>Bad Gateway</html>', new Headers());
    const failure = classify('openai', error);
    expect(failure.message).toBe('openai 502: <html>Bad Gateway</html>');
    expect(failure.nonRetryable).toBe(false);
  });

  it('does not retry a 429 for an exhausted quota', () => {
    const failure = classify('openai', openAiError(429, 'You exceeded your current quota', {}, 'insufficient_quota'));
    expect(failure.nonRetryable).toBe(true);
    expect(failure.type).toBe(FailureTypes.ProviderRequestRejected);
  });

  it('waits as long as retry-after says', () => {
    expect(classify('anthropic', anthropicError(429, 'slow down', { 'retry-after': '2' })).nextRetryDelay).toBe(2000);
    expect(classify('openai', openAiError(429, 'slow down', { 'retry-after': '2' })).nextRetryDelay).toBe(2000);
  });

  it('prefers retry-after-ms over retry-after', () => {
    const error = openAiError(429, 'slow down', { 'retry-after-ms': '1500', 'retry-after': '9' });
    expect(classify('openai', error).nextRetryDelay).toBe(1500);
  });

  it('leaves the delay to the retry policy when the provider names none', () => {
    expect(classify('openai', openAiError(500, 'oops')).nextRetryDelay).toBeUndefined();
  });

  it('never sets a delay on a rejected request', () => {
    expect(classify('openai', openAiError(400, 'bad', { 'retry-after': '5' })).nextRetryDelay).toBeUndefined();
  });

  it('retries a refused connection and names its cause', () => {
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:9');
    const error = new OpenAiSdk.APIConnectionError({ cause: new TypeError('fetch failed', { cause: refused }) });
    const failure = classify('openai', error);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.type).toBe(FailureTypes.ProviderUnavailable);
    expect(failure.message).toBe('openai unreachable: Connection error.: fetch failed: connect ECONNREFUSED 127.0.0.1:9');
  });

  it('retries a timed-out request', () => {
    const failure = classify('anthropic', new AnthropicSdk.APIConnectionTimeoutError());
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toBe('anthropic request timed out');
  });

  it('leaves errors that did not come from a provider alone', () => {
    expect(providerFailure('openai', new TypeError('a bug'), NOW)).toBeUndefined();
    expect(providerFailure('openai', ApplicationFailure.nonRetryable('x', 'MissingApiKey'), NOW)).toBeUndefined();
  });
});

describe('retryDelayMs', () => {
  const delay = (headers: Record<string, string>) => retryDelayMs(new Headers(headers), NOW);

  it.each([
    [{ 'retry-after': '2' }, 2000],
    [{ 'retry-after': '0.5' }, 500],
    [{ 'retry-after-ms': '250' }, 250],
    [{ 'retry-after-ms': '12.3' }, 13],
    [{ 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }, 30_000],
    [{ 'retry-after': 'Wed, 31 Dec 2025 23:59:00 GMT' }, undefined],
    [{ 'retry-after': '0' }, undefined],
    [{ 'retry-after': '-3' }, undefined],
    [{ 'retry-after': 'soon' }, undefined],
    [{ 'retry-after-ms': 'x', 'retry-after': '3' }, 3000],
    [{}, undefined],
  ])('%j → %s ms', (headers, expected) => {
    expect(delay(headers)).toBe(expected);
  });
});
