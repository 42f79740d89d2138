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
import type { ResolvedNode, ResolvedOrchestrator } from '../src/spec/schema';
import { workflow, type Model, type Node, type RunContext, type RunUsage } from '../src/workflow';

/** Runs started before full plans were re-planned plan once. */
const FULL_REPLAN_PATCH = 'orchestrator-full-replan';

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
export const orchestratorWorkflow = workflow(orchestrate, { pattern: 'orchestrator' });

type OrchestratorRun = RunContext<unknown, ResolvedOrchestrator>;

interface Planning {
  run: OrchestratorRun;
  objective: string;
  roster: string;
  /** Who plans: the spec's planner node, else the pattern's own model with the default prompt. */
  planner: Node | Model;
}

async function orchestrate(run: OrchestratorRun): Promise<OrchestratorResult> {
  const { spec } = run;
  const planning: Planning = {
    run,
    objective: asText(run.input),
    roster: describeAgents(spec.agents),
    planner: spec.planner ? run.node(spec.planner) : run.model(spec.llm, { system: PLANNER_SYSTEM, maxTokens: PLANNER_MAX_TOKENS }),
  };
  const outcome = spec.plan_type === 'full' ? await runFullPlan(planning) : await runIterativePlan(planning);

  await run.checkpoint();
  run.step('synthesizing the answer');
  const synthesizer = run.model(spec.llm, { system: SYNTHESIZER_SYSTEM, maxTokens: SYNTHESIZER_MAX_TOKENS });
  const text = await synthesizer.generate(synthesisPrompt(planning.objective, outcome.steps, outcome.finished), { role: 'synthesizer' });
  return { text, plan: outcome.plan, steps: outcome.steps, iterations: outcome.iterations, usage: run.usage() };
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
  const { run } = planning;
  const { spec } = run;
  // Runs started before re-planning plan once and run at most max_iterations steps of it.
  const replans = patched(FULL_REPLAN_PATCH);
  const steps: StepResult[] = [];
  let plan: Plan | undefined;
  for (let round = 1; round <= (replans ? spec.max_iterations : 1); round++) {
    await run.checkpoint();
    run.step(round === 1 ? 'planning' : `planning · round ${round}`, steps.length);
    plan = await planning.planner.generateStructured(fullPlanPrompt(planning.objective, planning.roster, steps), planSchemas(spec.agents.map((node) => node.name)).plan, {
      name: 'plan',
      description: 'The steps that achieve the objective',
      role: round === 1 ? 'planner' : `planner · round ${round}`,
    });
    const toRun = replans ? plan.steps : plan.steps.slice(0, spec.max_iterations);
    for (const [index, step] of toRun.entries()) {
      const number = steps.length + 1;
      run.step(`step ${number} · ${index + 1}/${toRun.length} of round ${round} · ${step.description}`, number);
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
  const { run } = planning;
  const { spec } = run;
  const schema = planSchemas(spec.agents.map((node) => node.name)).nextStep;
  const steps: StepResult[] = [];
  let iterations = 0;
  while (iterations < spec.max_iterations) {
    iterations++;
    await run.checkpoint();
    run.step(`planning step ${iterations}`, iterations);
    const next = await planning.planner.generateStructured(nextStepPrompt(planning.objective, planning.roster, steps, spec.max_iterations - iterations + 1), schema, {
      name: 'next_step',
      description: 'The next step towards the objective, or that it is achieved',
      role: `planner · step ${iterations}`,
    });
    if (next.is_complete || next.next_step === null) {
      return { plan: planOf(steps, true), steps, iterations, finished: true };
    }
    run.step(`step ${iterations} · ${next.next_step.description}`, iterations);
    steps.push(await runStep(planning, next.next_step, iterations, steps));
  }
  return { plan: planOf(steps, false), steps, iterations, finished: false };
}

async function runStep(planning: Planning, step: PlannedStep, number: number, done: readonly StepResult[]): Promise<StepResult> {
  const tasks = await Promise.all(
    step.tasks.map(async (task, index) => {
      const node = nodeNamed(planning.run.spec.agents, task.agent);
      const role = `step ${number} · task ${index + 1}/${step.tasks.length}`;
      const answer = await planning.run.node(node).call(taskPrompt(planning.objective, task.description, done), { role });
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
