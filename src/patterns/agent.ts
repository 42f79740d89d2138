import type { Message } from '../llm/messages';
import { splitToolName } from '../mcp/naming';
import { HUMAN_INPUT_TOOL } from './human-input';

/** Pure pieces of the agent loop, shared by workflows/agent.ts and unit tests. */

/** The run's input as the first user message: strings as they are, anything else as JSON. */
export function inputAsUserMessage(input: unknown): Message {
  const content = typeof input === 'string' ? input : JSON.stringify(input, null, 2);
  return { role: 'user', content: content ?? '' };
}

export type ToolRoute =
  | { kind: 'human_input' }
  | { kind: 'mcp'; server: string; tool: string }
  | { kind: 'unknown' };

/** Which way a tool call goes: the built-in human_input tool, an MCP server, or nowhere. */
export function routeToolCall(
  name: string,
  offered: readonly string[],
  servers: readonly string[],
  humanInput: boolean,
): ToolRoute {
  if (name === HUMAN_INPUT_TOOL && humanInput) return { kind: 'human_input' };
  const split = offered.includes(name) ? splitToolName(name, servers) : undefined;
  return split ? { kind: 'mcp', ...split } : { kind: 'unknown' };
}

export function unknownToolText(name: string, offered: readonly string[]): string {
  return `Unknown tool "${name}". Available tools: ${offered.join(', ') || 'none'}.`;
}

export function llmSummary(provider: string, model: string, agent: string, turn: number): string {
  return `llm ${provider}/${model} · ${agent} · turn ${turn}`;
}

export function toolSummary(name: string): string {
  return `tool ${name}`;
}

/** The last assistant text, which is the answer when the loop stops. */
export function finalText(messages: readonly Message[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role === 'assistant' && m.content) return m.content;
  }
  return '';
}

/**
 * Temporal refuses any payload over 2 MB, and the conversation is the bulk of each LLM activity's
 * input. A run whose conversation outgrows this fails with a clear message instead of retrying a
 * workflow task that can never succeed.
 */
export const MAX_CONVERSATION_CHARS = 1_800_000;

export function conversationTooLarge(messages: readonly Message[]): string | undefined {
  const size = JSON.stringify(messages).length;
  return size > MAX_CONVERSATION_CHARS
    ? `The conversation has grown to ${(size / 1e6).toFixed(1)} MB, more than one Temporal payload may carry (2 MB). ` +
        'Lower max_iterations or use tools that return less.'
    : undefined;
}
