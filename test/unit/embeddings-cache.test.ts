import { EmbeddingCache, type EmbeddingScope } from '../../src/embeddings/cache';

const SCOPE: EmbeddingScope = { provider: 'openai', model: 'text-embedding-3-small', purpose: 'document' };

describe('EmbeddingCache', () => {
  it('returns what was stored for the same scope and text', () => {
    const cache = new EmbeddingCache(10);
    cache.set(SCOPE, 'billing questions', [1, 0]);

    expect(cache.get(SCOPE, 'billing questions')).toEqual([1, 0]);
    expect(cache.get(SCOPE, 'Billing questions')).toBeUndefined();
  });

  it('keeps providers, models and purposes apart', () => {
    const cache = new EmbeddingCache(10);
    cache.set(SCOPE, 'refunds', [1, 0]);

    expect(cache.get({ ...SCOPE, provider: 'cohere' }, 'refunds')).toBeUndefined();
    expect(cache.get({ ...SCOPE, model: 'text-embedding-3-large' }, 'refunds')).toBeUndefined();
    expect(cache.get({ ...SCOPE, purpose: 'query' }, 'refunds')).toBeUndefined();
  });

  it('does not confuse texts that would collide if the key were joined naively', () => {
    const cache = new EmbeddingCache(10);
    cache.set({ ...SCOPE, model: 'a' }, 'b|c', [1]);

    expect(cache.get({ ...SCOPE, model: 'a|b' }, 'c')).toBeUndefined();
  });

  it('drops the least recently used entry once full', () => {
    const cache = new EmbeddingCache(2);
    cache.set(SCOPE, 'first', [1]);
    cache.set(SCOPE, 'second', [2]);
    cache.get(SCOPE, 'first');
    cache.set(SCOPE, 'third', [3]);

    expect(cache.size).toBe(2);
    expect(cache.get(SCOPE, 'second')).toBeUndefined();
    expect(cache.get(SCOPE, 'first')).toEqual([1]);
    expect(cache.get(SCOPE, 'third')).toEqual([3]);
  });

  it('replaces a text’s vector without growing', () => {
    const cache = new EmbeddingCache(2);
    cache.set(SCOPE, 'same', [1]);
    cache.set(SCOPE, 'same', [2]);

    expect(cache.size).toBe(1);
    expect(cache.get(SCOPE, 'same')).toEqual([2]);
  });

  it('refuses a size that could hold nothing', () => {
    expect(() => new EmbeddingCache(0)).toThrow(RangeError);
    expect(() => new EmbeddingCache(1.5)).toThrow(RangeError);
  });
});
