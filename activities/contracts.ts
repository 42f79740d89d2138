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

export interface Activities {
  llmGenerate(request: LlmRequest): Promise<LlmResponse>;
  /** Tools of one server, named `<server>-<tool>`, after `allowed_tools`. */
  mcpListTools(input: McpListToolsInput): Promise<ToolDefinition[]>;
  mcpCallTool(input: McpCallToolInput): Promise<McpCallToolResult>;
}

/** Failure types activities raise; workflows and the API recognise them by these names. */
export const FailureTypes = {
  ProviderRequestRejected: 'ProviderRequestRejected',
  ProviderUnavailable: 'ProviderUnavailable',
  MissingApiKey: 'MissingApiKey',
  UnknownMcpServer: 'UnknownMcpServer',
  McpConnectionFailed: 'McpConnectionFailed',
} as const;
