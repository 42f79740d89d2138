import { workflow, type RunContext } from 'mcp-agent-temporal/workflow';

/**
 * mcp-agent's parallel example: a story is reviewed by a proofreader, a fact checker and a style
 * checker at the same time (fan-out), then a grader weighs their reviews (fan-in).
 *
 * In code, fan-out is Promise.all: the three agents are three child workflows started together.
 * The same could be one call, `run.run({ type: 'parallel', fan_out: [...], fan_in: 'grader' })`;
 * code lets each reviewer get its own prompt and the result keep its own shape.
 */

export interface StoryReviewInput {
  story: string;
}

export interface StoryReview {
  grade: string;
  reviews: { proofreading: string; facts: string; style: string };
}

export const storyReview = workflow(async (run: RunContext<StoryReviewInput>): Promise<StoryReview> => {
  const { story } = run.input;

  run.step('reviewing');
  const [proofreading, facts, style] = await Promise.all([
    run.agent('proofreader').generate(`Proofread this story:\n\n${story}`, { name: 'proofreading' }),
    run.agent('fact_checker').generate(`Check the facts in this story:\n\n${story}`, { name: 'facts' }),
    run.agent('style_checker').generate(`Review the style of this story:\n\n${story}`, { name: 'style' }),
  ]);

  run.step('grading');
  const grade = await run
    .agent('grader')
    .generate(
      `Story:\n${story}\n\nProofreading:\n${proofreading}\n\nFact check:\n${facts}\n\nStyle review:\n${style}\n\nGrade the story.`,
      { name: 'grade' },
    );
  return { grade, reviews: { proofreading, facts, style } };
});
