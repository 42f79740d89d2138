/**
 * The provider-neutral conversation that workflow state stores. Converters in src/llm/anthropic.ts
 * and src/llm/openai.ts map it to and from each wire format. Pure data: workflows import it.
 */

export interface ToolCall {
  /** Provider-issued id, echoed back with the result. */
  id: string;
  /** Name as offered to the model, e.g. `everything-get-sum`. */
  name: string;
  arguments: Record<string, unknown>;
}

export type Message =
  | { role: 'user'; content: string; images?: ImageRef[] }
  | { role: 'assistant'; content: string; toolCalls: ToolCall[] }
  | { role: 'tool'; toolCallId: string; name: string; content: string; isError: boolean; stored?: StoredText; images?: ImageRef[] };

/** Image types both providers take as input. */
export const MODEL_IMAGE_TYPES: readonly string[] = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

/**
 * An image a tool returned or a resource holds, for models that read images: the bytes are a blob
 * in the store under `key`, never in history. The LLM activity reads them back as `data` (base64)
 * just before the model is called.
 */
export interface ImageRef {
  key: string;
  mimeType: string;
  bytes: number;
  data?: string;
}

/**
 * A tool result too long to carry through Temporal history: the whole text is a blob in the store
 * under `key`, and the message's `content` holds only its beginning. The LLM activity reads the
 * whole text back before the model sees it.
 */
export interface StoredText {
  key: string;
  /** UTF-8 bytes of the whole text. */
  bytes: number;
}

export type AssistantMessage = Extract<Message, { role: 'assistant' }>;
export type ToolResultMessage = Extract<Message, { role: 'tool' }>;

export interface ToolDefinition {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  inputSchema: Record<string, unknown>;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  /** USD, when the model has a price (src/llm/pricing.ts). */
  costUsd?: number;
}

export type StopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'other';

/** The object a structured request wants back, which each provider is asked for its own native way. */
export interface OutputSchema {
  /** Sent to the provider as a schema or tool name, so letters, digits, `_` and `-` only. */
  name: string;
  description?: string;
  /** JSON Schema of the wanted object. */
  schema: Record<string, unknown>;
}

/** An agent's sampling settings, sent to whichever provider it uses. */
export interface RequestParams {
  temperature?: number;
  stopSequences?: string[];
  /** false: at most one tool call per reply. */
  parallelToolCalls?: boolean;
}

export interface LlmRequest extends RequestParams {
  provider: 'anthropic' | 'openai';
  model: string;
  system?: string;
  messages: Message[];
  tools: ToolDefinition[];
  /** Whether the model must, may or must not call a tool (an MCP sampling request's); absent: it may. */
  toolChoice?: ToolChoice;
  maxTokens: number;
  output?: OutputSchema;
}

export type ToolChoice = 'auto' | 'required' | 'none';

export interface LlmResponse {
  message: AssistantMessage;
  stopReason: StopReason;
  usage: TokenUsage;
  /**
   * With `output` requested: the reply parsed as JSON, not yet checked against the schema. Absent
   * when the reply could not be parsed.
   */
  structured?: unknown;
}
