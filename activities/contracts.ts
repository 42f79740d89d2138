import type { ContextSettings } from '../src/conversation/context';
import type { ContextSummaryState, ContextUse } from '../src/conversation/context-state';
import type { LoggedMessage } from '../src/conversation/entry';
import type { PendingPart } from '../src/conversation/summary';
import type { Interned } from '../src/conversation/interned';
import type { ImageRef, LlmRequest, LlmResponse, Message, RequestParams, StoredText, ToolDefinition } from '../src/llm/messages';
import type { ResolvedNode } from '../src/spec/schema';

/**
 * What workflows may ask of the outside world, one activity per external call. Workflows import
 * these types only (`import type`), never the implementations.
 */

export interface McpListToolsInput {
  server: string;
  /** Store the list and answer with its key and the tools' names (`StoredToolList`), so no history holds it. */
  store?: boolean;
}

/** A server's tool list kept in the conversation store: what a loop's LLM call sends is its key. */
export interface StoredToolList {
  key: string;
  names: string[];
}

export interface McpCallToolInput {
  server: string;
  /** The tool's own name on its server (not namespaced). */
  tool: string;
  arguments: Record<string, unknown>;
}

export interface McpCallToolResult {
  /** Text for the model: text parts joined, other content summarised. Only its start when `stored`. */
  content: string;
  /** A result longer than `storage.inline_bytes` is stored whole and not carried through history. */
  stored?: StoredText;
  /** The tool's own error, or an unknown tool: an answer for the model, not a failed activity. */
  isError: boolean;
  /** Images in the result (image parts, image resources), stored: the model sees them beside the text. */
  images?: ImageRef[];
}

/** A resource as a server lists it (`resources/list`), without its `_meta` and icons. */
export interface McpResourceInfo {
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  size?: number;
}

/** A family of resources (`resources/templates/list`): `uriTemplate` is an RFC 6570 template. */
export interface McpResourceTemplateInfo {
  uriTemplate: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
}

export interface McpPromptInfo {
  name: string;
  title?: string;
  description?: string;
  arguments?: { name: string; description?: string; required?: boolean }[];
}

export interface McpServerInput {
  server: string;
}

export interface McpReadResourceInput {
  server: string;
  uri: string;
}

/**
 * One part of a resource. Text stays text; binary content stays base64 with its MIME type. Content
 * longer than `storage.inline_bytes` is stored whole (the text, or the base64) and not carried
 * through history: `stored` names it, and `text` holds only its start (`blob` is then absent).
 */
export interface McpResourceContent {
  uri: string;
  mimeType?: string;
  text?: string;
  /** Base64 of binary content. */
  blob?: string;
  /** Decoded size of binary content. */
  bytes?: number;
  stored?: StoredText;
}

export interface McpReadResourceResult {
  contents: McpResourceContent[];
}

export interface McpGetPromptInput {
  server: string;
  name: string;
  /** MCP prompt arguments are strings. */
  arguments?: Record<string, string>;
}

/** A message of a prompt as text (images and other media summarised); only its start when `stored`. */
export interface McpPromptMessage {
  role: 'user' | 'assistant';
  content: string;
  stored?: StoredText;
}

export interface McpGetPromptResult {
  description?: string;
  messages: McpPromptMessage[];
}

/**
 * What an agent is given at the start of a run (its spec's `prompt` and `resources`), as read by
 * the MCP activities, to be put together with its instruction.
 */
export interface ComposeAgentContextInput {
  instruction: string;
  prompt?: { server: string; name: string; as: 'instruction' | 'messages'; result: McpGetPromptResult };
  resources: { server: string; uri: string; result: McpReadResourceResult }[];
}

/**
 * The system prompt (stored; history carries its key) and the messages that open the conversation
 * (a prompt used `as: messages`).
 */
