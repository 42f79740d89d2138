import type {
  ContentBlock,
  CreateMessageRequest,
  CreateMessageResult,
  CreateMessageResultWithTools,
  ElicitRequest,
  ElicitResult,
  SamplingMessage,
  SamplingMessageContentBlock,
  ToolResultContent,
  ToolUseContent,
} from '@modelcontextprotocol/sdk/types.js';
import type { ImageRef, LlmRequest, LlmResponse, Message } from '../llm/messages';

/**
 * A server's own requests in the middle of a tool call (sampling/createMessage, elicitation/create),
 * as the tool-call activity hands them to its run and the run answers them. Pure data and pure
 * functions: workflow code imports this module.
 *
 * The way there: the activity, on the worker, sends the request to the workflow that scheduled it
 * as the `mcp_server_request` Update, whose id is `key`; the workflow answers sampling with an LLM
 * activity and elicitation with a pending input request, and the Update's result is the answer.
 * The key is the same on every attempt of the activity for the same request (see `serverRequestKey`),
 * and Temporal keeps one Update per id: a retried tool call that asks again gets the answer already
 * given, or waits on the same pending request, rather than asking twice.
 */

export const MCP_SERVER_REQUEST_UPDATE = 'mcp_server_request';
/** `{key}`: the server cancelled that request; the run stops waiting for a person's answer to it. */
export const MCP_SERVER_REQUEST_WITHDRAWN_SIGNAL = 'mcp_server_request_withdrawn';

/** A request as the server sends it. */
export type McpServerRequest =
  | { kind: 'sampling'; params: CreateMessageRequest['params'] }
  | { kind: 'elicitation'; params: ElicitRequest['params'] };

/**
 * A binary part of a sampling message (MCP's `image` or `audio` content) as the run receives it:
 * the activity took its base64 `data` out before sending the request, so that workflow history
 * never carries it. An image a model can read (a type both providers take, within the size limit)
 * in a user message was put into the conversation store first, and `ref` is its reference; the LLM
 * activity reads the bytes back just before the model is called. Any other part (audio, an image of
 * another type or too large, an image in an assistant message) has no `ref`: the model gets a
 * one-line note in its place.
 */
export interface SamplingMediaPart {
  type: 'image' | 'audio';
  mimeType: string;
  /** Decoded bytes of the data the server sent. */
  bytes: number;
  ref?: ImageRef;
  annotations?: unknown;
  _meta?: Record<string, unknown>;
}

/** An embedded resource of a tool result with its base64 `blob` replaced by its decoded size. */
export interface SamplingResourceWithoutBlob {
  type: 'resource';
  resource: { uri: string; mimeType?: string; bytes: number };
}

/** A tool result in a sampling message, its binary content without its data (a note for the model either way). */
type SamplingToolResultInRun = Omit<ToolResultContent, 'content'> & { content: Array<ContentBlock | SamplingMediaPart | SamplingResourceWithoutBlob> };

/** A sampling message's content part in the run: MCP's own, or one without binary data. */
export type SamplingPartInRun = Exclude<SamplingMessageContentBlock, ToolResultContent> | SamplingMediaPart | SamplingToolResultInRun;

export type SamplingParamsInRun = Omit<CreateMessageRequest['params'], 'messages'> & {
  messages: Array<Omit<SamplingMessage, 'content'> & { content: SamplingPartInRun | SamplingPartInRun[] }>;
};

/**
 * A request as the run receives it: a sampling request's image and audio parts without their data
 * (`SamplingMediaPart`). Histories recorded before that carry MCP's parts with `data`, which still
 * replay: such a part reaches the model as a note, as it did then.
 */
export type McpServerRequestInRun =
  | { kind: 'sampling'; params: SamplingParamsInRun }
  | Extract<McpServerRequest, { kind: 'elicitation' }>;

export interface McpServerRequestInput {
  /** `<activity id>.<n>.<digest>`: the n-th request of the call, bound to what it asks (with its data). */
  key: string;
  server: string;
  /** The tool being called, by its own name on the server. */
  tool: string;
  request: McpServerRequestInRun;
  /** The server's `sampling` config, resolved on the worker: which model answers, and the token cap. */
  sampling?: { provider: 'anthropic' | 'openai'; model: string; maxTokens: number; approve: boolean };
  /** How long a person has to answer (an elicitation, or a sampling approval). */
  timeoutSeconds: number;
}

