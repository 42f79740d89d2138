import type { ToolDefinition } from '../llm/messages';

/** The config gives no argument schema, so the model may pass any object. */
const FREE_FORM_ARGUMENTS: Record<string, unknown> = { type: 'object', additionalProperties: true };

/** A function offered to a model as a tool, named exactly like the function. */
export function functionToolDefinition(name: string, description: string): ToolDefinition {
  return { name, description, inputSchema: { ...FREE_FORM_ARGUMENTS } };
}
