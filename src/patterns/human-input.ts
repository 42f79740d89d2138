import { z } from 'zod';
import type { ToolDefinition } from '../llm/messages';

/** The `human_input` tool and tool approvals: shapes and wording shared by workflows and tests. */

export const HUMAN_INPUT_TOOL = 'human_input';

export const humanInputTool: ToolDefinition = {
  name: HUMAN_INPUT_TOOL,
  description:
    'Ask the person you are working for a question and wait for their answer. ' +
    'Use it when you need information or a decision only they can give.',
  inputSchema: {
    type: 'object',
    properties: { prompt: { type: 'string', description: 'The question to ask, in full.' } },
    required: ['prompt'],
  },
};

export const approvalDecisionSchema = z
  .object({ approved: z.boolean(), reason: z.string().optional() })
  .strict();
export type ApprovalDecision = z.infer<typeof approvalDecisionSchema>;

export function humanInputPrompt(args: Record<string, unknown>): string {
  return typeof args.prompt === 'string' && args.prompt.trim() ? args.prompt : 'The agent asks for your input.';
}

export function approvalPrompt(tool: string): string {
  return `Approve the call to ${tool}?`;
}

/** A person's answer as the text of a tool result. */
export function answerText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function denialText(tool: string, reason?: string): string {
  const given = reason?.trim();
  // The reason is the person's own words, which may or may not end a sentence.
  const because = !given ? '.' : /[.!?]$/.test(given) ? `: ${given}` : `: ${given}.`;
  return `The user denied the call to ${tool}${because} Do not retry it unchanged.`;
}

export function noAnswerText(kind: 'input' | 'approval', timeoutSeconds: number, tool?: string): string {
  return kind === 'input'
    ? `No answer came from the user within ${timeoutSeconds} seconds. Continue without it.`
    : `The call to ${tool} was not approved within ${timeoutSeconds} seconds, so it did not run.`;
}
