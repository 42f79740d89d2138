import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { ApplicationFailure } from '@temporalio/common';
import { Agent, fetch as undiciFetch } from 'undici';
import { FailureTypes } from '../failure-types';
import type { TokenLimitField } from './openai';

/**
 * Provider SDK clients, one per (provider, key, base URL) per worker process so connections are
 * reused across activities. The SDKs never retry: Temporal does, with the policy the workflow set.
 */

/** A provider's section of the config file (`anthropic:` / `openai:`); other keys are ignored. */
export interface ProviderSettings {
  api_key?: string | null;
  base_url?: string | null;
  /** false: calls never stream, even with a delta publisher (a server that cannot). */
  stream?: boolean;
}

/**
 * A backstop only: each call passes its own timeout (from its activity's, which the agent's
 * `llm_calls` sets). Generous because local models can take minutes for one long answer.
 */
export const PROVIDER_REQUEST_TIMEOUT_MS = 10 * 60 * 1000;

/**
 * Node's fetch gives up after 300 s without response headers (or between body chunks), whatever
 * timeout the SDK was given: a configured 10-minute call would be cut at 5. These connections have
 * no timeouts of their own; the request's timeout and the activity's cancellation bound them.
 */
const dispatcher = new Agent({ headersTimeout: 0, bodyTimeout: 0 });
const providerFetch = (async (url: string, init?: Record<string, unknown>) => {
  try {
    return await undiciFetch(url, { ...init, dispatcher });
  } catch (error) {
    throw ownRealmError(error);
  }
}) as unknown as typeof fetch;

/**
 * An SDK tells a timeout by `instanceof Error` and the name AbortError; an error made in another
 * realm (a VM context such as a test runner's) fails the first test and the timeout reads as a
 * bare connection error. Rebuilt here, it keeps its name, message and cause.
 */
function ownRealmError(error: unknown): unknown {
  if (error instanceof Error || typeof error !== 'object' || error === null) return error;
  const { name, message, cause } = error as { name?: unknown; message?: unknown; cause?: unknown };
  return Object.assign(new Error(String(message ?? name ?? 'fetch failed'), { cause }), { name: String(name ?? 'Error') });
}
const transport = { fetch: providerFetch, maxRetries: 0, timeout: PROVIDER_REQUEST_TIMEOUT_MS };

/** OpenAI-compatible servers such as Ollama take no key, but the SDK insists on one. */
const PLACEHOLDER_API_KEY = 'unused';

const OPENAI_API_URL = /^https?:\/\/api\.openai\.com(\/|$)/i;

const clients = new Map<string, Anthropic | OpenAI>();

export function anthropicClient(settings: ProviderSettings = {}): Anthropic {
  const apiKey = nonEmpty(settings.api_key);
  if (!apiKey) throw missingApiKey('Anthropic', 'ANTHROPIC_API_KEY', 'anthropic');
  const baseURL = nonEmpty(settings.base_url);
  return cached(['anthropic', apiKey, baseURL], () =>
    new Anthropic({ apiKey, baseURL, ...transport }),
  );
}

export function openAiClient(settings: ProviderSettings = {}): OpenAI {
  const baseURL = nonEmpty(settings.base_url);
  const apiKey = nonEmpty(settings.api_key) ?? (baseURL ? PLACEHOLDER_API_KEY : undefined);
  if (!apiKey) throw missingApiKey('OpenAI', 'OPENAI_API_KEY', 'openai');
  return cached(['openai', apiKey, baseURL], () =>
    new OpenAI({ apiKey, baseURL, ...transport }),
  );
}

/** OpenAI itself wants `max_completion_tokens`; compatible servers behind a base URL know `max_tokens`. */
export function openAiTokenLimitField(settings: ProviderSettings = {}): TokenLimitField {
  const baseURL = nonEmpty(settings.base_url);
  return !baseURL || OPENAI_API_URL.test(baseURL) ? 'max_completion_tokens' : 'max_tokens';
}

function cached<C extends Anthropic | OpenAI>(key: [string, string, string | undefined], create: () => C): C {
  const id = JSON.stringify(key);
  const existing = clients.get(id);
  if (existing) return existing as C;
  const client = create();
  clients.set(id, client);
  return client;
}

function missingApiKey(label: string, variable: string, section: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureTypes.MissingApiKey,
    message: `No ${label} API key: set ${variable} (or ${section}.api_key in the config file)`,
    nonRetryable: true,
  });
}

function nonEmpty(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
