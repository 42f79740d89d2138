import { functionToolDefinition } from '../functions/tools';
import type { Message, RequestParams, ToolCall, ToolDefinition, ToolResultMessage } from '../llm/messages';
import type { ResolvedAgent } from '../spec/schema';
import { splitToolName } from '../mcp/naming';
import { HUMAN_INPUT_TOOL } from './human-input';
import { asText } from './nodes';

/** Pure pieces of the agent loop, shared by workflows/agent.ts and unit tests. */

/** The run's input as the first user message: strings as they are, anything else as JSON. */
export function inputAsUserMessage(input: unknown): Message {
  const content = typeof input === 'string' ? input : JSON.stringify(input, null, 2);
  return { role: 'user', content: content ?? '' };
}

export type ToolRoute =
  | { kind: 'human_input' }
  | { kind: 'function'; name: string }
  | { kind: 'mcp'; server: string; tool: string }
  | { kind: 'unknown' }
  /** Offered, but none of the above: a tool a code workflow added itself (toolSet's own tools). */
  | { kind: 'not_runnable' };

/**
 * Which way a tool call goes: the built-in human_input tool, one of the agent's config functions,
 * an MCP server, or nowhere. A function's tool is named exactly like the function, so it is
 * matched before a `<server>-<tool>` split could claim the name.
 */
export function routeToolCall(
  name: string,
  offered: readonly string[],
  servers: readonly string[],
  humanInput: boolean,
  functions: readonly string[] = [],
): ToolRoute {
  if (name === HUMAN_INPUT_TOOL && humanInput) return { kind: 'human_input' };
  if (!offered.includes(name)) return { kind: 'unknown' };
  if (functions.includes(name)) return { kind: 'function', name };
  const split = splitToolName(name, servers);
  return split ? { kind: 'mcp', ...split } : { kind: 'not_runnable' };
}

/**
 * An agent's config functions as tools. The config may leave a function undescribed; the model
 * still gets a sentence saying what calling it does.
 */
export function functionTools(names: readonly string[], descriptions: Readonly<Record<string, string>> = {}): ToolDefinition[] {
  return names.map((name) => functionToolDefinition(name, descriptions[name] || `Runs the function "${name}".`));
}

/** A function's answer as the text of a tool result: its value, or its error. */
export function functionResultText(reply: { value: unknown; isError: boolean; error?: string }): string {
  if (reply.isError) return reply.error ?? 'The function failed.';
  return asText(reply.value);
}

export function functionSummary(name: string): string {
  return `function ${name}`;
}

export function unknownToolText(name: string, offered: readonly string[]): string {
  return `Unknown tool "${name}". Available tools: ${offered.join(', ') || 'none'}.`;
}

/**
 * Said of a tool the turn offered that callTool has no way to run: "unknown" next to a list that
 * names it would contradict itself, and the fix is in the workflow, not the model's call.
 */
export function notRunnableToolText(name: string): string {
  return (
    `"${name}" is offered but callTool cannot run it: callTool runs the agent's MCP tools and functions, human_input and approvals; ` +
    'a tool the workflow adds itself (toolSet(listed, ownTools)) must be handled by the workflow before calling callTool.'
  );
}

/** `llm openai/gpt-4o · calculator · turn 2`; a conversation's calls add the step within the turn. */
export function llmSummary(provider: string, model: string, agent: string, turn: number, step?: number): string {
  return `llm ${provider}/${model} · ${agent} · turn ${turn}${step !== undefined ? ` · step ${step}` : ''}`;
}

export function summarizeSummary(provider: string, model: string, agent: string): string {
  return `summarize ${provider}/${model} · ${agent}`;
}

export function toolSummary(name: string): string {
  return `tool ${name}`;
}

/**
 * The result of a tool call that did not finish because its turn ended: a new message interrupted
 * it, or the turn failed (`failure` says how).
 */
export function interruptedResult(call: ToolCall, failure?: string): ToolResultMessage {
  const why = failure === undefined ? 'the user sent a new message' : `the turn failed: ${failure}`;
  const content = `The call of ${call.name} was stopped before it finished: ${why}.`;
  return { role: 'tool', toolCallId: call.id, name: call.name, content, isError: true };
}

/** What an agent sends with each of its own turns, only what it sets (the rest is the provider's default). */
export function agentRequestParams(agent: ResolvedAgent): RequestParams {
  return {
    ...(agent.temperature !== undefined && { temperature: agent.temperature }),
    ...(agent.stop_sequences !== undefined && { stopSequences: agent.stop_sequences }),
    ...(agent.parallel_tool_calls !== undefined && { parallelToolCalls: agent.parallel_tool_calls }),
  };
}
