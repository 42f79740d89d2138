import type { RunUsage } from '../../workflows/definitions';

/** Usage arithmetic for runs and their trees of children. */

export function emptyUsage(): RunUsage {
  return { inputTokens: 0, outputTokens: 0, llmCalls: 0, toolCalls: 0 };
}

export function addUsage(a: RunUsage, b: RunUsage): RunUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    llmCalls: a.llmCalls + b.llmCalls,
    toolCalls: a.toolCalls + b.toolCalls,
    ...((a.costUsd !== undefined || b.costUsd !== undefined) && { costUsd: addCost(a.costUsd, b.costUsd) }),
  };
}

/** Dollars add up without binary-fraction dust (0.1 + 0.2), to a millionth of a cent. */
export function addCost(a = 0, b = 0): number {
  return Math.round((a + b) * 1e8) / 1e8;
}

/** One line a person reads: tokens, calls and, when priced, dollars. */
export function usageLine(usage: RunUsage): string {
  return [
    `${usage.inputTokens} input + ${usage.outputTokens} output tokens`,
    plural(usage.llmCalls, 'LLM call'),
    plural(usage.toolCalls, 'tool call'),
    ...(usage.costUsd !== undefined ? [dollars(usage.costUsd)] : []),
  ].join(' · ');
}

const plural = (n: number, one: string) => `${n} ${n === 1 ? one : `${one}s`}`;

/**
 * Cents from a dollar up; below, two significant digits, so that a small cost never reads as $0.0000
 * and a typical call's $0.075 is not cut to $0.07.
 */
export function dollars(amount: number): string {
  if (amount === 0 || amount >= 1) return `$${amount.toFixed(2)}`;
  return `$${amount.toFixed(Math.min(Math.ceil(-Math.log10(amount)) + 1, 12))}`;
}
