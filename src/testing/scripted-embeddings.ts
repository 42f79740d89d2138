import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { parseBody, readBody, RequestLog, sendJson, waitUnlessClosed } from './http-helpers';

/**
 * Deterministic fake embeddings, served in both providers' wire formats by the scripted provider,
 * so tests drive the real OpenAI SDK and real fetch. Texts sharing words get similar vectors.
 *
 *   OpenAI: POST {openaiBaseUrl}/embeddings  (/v1/embeddings)
 *   Cohere: POST {cohereBaseUrl}/v2/embed
 *
 * Every request succeeds with fake vectors unless a test scripted something else for its model.
 */

export type EmbeddingProviderName = 'openai' | 'cohere';

export const FAKE_EMBEDDING_DIMENSIONS = 64;

/** The providers' own limits of texts per request, enforced so batching is tested for real. */
const MAX_TEXTS: Record<EmbeddingProviderName, number> = { openai: 2048, cohere: 96 };

const ROUTES: Record<string, EmbeddingProviderName> = { '/v1/embeddings': 'openai', '/v2/embed': 'cohere' };

/**
 * One request's fate. With `status` of 400 or more: that error, in the provider's error format
 * unless `body` is given. Without: 200 with fake vectors, or `body` verbatim. `delayMs` comes first.
 */
export interface ScriptedEmbeddingStep {
  status?: number;
  message?: string;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
}

export interface RecordedEmbeddingRequest {
  provider: EmbeddingProviderName;
  model: string;
  texts: string[];
  body: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  /** How the exchange ended: a reply was written, or the client went away first. */
  settled: Promise<'replied' | 'disconnected'>;
}

export interface ScriptedEmbeddings {
  /** The model's next requests meet these steps, in order; requests after them get fake vectors. */
  script(model: string, steps: ScriptedEmbeddingStep[]): void;
  requests(model?: string): RecordedEmbeddingRequest[];
  /** Resolves with the n-th (1-based) request for the model once it has arrived. */
  waitForRequest(model: string, n?: number): Promise<RecordedEmbeddingRequest>;
}

export interface EmbeddingRoutes extends ScriptedEmbeddings {
  /** Answers the request when it is for an embeddings route; false when it is not. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

/** Bag of words hashed into a fixed number of dimensions, L2-normalised; all zeros for no words. */
export function fakeEmbedding(text: string): number[] {
  const vector = new Array<number>(FAKE_EMBEDDING_DIMENSIONS).fill(0);
  for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    vector[createHash('sha256').update(word).digest().readUInt32BE(0) % FAKE_EMBEDDING_DIMENSIONS] += 1;
  }
  const norm = Math.hypot(...vector);
  return norm === 0 ? vector : vector.map((x) => x / norm);
}

export function createEmbeddingRoutes(): EmbeddingRoutes {
  const steps = new Map<string, ScriptedEmbeddingStep[]>();
  const log = new RequestLog<RecordedEmbeddingRequest>();
  let sequence = 0;

  return {
    async handle(req, res) {
      const provider = req.method === 'POST' ? ROUTES[new URL(req.url ?? '/', 'http://x').pathname] : undefined;
      if (!provider) return false;
      const body = parseBody(await readBody(req));
      const model = typeof body.model === 'string' ? body.model : '';
      const texts = textsOf(provider, body);
      let settle: (outcome: 'replied' | 'disconnected') => void = () => undefined;
      const settled = new Promise<'replied' | 'disconnected'>((resolve) => (settle = resolve));
      res.on('close', () => settle(res.writableFinished ? 'replied' : 'disconnected'));
      log.record({ provider, model, texts, body, headers: req.headers, settled });

      const step = steps.get(model)?.shift() ?? {};
      if (step.delayMs && !(await waitUnlessClosed(step.delayMs, res))) return true;
      sequence += 1;
      if (step.status !== undefined && step.status >= 400) {
        const message = step.message ?? `scripted ${step.status}`;
        sendJson(res, step.status, step.body !== undefined ? step.body : errorBody(provider, message, sequence), step.headers);
        return true;
      }
      const problem = invalidRequest(provider, body, texts);
      if (problem) sendJson(res, 400, errorBody(provider, problem, sequence));
      else sendJson(res, step.status ?? 200, step.body !== undefined ? step.body : successBody(provider, model, body, texts, sequence), step.headers);
      return true;
    },
    script(model, more) {
      steps.set(model, [...(steps.get(model) ?? []), ...more]);
    },
    requests: (model) => log.requests(model),
    waitForRequest: (model, n) => log.waitForRequest(model, n),
  };
}

function textsOf(provider: EmbeddingProviderName, body: Record<string, unknown>): string[] {
  const texts = provider === 'openai' ? body.input : body.texts;
  if (typeof texts === 'string') return [texts];
  return Array.isArray(texts) ? texts.filter((text): text is string => typeof text === 'string') : [];
}

/** What the real API would refuse, so a request the activity builds wrongly fails the test. */
function invalidRequest(provider: EmbeddingProviderName, body: Record<string, unknown>, texts: string[]): string | undefined {
  if (!body.model) return 'model is required';
  if (texts.length === 0) return 'no texts to embed';
  if (texts.length > MAX_TEXTS[provider]) return `at most ${MAX_TEXTS[provider]} texts per request, got ${texts.length}`;
  if (provider === 'cohere' && body.input_type !== 'search_query' && body.input_type !== 'search_document') {
    return `unsupported input_type ${JSON.stringify(body.input_type)}`;
  }
  return undefined;
}

function successBody(
  provider: EmbeddingProviderName,
  model: string,
  body: Record<string, unknown>,
  texts: string[],
  sequence: number,
): unknown {
  const vectors = texts.map(fakeEmbedding);
  const tokens = texts.reduce((sum, text) => sum + (text.match(/\S+/g)?.length ?? 0), 0);
  if (provider === 'openai') {
    return {
      object: 'list',
      data: vectors.map((vector, index) => ({
        object: 'embedding',
        index,
        embedding: body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
      })),
      model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  }
  return {
    id: `embed-${sequence}`,
    embeddings: { float: vectors },
    texts,
    meta: { api_version: { version: '2' }, billed_units: { input_tokens: tokens } },
    response_type: 'embeddings_by_type',
  };
}

function errorBody(provider: EmbeddingProviderName, message: string, sequence: number): unknown {
  return provider === 'openai'
    ? { error: { message, type: 'invalid_request_error', param: null, code: null } }
    : { id: `embed-error-${sequence}`, message };
}