/**
 * What a refused sampling request's message starts with when a person refused it (or let the
 * approval time out): the words of the MCP specification's example, whose error code (-1) the
 * server then gets (activities/server-requests.ts). Runs recorded earlier answered with the same words.
 */
export const SAMPLING_REJECTED = 'User rejected sampling request';

/** A refusal goes back to the server as an MCP error with this message (activities/server-requests.ts picks its code). */
export type McpServerRequestAnswer =
  | { ok: true; result: CreateMessageResult | CreateMessageResultWithTools | ElicitResult }
  | { ok: false; message: string };

/** The Update id of a request; the activity id is the same on every attempt of the tool call. */
export function serverRequestKey(activityId: string, sequence: number, digest: string): string {
  return `${serverRequestKeyPrefix(activityId)}${sequence}.${digest}`;
}

/** What the keys of every request of one tool call (all its attempts) start with. */
export function serverRequestKeyPrefix(activityId: string): string {
  return `${MCP_SERVER_REQUEST_UPDATE}.${activityId}.`;
}

// ---- sampling ----

/**
 * The model call that answers a sampling request, its token cap the lower of the two. A user
 * message's text parts are its content (one per line) and its stored images (`SamplingMediaPart`
 * with a `ref`) its `images`, sent to the model as images after the text, as a tool result's are;
 * any other part is a one-line note in the text where it stood (audio, an image not stored, an
 * assistant message's image: neither provider takes images from the assistant).
 *
 * With `tools` (sampling with tools, MCP 2025-11-25) the model is offered the server's tools, with
 * its `toolChoice`; an assistant message's `tool_use` parts are that turn's tool calls, and a user
 * message's `tool_result` parts the results the server got by running them. The server runs the
 * tools, not the run: the reply's tool calls go back to it as `tool_use` parts.
 */
export function samplingLlmRequest(params: SamplingParamsInRun, settings: NonNullable<McpServerRequestInput['sampling']>): LlmRequest {
  const alias = toolAliases(params);
  const toolNames = new Map<string, string>();
  const messages: Message[] = params.messages.flatMap((message): Message[] => {
    const parts: unknown[] = Array.isArray(message.content) ? message.content : [message.content];
    if (message.role === 'assistant') {
      const toolCalls = parts.filter(isToolUse).map((use) => ({ id: use.id, name: alias(use.name), arguments: use.input }));
      for (const call of toolCalls) toolNames.set(call.id, call.name);
      return [{ role: 'assistant', content: partsText(parts.filter((part) => !isToolUse(part))), toolCalls }];
    }
    const results: Message[] = parts.filter(isToolResult).map((result) => ({
      role: 'tool',
      toolCallId: result.toolUseId,
      name: toolNames.get(result.toolUseId) ?? 'tool',
      content: toolResultText(result),
      isError: result.isError === true,
    }));
    const rest = parts.filter((part) => !isToolResult(part));
    if (rest.length === 0) return results;
    const content = partsText(rest);
    const images = rest.flatMap((part) => storedImage(part) ?? []);
    return [...results, images.length > 0 ? { role: 'user', content, images } : { role: 'user', content }];
  });
  return {
    provider: settings.provider,
    model: settings.model,
    ...(params.systemPrompt && { system: params.systemPrompt }),
    messages,
    tools: (params.tools ?? []).map((tool) => ({ name: alias(tool.name), description: tool.description ?? '', inputSchema: tool.inputSchema })),
    ...(params.tools?.length && params.toolChoice?.mode && { toolChoice: params.toolChoice.mode }),
    maxTokens: Math.max(1, Math.min(params.maxTokens, settings.maxTokens)),
    ...(params.temperature !== undefined && { temperature: params.temperature }),
    ...(params.stopSequences?.length && { stopSequences: params.stopSequences }),
  };
}

/**
 * The reply as the server gets it: its text, then its tool calls as `tool_use` parts when it made
 * any, under the tools' own names (`params` is the request it answers).
 */
