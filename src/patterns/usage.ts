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
  };
}
