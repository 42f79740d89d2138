import { z } from 'zod';
import { RATINGS } from '../spec/constants';
import type { Rating } from '../spec/schema';

const ratingSchema = z.enum(RATINGS);

/**
 * Pure pieces of the evaluator-optimizer: the evaluation schema, the order of ratings, which
 * attempt is kept, and the prompts of evaluator and optimizer.
 */

export const evaluationSchema = z.object({
  rating: ratingSchema.describe(
    'poor: major problems; fair: several improvements needed; good: only minor improvements possible; excellent: nothing to improve',
  ),
  feedback: z.string().describe('What is wrong or missing, and how to fix it'),
  needs_improvement: z.boolean().describe('Whether another revision would make the response better'),
  focus_areas: z.array(z.string()).default([]).describe('The few things the next revision should concentrate on'),
});
export type Evaluation = z.infer<typeof evaluationSchema>;

export interface Attempt {
  response: string;
  rating: Rating;
  feedback: string;
  focus_areas: string[];
  /** The evaluator's word on whether another revision would help; absent in runs from before it counted. */
  needs_improvement?: boolean;
}

export const EVALUATOR_MAX_TOKENS = 2048;

/** poor < fair < good < excellent, as the schema lists them. */
export function ratingRank(rating: Rating): number {
  return ratingSchema.options.indexOf(rating);
}

export function meetsRating(rating: Rating, minimum: Rating): boolean {
  return ratingRank(rating) >= ratingRank(minimum);
}

/** The highest-rated attempt; among equals the latest, since it had the most feedback behind it. */
export function bestAttempt(attempts: readonly Attempt[]): Attempt {
  if (attempts.length === 0) throw new TypeError('no attempts to choose from');
  return attempts.reduce((best, attempt) => (ratingRank(attempt.rating) >= ratingRank(best.rating) ? attempt : best));
}

/** The default evaluator's system prompt: the spec's criteria text. */
export function criteriaEvaluatorSystem(criteria: string): string {
  return [
    'You review responses to requests and rate them against these criteria:',
    criteria,
    'Be specific and honest: a rating above what the response deserves ends the revisions too early.',
  ].join('\n\n');
}

export function evaluationPrompt(request: string, response: string, attempt: number): string {
  return [
    `Request:\n${request}`,
    `Response (attempt ${attempt}):\n${response}`,
    [
      'Rate the response: excellent when nothing needs improving, good when only minor improvements are possible,',
      'fair when several things need improving, poor when it has major problems. Say what to change in the feedback,',
      'list the few areas the next revision should focus on, and say whether it needs improvement.',
    ].join(' '),
  ].join('\n\n');
}

/** The optimizer's input from the second attempt on: it starts afresh, so it gets the request again. */
export function refinementPrompt(request: string, previous: Attempt): string {
  const parts = [
    `Request:\n${request}`,
    `Your previous response:\n${previous.response}`,
    `A reviewer rated it ${previous.rating} and said:\n${previous.feedback}`,
  ];
  if (previous.focus_areas.length > 0) {
    parts.push(`Focus on:\n${previous.focus_areas.map((area) => `- ${area}`).join('\n')}`);
  }
  parts.push('Write an improved, complete response to the request that addresses the review. Reply with the response only.');
  return parts.join('\n\n');
}
