import type { StoredToolList } from '../../activities/contracts';
import { InternedValue, type Interned } from '../conversation/interned';
import type { ToolDefinition } from '../llm/messages';

/** A server's tools as a loop uses them: the names it dispatches calls by, and the list for its LLM calls. */
export interface ListedTools {
  names: string[];
  /** The stored list's key; the list itself in runs recorded before lists were stored. */
  tools: Interned<ToolDefinition[]>;
}

/** A loop's tools: the names it dispatches calls by, and the list its LLM calls send. */
export interface ToolSet {
  names: string[];
  definitions: InternedValue<ToolDefinition[]>;
}

/** What the listing activity answered: a stored list, or the list itself where history recorded one (runs from before). */
export function listedTools(answer: StoredToolList | ToolDefinition[]): ListedTools {
  return Array.isArray(answer) ? { names: answer.map((tool) => tool.name), tools: { value: answer } } : { names: answer.names, tools: { key: answer.key } };
}

/**
 * Servers' tools, then the tools the workflow makes itself (functions, handoffs, `human_input`):
 * the first LLM call sends the servers' keys and the made tools as they are, and the activity
 * stores the whole for the calls after it, so history never holds a server's list.
 */
export function toolSet(listed: ListedTools[], own: ToolDefinition[]): ToolSet {
  const parts = [...listed.map((server) => server.tools), ...(own.length > 0 ? [{ value: own }] : [])];
  return {
    names: [...listed.flatMap((server) => server.names), ...own.map((tool) => tool.name)],
    definitions: parts.length > 0 ? InternedValue.ofParts(parts) : new InternedValue<ToolDefinition[]>([]),
  };
}
