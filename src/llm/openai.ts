import type {
  ChatCompletionContentPart,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { ResponseFormatJSONSchema } from 'openai/resources/shared';
import type { ImageRef, LlmRequest, LlmResponse, Message, OutputSchema, StopReason, ToolCall } from './messages';
import { isRecord } from './records';

/**
 * Pure mapping between the provider-neutral conversation and OpenAI Chat Completions, which
 * OpenAI-compatible servers (Ollama, vLLM, LM Studio) speak too.
 */

/**
 * OpenAI's reasoning models reject `max_tokens` and want `max_completion_tokens`, while several
 * compatible servers (Ollama, LM Studio) understand only `max_tokens`.
 */
export type TokenLimitField = 'max_tokens' | 'max_completion_tokens';

/** The parts of a `ChatCompletion` the conversion reads; every SDK `ChatCompletion` is one. */
export interface OpenAiReply {
  choices: ReadonlyArray<{
    message: {
      content: string | null;
      refusal?: string | null;
      tool_calls?: ReadonlyArray<{ id: string; type: string; function?: { name: string; arguments: string } }>;
    };
    finish_reason: string | null;
  }>;
  usage?: { prompt_tokens: number; completion_tokens: number };
}

/** Where arguments that are not a JSON object are kept, so the tool sees them and can say so. */
export const RAW_ARGUMENTS_KEY = '_raw';

/** Chat Completions has no error flag on tool results, so the flag travels in the text. */
export const TOOL_ERROR_PREFIX = 'Error: ';

export function toOpenAiParams(
  request: LlmRequest,
  tokenLimitField: TokenLimitField = 'max_tokens',
): ChatCompletionCreateParamsNonStreaming {
  const messages: ChatCompletionMessageParam[] = [];
  if (request.system) messages.push({ role: 'system', content: request.system });
  messages.push(...toOpenAiMessages(request.messages));
  const params: ChatCompletionCreateParamsNonStreaming = {
    model: request.model,
    messages,
    [tokenLimitField]: request.maxTokens,
  };
  if (request.temperature !== undefined) params.temperature = request.temperature;
  if (request.stopSequences?.length) params.stop = request.stopSequences;
  if (request.tools.length > 0) {
    params.tools = request.tools.map((tool) => ({
      type: 'function',
      function: { name: tool.name, description: tool.description, parameters: tool.inputSchema },
    }));
    // Only beside tools: the API refuses the flag on a request that offers none.
    if (request.parallelToolCalls !== undefined) params.parallel_tool_calls = request.parallelToolCalls;
    if (request.toolChoice) params.tool_choice = request.toolChoice;
  }
  if (request.output) params.response_format = responseFormat(request.output);
  return params;
}

/**
 * Not `strict`: strict mode accepts only a subset of JSON Schema (every property required, no
 * `additionalProperties` but false), which ordinary zod schemas do not meet; the workflow
 * validates the reply anyway.
 */
function responseFormat(output: OutputSchema): ResponseFormatJSONSchema {
  const jsonSchema: ResponseFormatJSONSchema['json_schema'] = { name: output.name, schema: output.schema, strict: false };
  if (output.description) jsonSchema.description = output.description;
  return { type: 'json_schema', json_schema: jsonSchema };
}

/**
 * A tool message takes text only, and the tool messages of one reply must follow it unbroken, so
 * the images of a reply's tool results go in one user message after the last of them.
 */
function toOpenAiMessages(messages: readonly Message[]): ChatCompletionMessageParam[] {
  const converted: ChatCompletionMessageParam[] = [];
  let toolImages: ChatCompletionContentPart[] = [];
  const flushToolImages = () => {
    if (toolImages.length === 0) return;
    converted.push({ role: 'user', content: toolImages });
    toolImages = [];
  };
  for (const message of messages) {
    if (message.role !== 'tool') flushToolImages();
    converted.push(toOpenAiMessage(message));
    if (message.role === 'tool' && message.images?.some((image) => image.data)) {
      toolImages.push({ type: 'text', text: `The images of ${message.name}'s result (call ${message.toolCallId}):` }, ...imageParts(message.images));
    }
  }
  flushToolImages();
  return converted;
}

function imageParts(images: readonly ImageRef[]): ChatCompletionContentPart[] {
  return images.flatMap((image) => (image.data ? [{ type: 'image_url' as const, image_url: { url: `data:${image.mimeType};base64,${image.data}` } }] : []));
}

function toOpenAiMessage(message: Message): ChatCompletionMessageParam {
  switch (message.role) {
    case 'user':
      if (!message.images?.some((image) => image.data)) return { role: 'user', content: message.content };
      // No empty text part beside images (a sampling request's image-only message).
      return { role: 'user', content: [...(message.content ? [{ type: 'text' as const, text: message.content }] : []), ...imageParts(message.images)] };
    case 'assistant':
      if (message.toolCalls.length === 0) return { role: 'assistant', content: message.content };
      return {
        role: 'assistant',
        content: message.content || null,
        tool_calls: message.toolCalls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: JSON.stringify(call.arguments) },
        })),
      };
    case 'tool':
      return {
        role: 'tool',
        tool_call_id: message.toolCallId,
        content: message.isError ? TOOL_ERROR_PREFIX + message.content : message.content,
      };
  }
}

/** With `output` requested, the reply's text is the structured value as JSON. */
export function fromOpenAiReply(reply: OpenAiReply, output?: OutputSchema): LlmResponse {
  const choice = reply.choices[0];
  const toolCalls: ToolCall[] = (choice?.message.tool_calls ?? []).flatMap((call, index) =>
    call.type === 'function' && call.function
      ? [{ id: call.id || `call_${index}`, name: call.function.name, arguments: parseArguments(call.function.arguments) }]
      : [],
  );
  const finishReason = choice?.finish_reason ?? null;
  const response: LlmResponse = {
    message: {
      role: 'assistant',
      content: choice?.message.content ?? choice?.message.refusal ?? '',
      toolCalls,
    },
    // Some compatible servers answer `stop` even when the message carries tool calls.
    stopReason: toolCalls.length > 0 ? 'tool_use' : openAiStopReason(finishReason),
    usage: {
      inputTokens: reply.usage?.prompt_tokens ?? 0,
      outputTokens: reply.usage?.completion_tokens ?? 0,
    },
  };
  const structured = output && choice?.message.content ? parseStructured(choice.message.content) : undefined;
  if (structured !== undefined) response.structured = structured;
  return response;
}

/**
 * Compatible servers that ignore `response_format` tend to wrap the JSON in a Markdown code fence;
 * the value inside is still the answer.
 */
export function parseStructured(text: string): unknown {
  const fenced = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/i.exec(text.trim());
  return parseJsonOrUndefined(fenced ? fenced[1] : text);
}

/**
 * Models sometimes emit arguments that are not JSON, or not an object. That is the model's mistake
 * to correct, not a reason to fail the activity: the text goes to the tool under `_raw`, and the
 * tool's complaint goes back to the model.
 */
export function parseArguments(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  const parsed = parseJsonOrUndefined(text);
  return isRecord(parsed) ? parsed : { [RAW_ARGUMENTS_KEY]: text };
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function openAiStopReason(reason: string | null): StopReason {
  switch (reason) {
    case 'stop':
      return 'end_turn';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'length':
      return 'max_tokens';
    default:
      return 'other';
  }
}