export interface ComposedAgentContext {
  system: Interned<string>;
  /** Characters of the whole system prompt, for people. */
  systemChars: number;
  messages: Array<Extract<Message, { role: 'user' | 'assistant' }>>;
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

export type { Interned };

/** A summary of a conversation's start, standing in for every message up to the end of entry `upTo`. */
export type ContextSummary = ContextSummaryState;

/**
 * One LLM call of a tool-using loop (agent, swarm). The conversation is not sent: `log.head` names
 * the stored conversation so far, `log.append` carries only what is new (a user message, tool
 * results). The activity stores those and the reply as the next entry and returns its key.
 */
export interface LoopLlmRequest extends RequestParams {
  provider: LlmRequest['provider'];
  model: string;
  maxTokens: number;
  system: Interned<string>;
  /** Put after the system prompt for this call only: what changes between calls (a swarm's context variables). */
  systemSuffix?: string;
  tools: Interned<ToolDefinition[]>;
  log: { head: string | null; append: LoggedMessage[] };
  /** The turn the reply belongs to. */
  turn: number;
  context?: ContextSettings;
  summary?: ContextSummary;
}

/**
 * What the model was sent, in estimated tokens: `tokens` sent (system prompt, tools, messages),
 * `fullTokens` of the whole conversation after any summary with the reply, `dropped` messages left
 * out and `stubbed` tool results shortened.
 */
export type ContextReport = ContextUse;

export interface LoopLlmResponse extends LlmResponse {
  /** The stored entry holding `log.append` and the reply: the conversation's new head. */
  head: string;
  /** Where the system prompt and tools are stored, to send their keys next time: only those the request sent whole. */
  keys: { system?: string; tools?: string };
  context: ContextReport;
}

/**
 * Asks the model to summarize the start of a conversation, so that later calls send the summary
 * instead. The activity picks where the summary ends: as late as leaves the most recent
 * `keepTokens` (estimated) out of it, at the end of a turn where it can.
 */
export interface SummarizeRequest {
  provider: LlmRequest['provider'];
  model: string;
  maxTokens: number;
  head: string;
  /** The summary so far, which the new one takes in. */
  summary?: ContextSummary;
  summarize: { keepTokens: number; pending: PendingPart };
}

export interface SummarizeResponse {
  /** Absent when nothing could be summarized (everything is recent). `text` is the summary's start. */
  summary?: ContextSummary & { text: string; messages: number };
  usage: LlmResponse['usage'];
}

export type LlmGenerateRequest = LlmRequest | LoopLlmRequest | SummarizeRequest;
export type LlmGenerateResponse = LlmResponse | LoopLlmResponse | SummarizeResponse;

export interface ResolveNodeInput {
  /** What the code names: an agent's name, `{agent, ...overrides}`, an inline agent or pattern, `{function}`. */
  node: unknown;
  /** The node's name when it has none of its own. */
  name: string;
}

export interface Activities {
  /** One model call: a single request (`LlmRequest`), a loop's next turn, or a summary. */
  llmGenerate(request: LlmGenerateRequest): Promise<LlmGenerateResponse>;
  /** Tools of one server, named `<server>-<tool>`, after `allowed_tools`; with `store`, kept in the store. */
  mcpListTools(input: McpListToolsInput): Promise<ToolDefinition[] | StoredToolList>;
  mcpCallTool(input: McpCallToolInput): Promise<McpCallToolResult>;
  /** Resources a server lists (empty when it offers none). */
  mcpListResources(input: McpServerInput): Promise<McpResourceInfo[]>;
  mcpListResourceTemplates(input: McpServerInput): Promise<McpResourceTemplateInfo[]>;
  /** One resource; a server's error (an unknown URI) fails the activity, not retried. */
  mcpReadResource(input: McpReadResourceInput): Promise<McpReadResourceResult>;
  mcpListPrompts(input: McpServerInput): Promise<McpPromptInfo[]>;
  /** One prompt with its arguments; a server's error (unknown prompt, bad arguments) fails the activity, not retried. */
  mcpGetPrompt(input: McpGetPromptInput): Promise<McpGetPromptResult>;
  /** Puts an agent's MCP prompt and resources together with its instruction (a local activity: it reads and writes the store). */
  composeAgentContext(input: ComposeAgentContextInput): Promise<ComposedAgentContext>;
  embed(input: EmbedInput): Promise<EmbedResult>;
  /** One configured function (`functions:` in the config). */
  callFunction(input: CallFunctionInput): Promise<CallFunctionResult>;
  /** A node a code workflow names, resolved on the worker's config (a local activity). */
  resolveNode(input: ResolveNodeInput): Promise<ResolvedNode>;
}
