import type { RankOptions } from './similarity';

/** Choosing the best few of scored matches, shared by routers and intent classifiers. Pure. */

export interface ScoredMatch {
  name: string;
  score: number;
}

/**
 * The best `topK` distinct names scoring at least `threshold`, best first. A name that appears
 * more than once counts with its best score (a model may name a route twice; an intent has one
 * vector per example). Equal scores keep the order they came in.
 */
export function bestMatches<T extends ScoredMatch>(matches: readonly T[], options: RankOptions): T[] {
  const { topK, threshold = -Infinity } = options;
  const best = new Map<string, T>();
  for (const match of matches) {
    const seen = best.get(match.name);
    if (!seen || match.score > seen.score) best.set(match.name, match);
  }
  return [...best.values()]
    .filter((match) => match.score >= threshold)
    .sort((a, b) => b.score - a.score)
    .slice(0, Math.max(topK, 0));
}
