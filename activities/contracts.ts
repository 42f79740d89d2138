import type { LlmRequest, LlmResponse, ToolDefinition } from '../src/llm/messages';

/**
 * What workflows may ask of the outside world, one activity per external call. Workflows import
 * these types only (`import type`), never the implementations.
 */

export interface McpListToolsInput {
  server: string;
}

export interface McpCallToolInput {
  server: string;
  /** The tool's own name on its server (not namespaced). */
  tool: string;
  arguments: Record<string, unknown>;
}

export interface McpCallToolResult {
  /** Text for the model: text parts joined, other content summarised. */
  content: string;
  /** The tool's own error, or an unknown tool: an answer for the model, not a failed activity. */
  isError: boolean;
}

export interface EmbedInput {
  provider: 'openai' | 'cohere';
  /** Empty: the provider's `embedding_model` from the worker's config. */
  model: string;
  texts: string[];
  /** Cohere embeds search queries and the documents they are matched against differently. */
  purpose: 'query' | 'document';
}

export interface EmbedResult {
  /** One vector per input text, in input order. */
  vectors: number[][];
}

export interface CallFunctionInput {
  /** The function's name under `functions:` in the config. */
  name: string;
  args: Record<string, unknown>;
  /** The run's swarm context variables; the function sees (and may change) a copy. */
  contextVariables?: Record<string, unknown>;
}

export interface CallFunctionResult {
  /** What the function returned, as JSON (`undefined` becomes null); null when `isError`. */
  value: unknown;
  /** The function threw, or returned something JSON cannot carry: an answer for the caller, not a failed activity. */
  isError: boolean;
  error?: string;
  /** The context variables after the call; unchanged when `isError`. */
  contextVariables: Record<string, unknown>;
  /** The swarm agent the function handed the conversation to, if any. */
  transferTo?: string;
}

export interface Activities {
  llmGenerate(request: LlmRequest): Promise<LlmResponse>;
  /** Tools of one server, named `<server>-<tool>`, after `allowed_tools`. */
  mcpListTools(input: McpListToolsInput): Promise<ToolDefinition[]>;
  mcpCallTool(input: McpCallToolInput): Promise<McpCallToolResult>;
  embed(input: EmbedInput): Promise<EmbedResult>;
  /** One configured function (`functions:` in the config). */
  callFunction(input: CallFunctionInput): Promise<CallFunctionResult>;
}
