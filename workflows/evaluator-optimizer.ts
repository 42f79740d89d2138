import { patched } from '@temporalio/workflow';
import {
  bestAttempt,
  criteriaEvaluatorSystem,
  EVALUATOR_MAX_TOKENS,
  evaluationPrompt,
  evaluationSchema,
  meetsRating,
  refinementPrompt,
  type Attempt,
  type Evaluation,
} from '../src/patterns/evaluator-optimizer';
import { asText } from '../src/patterns/nodes';
import type { Rating, ResolvedEvaluatorOptimizer } from '../src/spec/schema';
import { workflow, type RunContext, type RunUsage } from '../src/workflow';

/** Runs started before an evaluator's needs_improvement could end the refinement refine on. */
const NEEDS_IMPROVEMENT_PATCH = 'evaluator-needs-improvement';

export interface EvaluatorOptimizerResult {
  /** The best response: the highest rated, the latest among equals. */
  text: string;
  rating: Rating;
  /** Every attempt in order, with its evaluation. */
  attempts: Attempt[];
  usage: RunUsage;
}

/**
 * The optimizer answers, the evaluator rates the answer, and the optimizer tries again with the
 * feedback, until the rating reaches `min_rating` or `max_refinements` revisions have been made.
 * The optimizer may be any node; so may the evaluator, or it is criteria text for the pattern's
 * own model.
 */
export const evaluatorOptimizerWorkflow = workflow(refine, { pattern: 'evaluator_optimizer' });

async function refine(run: RunContext<unknown, ResolvedEvaluatorOptimizer>): Promise<EvaluatorOptimizerResult> {
  const { spec } = run;
  const request = asText(run.input);
  const attempts: Attempt[] = [];
  for (let number = 1; number <= spec.max_refinements + 1; number++) {
    const previous = attempts[attempts.length - 1];
    run.step(`attempt ${number} · optimizing`, number);
    // The first attempt gets the input as it came, so a nested pattern sees what its caller sent.
    const input = previous ? refinementPrompt(request, previous) : run.input;
    const response = (await run.node(spec.optimizer).call(input, { role: `optimizer · attempt ${number}` })).text;

    await run.checkpoint();
    run.step(`attempt ${number} · evaluating`, number);
    const evaluation = await evaluate(run, request, response, number);
    attempts.push({
      response,
      rating: evaluation.rating,
      feedback: evaluation.feedback,
      focus_areas: evaluation.focus_areas,
      needs_improvement: evaluation.needs_improvement,
    });
    if (meetsRating(evaluation.rating, spec.min_rating)) break;
    // As in mcp-agent: an evaluator that sees nothing left to improve ends the refinement, whatever the rating.
    if (!evaluation.needs_improvement && patched(NEEDS_IMPROVEMENT_PATCH)) break;
  }
  const best = bestAttempt(attempts);
  return { text: best.response, rating: best.rating, attempts, usage: run.usage() };
}

/** The evaluator node, or the pattern's own model judging by the criteria text. */
function evaluate(run: RunContext<unknown, ResolvedEvaluatorOptimizer>, request: string, response: string, number: number): Promise<Evaluation> {
  const { evaluator, llm } = run.spec;
  const judge =
    evaluator.kind === 'criteria'
      ? run.model(llm, { system: criteriaEvaluatorSystem(evaluator.criteria), maxTokens: EVALUATOR_MAX_TOKENS })
      : run.node(evaluator);
  return judge.generateStructured(evaluationPrompt(request, response, number), evaluationSchema, {
    name: 'evaluation',
    description: 'A rating of the response with feedback for the next revision',
    role: `evaluator · attempt ${number}`,
  });
}
