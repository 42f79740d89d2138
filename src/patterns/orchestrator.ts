import { z } from 'zod';
import type { ResolvedNode, ResolvedSpec } from '../spec/schema';

/**
 * Pure pieces of the orchestrator: the plan schemas (the agent names a task may name are part of
 * the schema, so a wrong name gets a repair turn), the prompts of planner, tasks and synthesizer,
 * and how finished work reads in them.
 */

export interface PlannedTask {
  description: string;
  agent: string;
}

export interface PlannedStep {
  description: string;
  tasks: PlannedTask[];
}

export interface Plan {
  steps: PlannedStep[];
  is_complete: boolean;
}

/** The iterative planner's answer: one more step, or done. */
export interface NextStep {
  is_complete: boolean;
  next_step: PlannedStep | null;
}

export interface TaskResult extends PlannedTask {
  result: string;
}

export interface StepResult {
  description: string;
  tasks: TaskResult[];
}

export const PLANNER_MAX_TOKENS = 4096;
export const SYNTHESIZER_MAX_TOKENS = 4096;

/** Longer node descriptions are cut: the planner needs the gist, not whole system prompts. */
const MAX_DESCRIPTION_CHARS = 400;

export interface PlanSchemas {
  plan: z.ZodType<Plan, Record<string, unknown>>;
  nextStep: z.ZodType<NextStep, Record<string, unknown>>;
}

export function planSchemas(agentNames: readonly string[]): PlanSchemas {
  const [first, ...rest] = agentNames;
  if (first === undefined) throw new TypeError('an orchestrator needs at least one agent');
  const task = z.object({
    description: z.string().min(1).describe('What the agent must do, written so it can act on it alone'),
    agent: z.enum([first, ...rest]).describe('The name of the agent that does the task'),
  });
  const step = z.object({
    description: z.string().min(1).describe('What this step achieves'),
    tasks: z.array(task).describe('Independent tasks that run at the same time'),
  });
  const plan = z.object({
    steps: z.array(step).describe('Steps in the order they run; each sees the results of the ones before'),
    is_complete: z
      .boolean()
      .describe('True when the objective needs no work from the agents, with no steps given'),
  });
  const nextStep = z
    .object({
      is_complete: z.boolean().describe('True when the results so far achieve the objective'),
      next_step: step.nullable().default(null).describe('The one step to run next; null when is_complete is true'),
    })
    .superRefine((value, ctx) => {
      if (!value.is_complete && value.next_step === null) {
        ctx.addIssue({ code: 'custom', path: ['next_step'], message: 'a next step is required while is_complete is false' });
      }
    });
  return { plan, nextStep };
}

export const PLANNER_SYSTEM = [
  'You plan work for a team of agents. You break an objective into steps that run one after another.',
  'The tasks of one step run at the same time, each on the agent you name, so they must not depend on each other;',
  'a task that needs another task\'s result belongs to a later step. Use as few steps and tasks as the objective needs.',
].join(' ');

export const SYNTHESIZER_SYSTEM =
  'You write the final answer to an objective from the results of the work a team of agents did for it.';

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > MAX_DESCRIPTION_CHARS ? `${line.slice(0, MAX_DESCRIPTION_CHARS - 1)}…` : line;
}

/** The names of what a nested pattern runs, so the planner knows what it can do. */
function members(spec: ResolvedSpec): string[] {
  switch (spec.type) {
    case 'agent':
      return [spec.agent.name];
    case 'orchestrator':
    case 'router':
      return spec.agents.map((node) => node.name);
    case 'parallel':
      return spec.fan_out.map((node) => node.name);
    case 'evaluator_optimizer':
      return [spec.optimizer.name];
    case 'swarm':
      return spec.agents.map((agent) => agent.name);
    case 'intent_classifier':
      return spec.intents.map((intent) => intent.name);
  }
}