export function samplingResult(response: LlmResponse, model: string, params?: SamplingParamsInRun): CreateMessageResult | CreateMessageResultWithTools {
  const stopReasons = { end_turn: 'endTurn', max_tokens: 'maxTokens', tool_use: 'toolUse', other: undefined } as const;
  const { content: text, toolCalls } = response.message;
  const alias = params && toolAliases(params);
  const names = new Map((params?.tools ?? []).map((tool) => [alias!(tool.name), tool.name]));
  const uses = toolCalls.map((call) => ({ type: 'tool_use' as const, id: call.id, name: names.get(call.name) ?? call.name, input: call.arguments }));
  // A reply cut off at the token limit says so, whatever it had begun: its last call may be incomplete.
  const stopReason = uses.length > 0 && response.stopReason !== 'max_tokens' ? 'toolUse' : stopReasons[response.stopReason];
  return {
    role: 'assistant',
    content: uses.length === 0 ? { type: 'text', text } : [...(text ? [{ type: 'text' as const, text }] : []), ...uses],
    model,
    ...(stopReason && { stopReason }),
  };
}

/**
 * The name a request's tool has for the model: MCP allows names that providers refuse (both take
 * letters, digits, `_` and `-`, OpenAI at most 64), so others are spelt with `_`, numbered when two
 * would meet. The same request always gives the same names.
 */
function toolAliases(params: SamplingParamsInRun): (name: string) => string {
  const aliases = new Map<string, string>();
  const taken = new Set<string>();
  for (const { name } of params.tools ?? []) {
    const safe = providerToolName(name);
    let alias = safe;
    for (let n = 2; taken.has(alias); n++) alias = `${safe.slice(0, MAX_TOOL_NAME - String(n).length - 1)}_${n}`;
    taken.add(alias);
    aliases.set(name, alias);
  }
  return (name) => aliases.get(name) ?? providerToolName(name);
}

const MAX_TOOL_NAME = 64;

function providerToolName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, MAX_TOOL_NAME) || 'tool';
}

function partsText(parts: unknown[]): string {
  return parts.map(samplingPartText).filter((text) => text !== undefined).join('\n');
}

function isToolUse(part: unknown): part is ToolUseContent {
  return (part as { type?: unknown } | undefined)?.type === 'tool_use';
}

function isToolResult(part: unknown): part is SamplingToolResultInRun {
  return (part as { type?: unknown } | undefined)?.type === 'tool_result';
}

/** A tool result's text parts, one per line, and a note for any other part; its structured content when it has no text. */
function toolResultText(result: SamplingToolResultInRun): string {
  const text = partsText(result.content);
  return text || (result.structuredContent === undefined ? '' : JSON.stringify(result.structuredContent));
}

/** A stored image's reference, or undefined for any other part. */
function storedImage(part: unknown): ImageRef | undefined {
  const candidate = part as Partial<SamplingMediaPart> | undefined;
  return candidate?.type === 'image' && candidate.ref ? candidate.ref : undefined;
}

/** What a part says in the message's text: none for a stored image, which goes as an image. */
function samplingPartText(part: unknown): string | undefined {
  if (storedImage(part)) return undefined;
  const { type, text, mimeType, resource } = (part ?? {}) as {
    type?: string;
    text?: string;
    mimeType?: string;
    resource?: { uri?: string; text?: unknown; mimeType?: string };
  };
  if (type === 'text') return text ?? '';
  // An embedded resource (in a tool result): its text, or a note naming it.
  if (type === 'resource' && resource) {
    return typeof resource.text === 'string' ? resource.text : `[resource ${resource.uri ?? ''}${resource.mimeType ? ` (${resource.mimeType})` : ''} omitted]`;
  }
  return `[${type ?? 'unknown'} content${mimeType ? ` (${mimeType})` : ''} omitted]`;
}

/** What a person is shown when asked to approve a sampling request. */
export function samplingApprovalPrompt(input: McpServerRequestInput): string {
  return `MCP server "${input.server}" asks for a model completion (${input.sampling?.provider}/${input.sampling?.model}) during its tool "${input.tool}". Approve?`;
}

// ---- elicitation ----

/** The JSON Schema an elicitation asks for, or undefined for a URL-mode elicitation. */
export function elicitationSchema(params: ElicitRequest['params']): Record<string, unknown> | undefined {
  return 'requestedSchema' in params && params.requestedSchema ? (params.requestedSchema as Record<string, unknown>) : undefined;
}

