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
