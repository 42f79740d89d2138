import {
  APIConnectionError as AnthropicConnectionError,
  APIConnectionTimeoutError as AnthropicTimeoutError,
  APIError as AnthropicApiError,
} from '@anthropic-ai/sdk';
import {
  APIConnectionError as OpenAiConnectionError,
  APIConnectionTimeoutError as OpenAiTimeoutError,
  APIError as OpenAiApiError,
} from 'openai';
import { ApplicationFailure } from '@temporalio/common';
import { FailureTypes } from '../failure-types';
import type { LlmRequest } from './messages';
import { isRecord } from './records';

/**
 * Provider SDK errors as Temporal failures. The SDKs do not retry (`maxRetries: 0`), so this
 * decides what Temporal retries: 408, 409, 429, 5xx and lost connections are worth another attempt,
 * after the delay the provider asks for; any other 4xx will fail the same way again.
 */

type Provider = LlmRequest['provider'];

const RETRYABLE_STATUSES = new Set([408, 409, 429]);
const MAX_MESSAGE_LENGTH = 500;

/** What this module needs of a response's headers; both SDKs hand over a fetch `Headers`. */
export interface HeaderLookup {
  get(name: string): string | null;
}

/** The failure for a provider SDK error, or undefined when the error did not come from the provider. */
export function providerFailure(provider: Provider, error: unknown, now = Date.now()): ApplicationFailure | undefined {
  if (error instanceof AnthropicTimeoutError || error instanceof OpenAiTimeoutError) {
    return unavailable(`${provider} request timed out`, connectionDetails(provider));
  }
  if (error instanceof AnthropicConnectionError || error instanceof OpenAiConnectionError) {
    return unavailable(`${provider} unreachable: ${describeConnectionError(error)}`, connectionDetails(provider));
  }
  if (!(error instanceof AnthropicApiError || error instanceof OpenAiApiError) || error.status === undefined) {
    return undefined;
  }
  const { status } = error;
  const message = `${provider} ${status}: ${providerMessage(error)}`;
  const details = [{ provider, status, requestId: error.requestID ?? null }];
  if (isRetryableStatus(status) && !isQuotaExhausted(error.error)) {
    return unavailable(message, details, error.headers && retryDelayMs(error.headers, now));
  }
  return ApplicationFailure.create({
    type: FailureTypes.ProviderRequestRejected,
    message,
    nonRetryable: true,
    details,
  });
}

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status) || status >= 500;
}

/**
 * The wait a response asks for: `retry-after-ms` (OpenAI's, milliseconds), else `retry-after` in
 * seconds or as an HTTP date. Undefined when absent or not in the future, so the retry policy decides.
 */
export function retryDelayMs(headers: HeaderLookup, now: number): number | undefined {
  const milliseconds = parseFloat(headers.get('retry-after-ms') ?? '');
  if (milliseconds > 0) return Math.ceil(milliseconds);
  const retryAfter = headers.get('retry-after')?.trim();
  if (!retryAfter) return undefined;
  const seconds = Number(retryAfter);
  if (!Number.isNaN(seconds)) return seconds > 0 ? Math.ceil(seconds * 1000) : undefined;
  const until = Date.parse(retryAfter) - now;
  return until > 0 ? until : undefined;
}

/**
 * The provider's own words. OpenAI's SDK keeps the body's `error` object, Anthropic's the whole
 * `{type: "error", error: {...}}` body; compatible servers may send `{error: "text"}`.
 */
function providerMessage(error: AnthropicApiError | OpenAiApiError): string {
  const message = bodyMessage(error.error) ?? error.message.replace(/^\d{3} /, '');
  return message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH)}…` : message;
}

function bodyMessage(body: unknown): string | undefined {
  if (typeof body === 'string') return body || undefined;
  if (!isRecord(body)) return undefined;
  if (typeof body.message === 'string') return body.message;
  if (typeof body.error === 'string') return body.error;
  if (isRecord(body.error) && typeof body.error.message === 'string') return body.error.message;
  return undefined;
}

/** OpenAI answers 429 for an exhausted quota too; waiting does not refill it. */
function isQuotaExhausted(body: unknown): boolean {
  return isRecord(body) && body.code === 'insufficient_quota';
}

/**
 * The SDK's words plus every cause below them: `fetch failed` alone does not say what failed.
 * Causes are read by shape, not `instanceof Error`: fetch raises them from another realm under jest.
 */
function describeConnectionError(error: Error): string {
  const messages = [error.message];
  for (let cause = error.cause; isRecord(cause) && messages.length < 5; cause = cause.cause) {
    if (typeof cause.message === 'string' && cause.message) messages.push(cause.message);
  }
  return messages.join(': ');
}

function connectionDetails(provider: Provider): unknown[] {
  return [{ provider, status: null, requestId: null }];
}

function unavailable(message: string, details: unknown[], nextRetryDelay?: number): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureTypes.ProviderUnavailable,
    message,
    nonRetryable: false,
    nextRetryDelay,
    details,
  });
}