/**
 * Why `value` is not an answer to an elicitation with this schema, or undefined when it is one:
 * `{action: "accept", content}` with content that matches the schema, or `{action: "decline" |
 * "cancel"}`. The schema is MCP's restricted form: a flat object of strings (length, format, enum),
 * numbers and integers (range), booleans and arrays of enum strings.
 */
export function elicitationAnswerProblem(schema: Record<string, unknown> | undefined, value: unknown): string | undefined {
  if (!isObject(value)) return 'send {"action": "accept" | "decline" | "cancel", "content"?: {...}}';
  const { action, content } = value;
  const extra = Object.keys(value).filter((key) => key !== 'action' && key !== 'content');
  if (extra.length) return `unknown field(s) ${extra.join(', ')}: send {"action", "content"?}`;
  if (action === 'decline' || action === 'cancel') {
    return content === undefined ? undefined : `a ${action} carries no content`;
  }
  if (action !== 'accept') return '"action" must be "accept", "decline" or "cancel"';
  if (content === undefined) return schema && requiredFields(schema).length ? 'an accept needs "content"' : undefined;
  if (!isObject(content)) return '"content" must be an object';
  return schema ? contentProblem(schema, content) : undefined;
}

function contentProblem(schema: Record<string, unknown>, content: Record<string, unknown>): string | undefined {
  const properties = isObject(schema.properties) ? schema.properties : {};
  for (const name of requiredFields(schema)) {
    if (content[name] === undefined) return `content.${name} is required`;
  }
  for (const [name, field] of Object.entries(content)) {
    const property = properties[name];
    if (!isObject(property)) return `content.${name} is not asked for`;
    const problem = fieldProblem(property, field);
    if (problem) return `content.${name} ${problem}`;
  }
  return undefined;
}

function fieldProblem(schema: Record<string, unknown>, value: unknown): string | undefined {
  switch (schema.type) {
    case 'string':
      return stringProblem(schema, value);
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return schema.type === 'integer' ? 'must be an integer' : 'must be a number';
      if (schema.type === 'integer' && !Number.isInteger(value)) return 'must be an integer';
      if (typeof schema.minimum === 'number' && value < schema.minimum) return `must be at least ${schema.minimum}`;
      if (typeof schema.maximum === 'number' && value > schema.maximum) return `must be at most ${schema.maximum}`;
      return undefined;
    }
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'array': {
      if (!Array.isArray(value)) return 'must be an array';
      if (typeof schema.minItems === 'number' && value.length < schema.minItems) return `needs at least ${schema.minItems} item(s)`;
      if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) return `takes at most ${schema.maxItems} item(s)`;
      const items = isObject(schema.items) ? schema.items : {};
      const allowed = choices(items);
      const wrong = value.find((item) => typeof item !== 'string' || (allowed && !allowed.includes(item)));
      return wrong === undefined ? undefined : `has ${JSON.stringify(wrong)}, not one of ${JSON.stringify(allowed ?? 'strings')}`;
    }
    default:
      return undefined;
  }
}

function stringProblem(schema: Record<string, unknown>, value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  const allowed = choices(schema);
  if (allowed && !allowed.includes(value)) return `must be one of ${JSON.stringify(allowed)}`;
  if (typeof schema.minLength === 'number' && value.length < schema.minLength) return `needs at least ${schema.minLength} character(s)`;
  if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) return `takes at most ${schema.maxLength} character(s)`;
  const format = schema.format;
  if (format === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) return 'must be an email address';
  if (format === 'uri' && !/^[a-zA-Z][a-zA-Z\d+.-]*:\S*$/.test(value)) return 'must be a URI';
  if (format === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(value)) return 'must be a date (YYYY-MM-DD)';
  if (format === 'date-time' && (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(Date.parse(value)))) return 'must be a date-time';
  return undefined;
}

/** The values an enum field allows: `enum`, or the `const`s of `oneOf` / `anyOf`. */
function choices(schema: Record<string, unknown>): string[] | undefined {
  if (Array.isArray(schema.enum)) return schema.enum.map(String);
  const options = Array.isArray(schema.oneOf) ? schema.oneOf : Array.isArray(schema.anyOf) ? schema.anyOf : undefined;
  return options?.filter(isObject).map((option) => String(option.const));
}

function requiredFields(schema: Record<string, unknown>): string[] {
  return Array.isArray(schema.required) ? schema.required.filter((name): name is string => typeof name === 'string') : [];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
