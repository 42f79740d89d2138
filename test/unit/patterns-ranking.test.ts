import { bestMatches } from '../../src/patterns/ranking';

describe('bestMatches', () => {
  const matches = [
    { name: 'a', score: 0.2 },
    { name: 'b', score: 0.9 },
    { name: 'a', score: 0.7 },
    { name: 'c', score: 0.5 },
    { name: 'd', score: 0.5 },
  ];

  it('ranks best first, a repeated name with its best score, equal scores in arrival order', () => {
    expect(bestMatches(matches, { topK: 10 })).toEqual([
      { name: 'b', score: 0.9 },
      { name: 'a', score: 0.7 },
      { name: 'c', score: 0.5 },
      { name: 'd', score: 0.5 },
    ]);
  });

  it('keeps at most topK and nothing below the threshold', () => {
    expect(bestMatches(matches, { topK: 2 }).map((m) => m.name)).toEqual(['b', 'a']);
    expect(bestMatches(matches, { topK: 10, threshold: 0.6 }).map((m) => m.name)).toEqual(['b', 'a']);
    expect(bestMatches(matches, { topK: 10, threshold: 0.5 }).map((m) => m.name)).toEqual(['b', 'a', 'c', 'd']);
    expect(bestMatches(matches, { topK: 0 })).toEqual([]);
    expect(bestMatches([], { topK: 3 })).toEqual([]);
  });

  it('keeps the whole match that scored best, not just its score', () => {
    const withReasons = [
      { name: 'x', score: 0.3, reasoning: 'weak' },
      { name: 'x', score: 0.8, reasoning: 'strong' },
    ];
    expect(bestMatches(withReasons, { topK: 1 })).toEqual([{ name: 'x', score: 0.8, reasoning: 'strong' }]);
  });
});
