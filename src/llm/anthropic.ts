import type Anthropic from '@anthropic-ai/sdk';
import type { ImageRef, LlmRequest, LlmResponse, Message, OutputSchema, StopReason, ToolCall } from './messages';
import { isRecord } from './records';

/** Pure mapping between the provider-neutral conversation and the Anthropic Messages API. */

/**
 * @anthropic-ai/sdk 1.x dropped `temperature` from its types, but the Messages API still takes it
 * and the SDK sends the body as given: an agent's temperature is not silently lost.
 */
type AnthropicParams = Anthropic.MessageCreateParamsNonStreaming & { temperature?: number };
type AnthropicMessageParam = Anthropic.UserMessageParam | Anthropic.AssistantMessageParam;
type AnthropicBlockParam = Anthropic.ContentBlockParam;

/** The parts of an Anthropic `Message` the conversion reads; every SDK `Message` is one. */
export interface AnthropicReply {
  content: ReadonlyArray<{ type: string; text?: unknown; id?: unknown; name?: unknown; input?: unknown }>;
  stop_reason: string | null;
  usage: {
    input_tokens: number;
    output_tokens: number;
    cache_creation_input_tokens?: number | null;
    cache_read_input_tokens?: number | null;
  };
}

export function toAnthropicParams(request: LlmRequest): AnthropicParams {
  const params: AnthropicParams = {
    model: request.model,
    max_tokens: request.maxTokens,
    messages: toAnthropicMessages(request.messages),
  };
  if (request.system) params.system = request.system;
  if (request.temperature !== undefined) params.temperature = request.temperature;
  if (request.stopSequences?.length) params.stop_sequences = request.stopSequences;
  const tools: Anthropic.Tool[] = request.tools.map((tool) => ({
    name: tool.name,
    description: tool.description,
    input_schema: { type: 'object', ...tool.inputSchema },
  }));
  if (request.output) {
    // The Messages API's native structured output: one tool whose input is the object, forced.
    tools.push(outputTool(request.output));
    params.tool_choice = { type: 'tool', name: request.output.name };
  } else if (tools.length > 0 && request.toolChoice) {
    params.tool_choice = request.toolChoice === 'required' ? { type: 'any' } : { type: request.toolChoice };
  } else if (tools.length > 0 && request.parallelToolCalls === false) {
    params.tool_choice = { type: 'auto', disable_parallel_tool_use: true };
  }
  if (tools.length > 0) params.tools = tools;
  return params;
}

function outputTool(output: OutputSchema): Anthropic.Tool {
  const tool: Anthropic.Tool = { name: output.name, input_schema: { type: 'object', ...output.schema } };
  if (output.description) tool.description = output.description;
  return tool;
}

/**
 * Anthropic wants tool results inside a user message, and every result of one assistant turn in
 * the same message; merging each message into a predecessor of the same role gives exactly that.
 */
export function toAnthropicMessages(messages: readonly Message[]): AnthropicMessageParam[] {
  const merged: AnthropicMessageParam[] = [];
  for (const message of messages) {
    const next = toAnthropicMessage(message);
    const last = merged.at(-1);
    if (last && last.role === next.role) {
      last.content = [...asBlocks(last.content), ...asBlocks(next.content)];
    } else {
      merged.push(next);
    }
  }
  return merged;
}

function toAnthropicMessage(message: Message): AnthropicMessageParam {
  switch (message.role) {
    case 'user':
      if (!message.images?.some((image) => image.data)) return { role: 'user', content: message.content };
      // No empty text part beside images (a sampling request's image-only message): Anthropic refuses one.
      return { role: 'user', content: [...(message.content ? [{ type: 'text' as const, text: message.content }] : []), ...imageBlocks(message.images)] };
    case 'assistant': {
      const blocks: AnthropicBlockParam[] = [];
      if (message.content) blocks.push({ type: 'text', text: message.content });
      for (const call of message.toolCalls) {
        blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: call.arguments });
      }
      return { role: 'assistant', content: blocks.length > 0 ? blocks : message.content };
    }
    case 'tool': {
      const images = imageBlocks(message.images ?? []);
      const result: Anthropic.ToolResultBlockParam = {
        type: 'tool_result',
        tool_use_id: message.toolCallId,
        content: images.length > 0 ? [{ type: 'text', text: message.content }, ...images] : message.content,
      };
      if (message.isError) result.is_error = true;
      return { role: 'user', content: [result] };
    }
  }
}

function imageBlocks(images: readonly ImageRef[]): Anthropic.ImageBlockParam[] {
  return images.flatMap((image) =>
    image.data
      ? [{ type: 'image' as const, source: { type: 'base64' as const, media_type: image.mimeType as Anthropic.Base64ImageSource['media_type'], data: image.data } }]
      : [],
  );
}

function asBlocks(content: Anthropic.MessageContentParam): AnthropicBlockParam[] {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content;
}

/**
 * With `output` requested, the forced tool's input is the structured value: it is not a tool call
 * to run, and the message shows it as JSON text so the conversation reads as the model's answer.
 */
export function fromAnthropicReply(reply: AnthropicReply, output?: OutputSchema): LlmResponse {
  let text = '';
  const toolCalls: ToolCall[] = [];
  let structured: { value: unknown } | undefined;
  for (const block of reply.content) {
    if (block.type === 'text' && typeof block.text === 'string') {
      text += block.text;
    } else if (block.type === 'tool_use' && output && block.name === output.name && !structured) {
      structured = { value: block.input };
    } else if (block.type === 'tool_use') {
      toolCalls.push({
        id: String(block.id),
        name: String(block.name),
        arguments: isRecord(block.input) ? block.input : {},
      });
    }
  }
  const { usage } = reply;
  const stopReason = anthropicStopReason(reply.stop_reason);
  const response: LlmResponse = {
    message: { role: 'assistant', content: structured ? JSON.stringify(structured.value) : text, toolCalls },
    // The forced output tool ends the turn; `tool_use` would claim there are tools to run.
    stopReason: structured && toolCalls.length === 0 && stopReason === 'tool_use' ? 'end_turn' : stopReason,
    usage: {
      // Cached prompt tokens are reported apart from `input_tokens`, but they are still input.
      inputTokens:
        usage.input_tokens + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0),
      outputTokens: usage.output_tokens,
    },
  };
  if (structured) response.structured = structured.value;
  return response;
}

function anthropicStopReason(reason: string | null): StopReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'end_turn';
    case 'tool_use':
      return 'tool_use';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'max_tokens';
    default:
      return 'other';
  }
}
