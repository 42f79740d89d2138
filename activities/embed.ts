import { Context } from '@temporalio/activity';
import type { ProviderSettings } from '../src/llm/clients';
import { inBatches } from '../src/embeddings/batches';
import { EmbeddingCache, type EmbeddingScope } from '../src/embeddings/cache';
import { COHERE_EMBEDDING_BATCH_SIZE, cohereEmbeddings } from '../src/embeddings/cohere';
import { OPENAI_EMBEDDING_BATCH_SIZE, openAiEmbeddings } from '../src/embeddings/openai';
import type { EmbedInput, EmbedResult } from './contracts';

/** The config file's `openai:` and `cohere:` sections, passed as they are. */
export interface EmbedActivityDeps {
  openai: ProviderSettings & { embedding_model: string };
  cohere: ProviderSettings & { embedding_model: string };
}

/**
 * Room for every route and intent description a worker serves, plus recent queries, while staying
 * near 25 MB at 1,536 dimensions (a vector is 8 bytes a number). Queries rarely repeat; the
 * descriptions they are matched against are used on every run, so they stay.
 */
export const EMBEDDING_CACHE_ENTRIES = 2048;

/** As for model calls: a dead worker is noticed within any sensible heartbeat timeout. */
const HEARTBEAT_INTERVAL_MS = 1000;

export function createEmbedActivities(deps: EmbedActivityDeps) {
  const cache = new EmbeddingCache(EMBEDDING_CACHE_ENTRIES);
  return {
    /**
     * Vectors for `texts`, in order. Only texts this worker has not embedded before go to the
     * provider, in batches it accepts; each batch is cached as it arrives, so a retry after a
     * failed batch sends only what is still missing.
     */
    async embed(input: EmbedInput): Promise<EmbedResult> {
      const scope: EmbeddingScope = {
        provider: input.provider,
        model: input.model || deps[input.provider].embedding_model,
        purpose: input.purpose,
      };
      const found = new Map<string, number[]>();
      for (const text of input.texts) {
        const vector = cache.get(scope, text);
        if (vector) found.set(text, vector);
      }
      const missing = [...new Set(input.texts.filter((text) => !found.has(text)))];
      if (missing.length > 0) await fetchInto(found, scope, missing);
      return { vectors: input.texts.map((text) => found.get(text) as number[]) };
    },
  };

  async function fetchInto(found: Map<string, number[]>, scope: EmbeddingScope, texts: string[]): Promise<void> {
    const context = Context.current();
    const signal = context.cancellationSignal;
    const heartbeat = setInterval(() => context.heartbeat(), HEARTBEAT_INTERVAL_MS);
    try {
      for (const batch of inBatches(texts, batchSize(scope.provider))) {
        const vectors = await request(scope, batch, signal);
        batch.forEach((text, index) => {
          found.set(text, vectors[index]);
          cache.set(scope, text, vectors[index]);
        });
      }
    } catch (error) {
      // The SDK and fetch report an abort as their own error; Temporal expects the cancellation back.
      if (signal.aborted) throw signal.reason;
      throw error;
    } finally {
      clearInterval(heartbeat);
    }
  }

  async function request(scope: EmbeddingScope, texts: string[], signal: AbortSignal): Promise<number[][]> {
    switch (scope.provider) {
      case 'openai':
        return openAiEmbeddings(deps.openai, scope.model, texts, signal);
      case 'cohere':
        return cohereEmbeddings(deps.cohere, scope.model, texts, scope.purpose, signal);
    }
  }
}

function batchSize(provider: EmbedInput['provider']): number {
  return provider === 'openai' ? OPENAI_EMBEDDING_BATCH_SIZE : COHERE_EMBEDDING_BATCH_SIZE;
}
