import { ApplicationFailure } from '@temporalio/common';
import { type EmbedInput } from '../../activities/contracts';
import { FailureTypes } from '../failure-types';
import { PROVIDER_REQUEST_TIMEOUT_MS, type ProviderSettings } from '../llm/clients';
import { isRetryableStatus, retryDelayMs, type HeaderLookup } from '../llm/errors';
import { isRecord } from '../llm/records';
import { checkedVectors, malformedReply } from './vectors';

/**
 * Cohere's v2 embed API over plain fetch: `POST {base_url}/v2/embed`, bearer key. Failures are
 * classified as for the LLM providers: 408, 409, 429, 5xx and lost connections are retryable,
 * after the delay the response asks for; any other status is not.
 */

export const COHERE_API_URL = 'https://api.cohere.com';

/** Cohere's limit of texts per request. */
export const COHERE_EMBEDDING_BATCH_SIZE = 96;

const MAX_MESSAGE_LENGTH = 500;

export interface CohereEmbedRequest {
  model: string;
  texts: string[];
  input_type: 'search_query' | 'search_document';
  embedding_types: ['float'];
}

export function cohereEmbedRequest(model: string, texts: string[], purpose: EmbedInput['purpose']): CohereEmbedRequest {
  return {
    model,
    texts,
    input_type: purpose === 'query' ? 'search_query' : 'search_document',
    embedding_types: ['float'],
  };
}

/** Where requests go and with which key. A base URL of one's own, such as a gateway, may need no key. */
export function cohereEndpoint(settings: ProviderSettings): { url: string; apiKey?: string } {
  const baseUrl = nonEmpty(settings.base_url);
  const apiKey = nonEmpty(settings.api_key);
  if (!apiKey && !baseUrl) {
    throw ApplicationFailure.create({
      type: FailureTypes.MissingApiKey,
      message: 'No Cohere API key: set COHERE_API_KEY (or cohere.api_key in the config file)',
      nonRetryable: true,
    });
  }
  return { url: `${(baseUrl ?? COHERE_API_URL).replace(/\/+$/, '')}/v2/embed`, apiKey };
}

/** One request's vectors, in the order of `texts`. Throws Temporal failures, or the abort when `signal` fired. */
export async function cohereEmbeddings(
  settings: ProviderSettings,
  model: string,
  texts: string[],
  purpose: EmbedInput['purpose'],
  signal: AbortSignal,
): Promise<number[][]> {
  const { url, apiKey } = cohereEndpoint(settings);
  const timeout = AbortSignal.timeout(PROVIDER_REQUEST_TIMEOUT_MS);
  let body: unknown;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
      },
      body: JSON.stringify(cohereEmbedRequest(model, texts, purpose)),
      signal: AbortSignal.any([signal, timeout]),
    });
    const text = await response.text();
    if (!response.ok) throw cohereStatusFailure(response.status, text, response.headers);
    body = JSON.parse(text);
  } catch (error) {
    if (signal.aborted || error instanceof ApplicationFailure) throw error;
    if (timeout.aborted) throw unavailable('cohere request timed out', null);
    if (error instanceof SyntaxError) throw malformedReply('cohere', 'not JSON');
    throw unavailable(`cohere unreachable: ${describeError(error)}`, null);
  }
  const embeddings = isRecord(body) && isRecord(body.embeddings) ? body.embeddings.float : undefined;
  return checkedVectors('cohere', embeddings, texts.length);
}

/** The failure for a non-2xx answer. Cohere's error body is `{id?, message}`. */
export function cohereStatusFailure(status: number, body: string, headers: HeaderLookup, now = Date.now()): ApplicationFailure {
  const parsed = parseJson(body);
  const requestId = isRecord(parsed) && typeof parsed.id === 'string' ? parsed.id : null;
  const message = `cohere ${status}: ${truncated(errorMessage(parsed) ?? (body.trim() || 'no message'))}`;
  if (isRetryableStatus(status)) return unavailable(message, status, requestId, retryDelayMs(headers, now));
  return ApplicationFailure.create({
    type: FailureTypes.ProviderRequestRejected,
    message,
    nonRetryable: true,
    details: [{ provider: 'cohere', status, requestId }],
  });
}

function unavailable(message: string, status: number | null, requestId: string | null = null, nextRetryDelay?: number): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureTypes.ProviderUnavailable,
    message,
    nonRetryable: false,
    nextRetryDelay,
    details: [{ provider: 'cohere', status, requestId }],
  });
}

function errorMessage(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  if (typeof body.message === 'string' && body.message) return body.message;
  if (typeof body.error === 'string' && body.error) return body.error;
  return undefined;
}

/**
 * fetch's `fetch failed` alone does not say what failed: add the causes below it. Read by shape,
 * not `instanceof Error`: fetch raises them from another realm under jest.
 */
function describeError(error: unknown): string {
  const messages: string[] = [];
  for (let cause = error; isRecord(cause) && messages.length < 5; cause = cause.cause) {
    if (typeof cause.message === 'string' && cause.message) messages.push(cause.message);
  }
  return messages.join(': ') || String(error);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function truncated(message: string): string {
  return message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH)}…` : message;
}

function nonEmpty(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
