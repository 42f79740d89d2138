import type { RunUsage } from '../../workflows/definitions';

/**
 * Per-run budgets (`max_cost`, `max_tokens` on a workflow or pattern spec): pure arithmetic that
 * workflow code (workflows/run-control.ts) uses to refuse a model call once a run tree's budget is
 * spent, and to stop the tree once its recorded usage has passed it. Zod-free and deterministic.
 *
 * A budget holds for a run and every child at any depth. A child is started with its parent's
 * limits and what the rest of the tree had spent against them at that moment (`spent_before`), so
 * it refuses its own calls once the tree as it knows it has spent the budget; the parent adds up
 * what its running children report and stops the whole tree when the total passes the limit.
 */

export type BudgetKey = 'max_cost' | 'max_tokens';

export interface BudgetLimit {
  /** USD for `max_cost`; input plus output tokens for `max_tokens`. */
  limit: number;
  /** What the rest of the tree had spent against the limit when this run started (0 where it was set). */
  spent_before: number;
  /** The run whose spec set the limit: the config workflow's name, the pattern type of an ad-hoc run, or a nested node's name. */
  set_by: string;
}

/** The limits a run carries in its resolved spec; absent (or empty) when it has no budget. */
export type RunBudget = Partial<Record<BudgetKey, BudgetLimit>>;

/** The spec fields a budget is written with. */
export interface BudgetSettings {
  max_cost?: number;
  max_tokens?: number;
}

export const BUDGET_KEYS: readonly BudgetKey[] = ['max_cost', 'max_tokens'];

/** A spec's own budget, as its resolved spec carries it; undefined when it sets none. */
export function budgetOf(settings: BudgetSettings, setBy: string): RunBudget | undefined {
  const budget: RunBudget = {};
  for (const key of BUDGET_KEYS) {
    const limit = settings[key];
    if (limit !== undefined) budget[key] = { limit, spent_before: 0, set_by: setBy };
  }
  return hasLimits(budget) ? budget : undefined;
}

export function hasLimits(budget: RunBudget | undefined): budget is RunBudget {
  return budget !== undefined && BUDGET_KEYS.some((key) => budget[key] !== undefined);
}

/** What `usage` spends against a limit: USD (calls to models without a price count nothing), or input plus output tokens. */
export function spentOf(key: BudgetKey, usage: RunUsage): number {
  return key === 'max_cost' ? (usage.costUsd ?? 0) : usage.inputTokens + usage.outputTokens;
}

/** What is left of a limit once `spent` more is counted. */
function remaining(limit: BudgetLimit, spent = 0): number {
  return limit.limit - limit.spent_before - spent;
}

/**
 * The budget a child starts with: each of the parent's limits, with what the parent's tree
 * (`parentTree`: the parent, its finished children and the running ones as they last reported)
 * has spent counted as spent before the child; and the child's own limit where its spec sets a
 * tighter one. Undefined when neither has a limit.
 */
export function childBudget(parent: RunBudget | undefined, parentTree: RunUsage, own: RunBudget | undefined): RunBudget | undefined {
  const budget: RunBudget = {};
  for (const key of BUDGET_KEYS) {
    const inherited = parent?.[key] && {
      ...parent[key],
      spent_before: roundSpent(key, parent[key].spent_before + spentOf(key, parentTree)),
    };
    const mine = own?.[key];
    const tighter = inherited && mine ? (remaining(mine) < remaining(inherited) ? mine : inherited) : (inherited ?? mine);
    if (tighter) budget[key] = tighter;
  }
  return hasLimits(budget) ? budget : undefined;
}

export interface BudgetBreach {
  key: BudgetKey;
  limit: BudgetLimit;
  /** What the tree has spent against the limit, as this run knows it. */
  spent: number;
}

/**
 * The first limit `usage` (this run's tree) breaks. Before a call (`used_up`), a limit that is
 * reached is broken: no call costs nothing. After usage is recorded (`passed`), only one that is
 * exceeded is.
 */
export function budgetBreach(budget: RunBudget | undefined, usage: RunUsage, when: 'used_up' | 'passed'): BudgetBreach | undefined {
  if (!budget) return undefined;
  for (const key of BUDGET_KEYS) {
    const limit = budget[key];
    if (!limit) continue;
    const spent = roundSpent(key, limit.spent_before + spentOf(key, usage));
    if (when === 'used_up' ? spent >= limit.limit : spent > limit.limit) return { key, limit, spent };
  }
  return undefined;
}

function roundSpent(key: BudgetKey, value: number): number {
  return key === 'max_cost' ? Math.round(value * 1e8) / 1e8 : value;
}

/** An amount as the message says it: `$0.0421`, `1,200 tokens`. */
export function formatSpent(key: BudgetKey, value: number): string {
  return key === 'max_cost' ? `$${value}` : `${value} tokens`;
}

/**
 * The BudgetExceeded failure's message: which limit, what the tree has spent, and what was refused
 * or what passed it, in which run. For example:
 * `Budget exceeded: the run tree has spent 1000 tokens (input + output) of its max_tokens 1000 (set by "research"); refused the model call "llm openai/gpt-4o · writer · turn 3" in run research-1/writer-2.`
 */
export function budgetMessage(breach: BudgetBreach, what: string, runId: string): string {
  const { key, limit, spent } = breach;
  const amount = key === 'max_cost' ? formatSpent(key, spent) : `${spent} tokens (input + output)`;
  const setting = `${key} ${key === 'max_cost' ? `$${limit.limit}` : limit.limit}`;
  return `Budget exceeded: the run tree has spent ${amount} of its ${setting} (set by "${limit.set_by}"); ${what} in run ${runId}.`;
}
