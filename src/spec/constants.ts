import type { PatternType } from './schema';

/**
 * The values workflow code needs from the spec, without zod: each run's sandbox evaluates the
 * modules its workflow imports, and importing these from schema.ts built every config schema anew
 * for every run (over half of what a new run spent loading the bundle).
 */

/** Continue as new past 4 MB of history, well inside Temporal's 50 MB limit. */
export const DEFAULT_HISTORY_LIMIT_BYTES = 4 * 1024 * 1024;

export const RATINGS = ['poor', 'fair', 'good', 'excellent'] as const;

/** What an agent definition leaves out gets these (schema.ts's defaults are these values). */
export const AGENT_DEFAULTS = {
  instruction: 'You are a helpful agent.',
  max_iterations: 10,
  max_tokens: 4096,
  human_input: false,
  input_timeout_seconds: 86_400,
} as const;

export const workflowTypeByPattern: Record<PatternType, string> = {
  agent: 'agentWorkflow',
  orchestrator: 'orchestratorWorkflow',
  router: 'routerWorkflow',
  intent_classifier: 'intentClassifierWorkflow',
  parallel: 'parallelWorkflow',
  evaluator_optimizer: 'evaluatorOptimizerWorkflow',
  swarm: 'swarmWorkflow',
};
