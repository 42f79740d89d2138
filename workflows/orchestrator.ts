import { ApplicationFailure, patched } from '@temporalio/workflow';
import { asText } from '../src/patterns/nodes';
import {
  describeAgents,
  fullPlanPrompt,
  nextStepPrompt,
  planOf,
  PLANNER_MAX_TOKENS,
  PLANNER_SYSTEM,
  planSchemas,
  synthesisPrompt,
  SYNTHESIZER_MAX_TOKENS,
  SYNTHESIZER_SYSTEM,
  taskPrompt,
  type Plan,
  type PlannedStep,
  type StepResult,
} from '../src/patterns/orchestrator';
import type { ResolvedNode, ResolvedOrchestrator, WorkflowInput } from '../src/spec/schema';
import { llmActivity } from './activities';
import { Patches, type RunUsage } from './definitions';
import { runToCompletion } from './lifecycle';
import { runNode } from './nodes';
import { RunControl } from './run-control';
import { askStructured, type StructuredQuestion, type Thinker } from './structured-node';

export interface OrchestratorResult {
  /** The synthesizer's answer. */
  text: string;
  /** Full: the plan as the planner made it. Iterative: the steps the planner chose, one by one. */
  plan: Plan;
  /** The steps that ran, with every task's result. */
  steps: StepResult[];
  /** What `max_iterations` bounds: steps run (full) or planner calls (iterative). */
  iterations: number;
  usage: RunUsage;
}

/**
 * A planner breaks the objective into steps; each step's tasks run in parallel on the named nodes
 * (agents, nested patterns or functions), each seeing the results of earlier steps; a synthesizer
 * turns all results into the answer.
 */
export async function orchestratorWorkflow(args: WorkflowInput<ResolvedOrchestrator>): Promise<OrchestratorResult> {
  const control = new RunControl(args.name, 'orchestrator');
  return runToCompletion(control, () => orchestrate(args, control));
}

interface Planning {
  spec: ResolvedOrchestrator;
  objective: string;
  roster: string;
  control: RunControl;
}

async function orchestrate(args: WorkflowInput<ResolvedOrchestrator>, control: RunControl): Promise<OrchestratorResult> {
  const { spec } = args;
  const planning: Planning = { spec, objective: asText(args.input), roster: describeAgents(spec.agents), control };
  const outcome = spec.plan_type === 'full' ? await runFullPlan(planning) : await runIterativePlan(planning);

  await control.checkpoint();
  control.setStep('synthesizing the answer');
  const summary = `synthesizer · ${spec.llm.provider}/${spec.llm.model}`;
  const reply = await llmActivity(summary)({
    provider: spec.llm.provider,
    model: spec.llm.model,
    system: SYNTHESIZER_SYSTEM,
    messages: [{ role: 'user', content: synthesisPrompt(planning.objective, outcome.steps, outcome.finished) }],
    tools: [],
    maxTokens: SYNTHESIZER_MAX_TOKENS,
  });
  control.recordLlmCall(reply.usage);
  return {
    text: reply.message.content,
    plan: outcome.plan,
    steps: outcome.steps,
    iterations: outcome.iterations,
    usage: control.totalUsage(),
  };
}

interface PlanOutcome {
  plan: Plan;
  steps: StepResult[];
  iterations: number;
  /** False when the step limit ended the work before the planner was done. */
  finished: boolean;
}

/**
 * A whole plan, its steps in order, then the planner again with their results, until it says the
 * objective is achieved or `max_iterations` plans have run (as mcp-agent's full plan does).
 */