/** One line per node the planner may assign tasks to. */
export function describeNode(node: ResolvedNode): string {
  switch (node.kind) {
    case 'agent': {
      const { description, instruction, servers } = node.agent;
      const tools = servers.length > 0 ? ` Tools from: ${servers.join(', ')}.` : '';
      return `- ${node.name}: ${oneLine(description ?? instruction)}${tools}`;
    }
    case 'pattern':
      return `- ${node.name}: a ${node.spec.type} workflow of ${members(node.spec).join(', ')}.`;
    case 'function':
      return `- ${node.name}: runs the function "${node.function}" on the task description.`;
  }
}

export function describeAgents(nodes: readonly ResolvedNode[]): string {
  return nodes.map(describeNode).join('\n');
}

/** Finished steps as the next planner call, later tasks and the synthesizer read them. */
export function formatSteps(steps: readonly StepResult[]): string {
  if (steps.length === 0) return '(nothing yet)';
  return steps
    .map((step, s) => {
      const tasks = step.tasks.map(
        (task, t) => `### Task ${s + 1}.${t + 1} (${task.agent}): ${task.description}\n${task.result}`,
      );
      return [`## Step ${s + 1}: ${step.description}`, ...tasks].join('\n\n');
    })
    .join('\n\n');
}

/**
 * The full plan's prompt: the whole plan up front, then, once its steps have run, the rest of it
 * in the light of their results (mcp-agent's full plan asks again until the planner is done).
 */
export function fullPlanPrompt(objective: string, roster: string, done: readonly StepResult[] = []): string {
  const first = done.length === 0;
  return [
    `Objective:\n${objective}`,
    `Agents you can assign tasks to:\n${roster}`,
    ...(first ? [] : [`Results so far:\n${formatSteps(done)}`]),
    [
      first
        ? 'Plan the steps that achieve the objective.'
        : 'Plan the steps that remain to achieve the objective, building on the results so far.',
      'Every task sees the objective and the results of earlier steps, and names exactly one of the agents above.',
      first
        ? 'If the objective needs no work from the agents, give no steps and set is_complete to true; otherwise set is_complete to false.'
        : 'If the results so far achieve the objective, give no steps and set is_complete to true; otherwise set is_complete to false.',
    ].join(' '),
  ].join('\n\n');
}

export function nextStepPrompt(objective: string, roster: string, done: readonly StepResult[], stepsLeft: number): string {
  return [
    `Objective:\n${objective}`,
    `Agents you can assign tasks to:\n${roster}`,
    `Results so far:\n${formatSteps(done)}`,
    [
      'Decide what happens next. If the results so far achieve the objective, set is_complete to true and',
      'next_step to null. Otherwise set is_complete to false and give the single next step; every task in it',
      `names exactly one of the agents above. At most ${stepsLeft} more step${stepsLeft === 1 ? '' : 's'} can run.`,
    ].join(' '),
  ].join('\n\n');
}

/** A task's input: the task first, then what it is part of. */
export function taskPrompt(objective: string, task: string, done: readonly StepResult[]): string {
  const parts = [`Your task:\n${task}`, `It is part of this objective:\n${objective}`];
  if (done.length > 0) parts.push(`Results of earlier steps:\n${formatSteps(done)}`);
  parts.push('Do your task and reply with its result.');
  return parts.join('\n\n');
}

/**
 * The synthesizer's input. `finished` is false when the step limit cut the plan short, so the
 * answer says what is missing rather than pretending.
 */
export function synthesisPrompt(objective: string, done: readonly StepResult[], finished: boolean): string {
  const work =
    done.length > 0
      ? `Results of the work done:\n${formatSteps(done)}`
      : 'The planner found that no work by the agents was needed; answer from the objective itself.';
  const closing = finished
    ? 'Write the final answer to the objective from these results. Reply with the answer only.'
    : 'The plan was cut short by its step limit. Write the best answer these results allow, and say what is still missing.';
  return [`Objective:\n${objective}`, work, closing].join('\n\n');
}

/** The plan as run, without results: what the iterative planner decided, step by step. */
export function planOf(steps: readonly StepResult[], isComplete: boolean): Plan {
  return {
    steps: steps.map((step) => ({
      description: step.description,
      tasks: step.tasks.map(({ description, agent }) => ({ description, agent })),
    })),
    is_complete: isComplete,
  };
}
