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
import type { Rating, ResolvedEvaluatorOptimizer, WorkflowInput } from '../src/spec/schema';
import { Patches, type RunUsage } from './definitions';
import { runToCompletion } from './lifecycle';
import { runNode } from './nodes';
import { RunControl } from './run-control';
import { askStructured } from './structured-node';

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
export async function evaluatorOptimizerWorkflow(
  args: WorkflowInput<ResolvedEvaluatorOptimizer>,
): Promise<EvaluatorOptimizerResult> {
  const control = new RunControl(args.name, 'evaluator_optimizer');
  return runToCompletion(control, () => refine(args, control));
}

async function refine(args: WorkflowInput<ResolvedEvaluatorOptimizer>, control: RunControl): Promise<EvaluatorOptimizerResult> {
  const { spec } = args;
  const request = asText(args.input);
  const attempts: Attempt[] = [];
  for (let number = 1; number <= spec.max_refinements + 1; number++) {
    const previous = attempts[attempts.length - 1];
    control.setStep(`attempt ${number} · optimizing`, number);
    // The first attempt gets the input as it came, so a nested pattern sees what its caller sent.
    const input = previous ? refinementPrompt(request, previous) : args.input;
    const response = (await runNode(spec.optimizer, input, control, `optimizer · attempt ${number}`)).text;

    await control.checkpoint();
    control.setStep(`attempt ${number} · evaluating`, number);
    const evaluation = await evaluate(spec, request, response, number, control);
    attempts.push({
      response,
      rating: evaluation.rating,
      feedback: evaluation.feedback,
      focus_areas: evaluation.focus_areas,
      needs_improvement: evaluation.needs_improvement,
    });
    if (meetsRating(evaluation.rating, spec.min_rating)) break;
    // As in mcp-agent: an evaluator that sees nothing left to improve ends the refinement, whatever the rating.
    if (!evaluation.needs_improvement && patched(Patches.EvaluatorNeedsImprovement)) break;
  }
  const best = bestAttempt(attempts);
  return { text: best.response, rating: best.rating, attempts, usage: control.totalUsage() };
}

function evaluate(
  spec: ResolvedEvaluatorOptimizer,
  request: string,
  response: string,
  number: number,
  control: RunControl,
): Promise<Evaluation> {
  const evaluator = spec.evaluator;
  return askStructured({
    schema: evaluationSchema,
    name: 'evaluation',
    description: 'A rating of the response with feedback for the next revision',
    prompt: evaluationPrompt(request, response, number),
    thinker:
      evaluator.kind === 'criteria'
        ? { llm: spec.llm, system: criteriaEvaluatorSystem(evaluator.criteria), maxTokens: EVALUATOR_MAX_TOKENS }
        : { node: evaluator },
    role: `evaluator · attempt ${number}`,
    control,
  });
}
