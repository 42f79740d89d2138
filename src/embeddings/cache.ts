import type { EmbedInput } from '../../activities/contracts';

/** What besides the text decides a vector: the same text embeds differently per model and purpose. */
export type EmbeddingScope = Pick<EmbedInput, 'provider' | 'model' | 'purpose'>;

/**
 * Vectors a worker process already fetched, so route and intent descriptions are embedded once per
 * worker rather than on every run. Least recently used entries go first once the cache is full.
 */
export class EmbeddingCache {
  /** A Map iterates in insertion order, so re-inserting on every hit keeps the oldest use first. */
  private readonly entries = new Map<string, number[]>();

  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`an embedding cache holds at least one entry, not ${maxEntries}`);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get(scope: EmbeddingScope, text: string): number[] | undefined {
    const key = cacheKey(scope, text);
    const vector = this.entries.get(key);
    if (vector) {
      this.entries.delete(key);
      this.entries.set(key, vector);
    }
    return vector;
  }

  set(scope: EmbeddingScope, text: string, vector: number[]): void {
    const key = cacheKey(scope, text);
    this.entries.delete(key);
    this.entries.set(key, vector);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}

function cacheKey({ provider, model, purpose }: EmbeddingScope, text: string): string {
  return JSON.stringify([provider, model, purpose, text]);
}