async function runFullPlan(planning: Planning): Promise<PlanOutcome> {
  const { spec, control } = planning;
  // Runs started before re-planning plan once and run at most max_iterations steps of it.
  const replans = patched(Patches.OrchestratorFullReplan);
  const steps: StepResult[] = [];
  let plan: Plan | undefined;
  for (let round = 1; round <= (replans ? spec.max_iterations : 1); round++) {
    await control.checkpoint();
    control.setStep(round === 1 ? 'planning' : `planning · round ${round}`, steps.length);
    plan = await askStructured({
      schema: planSchemas(spec.agents.map((node) => node.name)).plan,
      name: 'plan',
      description: 'The steps that achieve the objective',
      prompt: fullPlanPrompt(planning.objective, planning.roster, steps),
      ...planner(planning),
      role: round === 1 ? 'planner' : `planner · round ${round}`,
    });
    const toRun = replans ? plan.steps : plan.steps.slice(0, spec.max_iterations);
    for (const [index, step] of toRun.entries()) {
      const number = steps.length + 1;
      control.setStep(`step ${number} · ${index + 1}/${toRun.length} of round ${round} · ${step.description}`, number);
      steps.push(await runStep(planning, step, number, steps));
    }
    if (!replans) return { plan, steps, iterations: steps.length, finished: toRun.length === plan.steps.length };
    // A plan with nothing left to do, or one its planner called complete, ends the planning. The
    // plan the run followed is every step it ran, over all rounds.
    if (plan.is_complete || plan.steps.length === 0) return { plan: planOf(steps, true), steps, iterations: round, finished: true };
  }
  return { plan: planOf(steps, false), steps, iterations: spec.max_iterations, finished: false };
}

/** The planner picks one step at a time, seeing every result so far, until it is done or out of calls. */
async function runIterativePlan(planning: Planning): Promise<PlanOutcome> {
  const { spec, control } = planning;
  const schema = planSchemas(spec.agents.map((node) => node.name)).nextStep;
  const steps: StepResult[] = [];
  let iterations = 0;
  while (iterations < spec.max_iterations) {
    iterations++;
    await control.checkpoint();
    control.setStep(`planning step ${iterations}`, iterations);
    const next = await askStructured({
      schema,
      name: 'next_step',
      description: 'The next step towards the objective, or that it is achieved',
      prompt: nextStepPrompt(planning.objective, planning.roster, steps, spec.max_iterations - iterations + 1),
      ...planner(planning),
      role: `planner · step ${iterations}`,
    });
    if (next.is_complete || next.next_step === null) {
      return { plan: planOf(steps, true), steps, iterations, finished: true };
    }
    control.setStep(`step ${iterations} · ${next.next_step.description}`, iterations);
    steps.push(await runStep(planning, next.next_step, iterations, steps));
  }
  return { plan: planOf(steps, false), steps, iterations, finished: false };
}

/** Who plans: the spec's planner node, else the pattern's own model with the default prompt. */
function planner(planning: Planning): Pick<StructuredQuestion<unknown>, 'thinker' | 'control'> {
  const { spec, control } = planning;
  const thinker: Thinker = spec.planner
    ? { node: spec.planner }
    : { llm: spec.llm, system: PLANNER_SYSTEM, maxTokens: PLANNER_MAX_TOKENS };
  return { thinker, control };
}

async function runStep(planning: Planning, step: PlannedStep, number: number, done: readonly StepResult[]): Promise<StepResult> {
  const tasks = await Promise.all(
    step.tasks.map(async (task, index) => {
      const node = nodeNamed(planning.spec.agents, task.agent);
      const role = `step ${number} · task ${index + 1}/${step.tasks.length}`;
      const answer = await runNode(node, taskPrompt(planning.objective, task.description, done), planning.control, role);
      return { description: task.description, agent: task.agent, result: answer.text };
    }),
  );
  return { description: step.description, tasks };
}

/** The plan schemas admit only the spec's node names, so a miss here is a bug, reported as such. */
function nodeNamed(nodes: readonly ResolvedNode[], name: string): ResolvedNode {
  const node = nodes.find((candidate) => candidate.name === name);
  if (!node) throw ApplicationFailure.nonRetryable(`The plan names an unknown agent "${name}".`, 'UnknownPlanAgent');
  return node;
}
