/**
 * A check that runs before every model call of the workflow (every `llmGenerate` activity, made
 * in workflows/activities.ts), whoever makes it: the agent loop, the swarm, a pattern's own model,
 * a structured answer, a summary. The run's RunControl installs it to enforce the run's budget.
 *
 * Module state in the workflow sandbox belongs to one workflow execution: each execution loads
 * its own copy of this module (so never list it in the bundler's `preloadModules`, which share).
 */

type LlmCallCheck = (summary: string) => void;

let check: LlmCallCheck | undefined;

export function guardLlmCalls(guard: LlmCallCheck): void {
  check = guard;
}

/** Throws (a BudgetExceeded failure) when the call must not start. `summary` names the call as the Web UI does. */
export function beforeLlmCall(summary: string): void {
  check?.(summary);
}
