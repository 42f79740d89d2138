import {
  bestAttempt,
  criteriaEvaluatorSystem,
  evaluationPrompt,
  evaluationSchema,
  meetsRating,
  ratingRank,
  refinementPrompt,
  type Attempt,
} from '../../src/patterns/evaluator-optimizer';
import { outputJsonSchema } from '../../src/patterns/structured';
import type { Rating } from '../../src/spec/schema';

const attempt = (response: string, rating: Rating, focus_areas: string[] = []): Attempt => ({
  response,
  rating,
  feedback: `feedback on ${response}`,
  focus_areas,
});

describe('ratings', () => {
  it('orders poor < fair < good < excellent', () => {
    expect(['excellent', 'poor', 'good', 'fair'].sort((a, b) => ratingRank(a as Rating) - ratingRank(b as Rating))).toEqual([
      'poor',
      'fair',
      'good',
      'excellent',
    ]);
  });

  it('meets the minimum at or above it', () => {
    expect(meetsRating('good', 'good')).toBe(true);
    expect(meetsRating('excellent', 'good')).toBe(true);
    expect(meetsRating('fair', 'good')).toBe(false);
    expect(meetsRating('poor', 'poor')).toBe(true);
  });
});

describe('bestAttempt', () => {
  it('keeps the highest rated', () => {
    expect(bestAttempt([attempt('a', 'fair'), attempt('b', 'good'), attempt('c', 'poor')]).response).toBe('b');
  });

  it('keeps the latest among equal ratings', () => {
    expect(bestAttempt([attempt('a', 'fair'), attempt('b', 'fair'), attempt('c', 'poor')]).response).toBe('b');
  });

  it('refuses an empty list', () => {
    expect(() => bestAttempt([])).toThrow('no attempts');
  });
});

describe('evaluationSchema', () => {
  it('fills focus_areas when left out, and rejects an unknown rating', () => {
    expect(evaluationSchema.parse({ rating: 'good', feedback: 'ok', needs_improvement: false })).toEqual({
      rating: 'good',
      feedback: 'ok',
      needs_improvement: false,
      focus_areas: [],
    });
    expect(evaluationSchema.safeParse({ rating: 'great', feedback: '', needs_improvement: true }).success).toBe(false);
  });

  it('shows the model the rating scale as an enum', () => {
    const schema = outputJsonSchema(evaluationSchema);
    expect(schema.required).toEqual(['rating', 'feedback', 'needs_improvement']);
    expect(JSON.stringify(schema)).toContain('"enum":["poor","fair","good","excellent"]');
  });
});

describe('prompts', () => {
  it('puts the criteria into the default evaluator system prompt', () => {
    expect(criteriaEvaluatorSystem('Must rhyme.')).toContain('Must rhyme.');
  });

  it('shows the evaluator the request, the response and its attempt number', () => {
    const prompt = evaluationPrompt('Write a haiku', 'Leaves fall', 2);
    expect(prompt).toContain('Request:\nWrite a haiku');
    expect(prompt).toContain('Response (attempt 2):\nLeaves fall');
  });

  it('gives the optimizer the request, its previous response, the review and the focus areas', () => {
    const prompt = refinementPrompt('Write a haiku', attempt('Leaves fall', 'fair', ['syllable count', 'imagery']));
    expect(prompt).toContain('Request:\nWrite a haiku');
    expect(prompt).toContain('Your previous response:\nLeaves fall');
    expect(prompt).toContain('rated it fair and said:\nfeedback on Leaves fall');
    expect(prompt).toContain('Focus on:\n- syllable count\n- imagery');
    expect(refinementPrompt('r', attempt('x', 'poor'))).not.toContain('Focus on');
  });
});
