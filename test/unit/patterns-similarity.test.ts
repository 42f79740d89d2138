import { cosineSimilarity, rankBySimilarity } from '../../src/patterns/similarity';

describe('cosineSimilarity', () => {
  it('is 1 for the same direction, 0 for orthogonal, -1 for opposite', () => {
    expect(cosineSimilarity([1, 2], [2, 4])).toBeCloseTo(1);
    expect(cosineSimilarity([1, 0], [0, 3])).toBe(0);
    expect(cosineSimilarity([1, 1], [-1, -1])).toBeCloseTo(-1);
  });

  it('ignores length', () => {
    expect(cosineSimilarity([3, 4], [1, 0])).toBeCloseTo(0.6);
    expect(cosineSimilarity([30, 40], [0.5, 0])).toBeCloseTo(0.6);
  });

  it('is 0, not NaN, when a vector has no length', () => {
    expect(cosineSimilarity([0, 0], [1, 0])).toBe(0);
  });

  it('refuses vectors of different dimensions', () => {
    expect(() => cosineSimilarity([1, 0], [1, 0, 0])).toThrow('cannot compare vectors of 2 and 3 dimensions');
  });
});

describe('rankBySimilarity', () => {
  const candidates = [
    { name: 'east', vector: [1, 0] },
    { name: 'north', vector: [0, 1] },
    { name: 'northeast', vector: [1, 1] },
    { name: 'west', vector: [-1, 0] },
  ];

  it('returns the best topK, best first, with their scores', () => {
    const ranked = rankBySimilarity([1, 0.2], candidates, { topK: 2 });

    expect(ranked.map((match) => match.name)).toEqual(['east', 'northeast']);
    expect(ranked[0].score).toBeCloseTo(cosineSimilarity([1, 0.2], [1, 0]));
  });

  it('keeps the input order between equal scores', () => {
    const ranked = rankBySimilarity([1, 1], candidates, { topK: 4 });

    expect(ranked.map((match) => match.name)).toEqual(['northeast', 'east', 'north', 'west']);
    expect(ranked[1].score).toBe(ranked[2].score);
  });

  it('drops candidates below the threshold, even within topK', () => {
    const ranked = rankBySimilarity([1, 0], candidates, { topK: 4, threshold: 0.5 });

    expect(ranked.map((match) => match.name)).toEqual(['east', 'northeast']);
  });

  it('keeps a candidate scoring exactly the threshold', () => {
    expect(rankBySimilarity([1, 0], candidates, { topK: 4, threshold: 0 }).map((match) => match.name)).toEqual([
      'east',
      'northeast',
      'north',
    ]);
  });

  it('returns nothing for topK 0 or no candidates', () => {
    expect(rankBySimilarity([1, 0], candidates, { topK: 0 })).toEqual([]);
    expect(rankBySimilarity([1, 0], [], { topK: 3 })).toEqual([]);
  });
});
