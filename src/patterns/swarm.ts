import type { ToolDefinition } from '../llm/messages';

/**
 * Pure pieces of the swarm (workflows/swarm.ts): handoff tools, the active agent's system prompt,
 * and the texts the model reads after a transfer. Workflow code imports this module, so no I/O.
 */

export const HANDOFF_PREFIX = 'transfer_to_';

/** Providers accept tool names of letters, digits, `_` and `-` only, at most 64 long. */
export function handoffToolName(agent: string): string {
  return `${HANDOFF_PREFIX}${agent.replace(/[^\w-]/g, '_')}`.slice(0, 64);
}

/** One argument-free tool per agent this one may hand the conversation to. */
export function handoffTools(
  handoffs: readonly string[],
  descriptions: Readonly<Record<string, string | undefined>> = {},
): ToolDefinition[] {
  return handoffs.map((agent) => ({
    name: handoffToolName(agent),
    description:
      `Hand the conversation over to the agent "${agent}", who answers from the next turn on.` +
      (descriptions[agent] ? ` ${agent}: ${descriptions[agent]}` : ''),
    inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  }));
}

/**
 * The agent a tool call hands over to, when the tool is one of `handoffs`' transfer tools. Names
 * are compared through handoffToolName, so agents whose names needed cleaning still match.
 */
export function handoffTarget(toolName: string, handoffs: readonly string[]): string | undefined {
  if (!toolName.startsWith(HANDOFF_PREFIX)) return undefined;
  return handoffs.find((agent) => handoffToolName(agent) === toolName);
}

/** The active agent's instruction, followed by the context variables every agent shares. */
/** What follows an agent's system prompt while the conversation has context variables. */
export function contextVariablesText(contextVariables: Readonly<Record<string, unknown>>): string | undefined {
  if (Object.keys(contextVariables).length === 0) return undefined;
  return (
    'Context variables of this conversation (shared by every agent; functions you call may change them):\n' +
    '```json\n' +
    `${JSON.stringify(contextVariables, null, 2)}\n` +
    '```'
  );
}

export function transferredText(agent: string): string {
  return `Transferred to ${agent}. ${agent} takes over the conversation from here.`;
}

/** A function asked to transfer to an agent the swarm does not have: the model is told, nothing moves. */
export function unknownTransferText(agent: string, members: readonly string[]): string {
  return `The function asked to transfer to "${agent}", which is not an agent of this swarm (${members.join(', ')}); the conversation stays where it is.`;
}
