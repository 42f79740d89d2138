import { z } from 'zod';
import { workflow, type RunContext } from 'mcp-agent-temporal/workflow';

/**
 * mcp-agent's evaluator-optimizer example: a writer drafts a cover letter, a critic rates it, and
 * the writer revises with the critic's feedback until the rating is good enough.
 *
 * Written as a plain loop: each draft is a child workflow, each rating a structured model call
 * (validated against the zod schema, typed). If the worker dies between two rounds, the run
 * goes on from the last finished call, without paying for the earlier ones again. The built-in
 * pattern does the same in one call:
 * `run.run({ type: 'evaluator_optimizer', optimizer: 'cover_letter_writer', evaluator: 'cover_letter_critic', min_rating: 'good' })`.
 */

const ratings = ['poor', 'fair', 'good', 'excellent'] as const;

const evaluation = z.object({
  rating: z.enum(ratings),
  feedback: z.string().describe('What is missing or weak, and how to fix it'),
});
export type Evaluation = z.infer<typeof evaluation>;

export interface CoverLetterInput {
  posting: string;
  candidate: string;
}

export interface CoverLetter {
  letter: string;
  rating: Evaluation['rating'];
  /** Every draft's rating and feedback, in order. */
  rounds: Evaluation[];
}

const MIN_RATING = 'good';
const MAX_DRAFTS = 4;

export const coverLetter = workflow(async (run: RunContext<CoverLetterInput>): Promise<CoverLetter> => {
  const { posting, candidate } = run.input;
  const writer = run.agent('cover_letter_writer');
  const critic = run.agent('cover_letter_critic');
  const rounds: Evaluation[] = [];

  let letter = await writer.generate(`Job posting:\n${posting}\n\nCandidate:\n${candidate}\n\nWrite the cover letter.`, { name: 'draft-1' });
  for (let draft = 1; ; draft++) {
    run.step(`rating draft ${draft}`);
    const verdict = await critic.generateStructured(`Job posting:\n${posting}\n\nCover letter:\n${letter}`, evaluation, {
      name: `rating-${draft}`,
      description: 'How well the letter fits the posting',
    });
    rounds.push(verdict);
    if (ratings.indexOf(verdict.rating) >= ratings.indexOf(MIN_RATING) || draft === MAX_DRAFTS) {
      return { letter, rating: verdict.rating, rounds };
    }
    run.step(`revising draft ${draft}`);
    letter = await writer.generate(
      `Job posting:\n${posting}\n\nCandidate:\n${candidate}\n\nYour last letter:\n${letter}\n\n` +
        `A hiring manager rated it ${verdict.rating} and said:\n${verdict.feedback}\n\nWrite a better letter.`,
      { name: `draft-${draft + 1}` },
    );
  }
});
