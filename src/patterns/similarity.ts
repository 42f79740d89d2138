/**
 * Ranking by embedding similarity, for routers and intent classifiers. Pure, so workflows can rank
 * the vectors the `embed` activity returned without another activity.
 */

export interface SimilarityCandidate {
  name: string;
  vector: number[];
}

export interface SimilarityMatch {
  name: string;
  score: number;
}

export interface RankOptions {
  topK: number;
  /** Candidates scoring below this are dropped. */
  threshold?: number;
}

/** Cosine of the angle between two vectors; 0 when either has no length, rather than NaN. */
export function cosineSimilarity(a: number[], b: number[]): number {
  if (a.length !== b.length) {
    throw new RangeError(`cannot compare vectors of ${a.length} and ${b.length} dimensions`);
  }
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i += 1) {
    dot += a[i] * b[i];
    normA += a[i] * a[i];
    normB += b[i] * b[i];
  }
  if (normA === 0 || normB === 0) return 0;
  return dot / (Math.sqrt(normA) * Math.sqrt(normB));
}

/** The best `topK` candidates, best first; equal scores keep the candidates' order. */
export function rankBySimilarity(
  query: number[],
  candidates: SimilarityCandidate[],
  options: RankOptions,
): SimilarityMatch[] {
  const { topK, threshold = -Infinity } = options;
  if (topK <= 0) return [];
  return candidates
    .map(({ name, vector }) => ({ name, score: cosineSimilarity(query, vector) }))
    .filter(({ score }) => score >= threshold)
    .sort((a, b) => b.score - a.score)
    .slice(0, topK);
}
