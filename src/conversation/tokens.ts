import type { Message, ToolDefinition } from '../llm/messages';

/**
 * Token counts for context budgets, estimated the same way everywhere (the workflow deciding to
 * summarize, the activity trimming what the model is sent): about four characters a token, plus a
 * little for each message's framing. Providers count differently; a budget is a bound to stay well
 * inside, not an exact figure.
 */
export const CHARS_PER_TOKEN = 4;
const MESSAGE_OVERHEAD_TOKENS = 4;

export function textTokens(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

/** A stored tool result counts at its whole length, not the preview the message carries. */
export function messageTokens(message: Message): number {
  let chars = message.role === 'tool' && message.stored ? message.stored.bytes : message.content.length;
  if (message.role === 'assistant') {
    for (const call of message.toolCalls) chars += call.name.length + JSON.stringify(call.arguments).length;
  }
  return textTokens(chars) + MESSAGE_OVERHEAD_TOKENS;
}

export function messagesTokens(messages: readonly Message[]): number {
  return messages.reduce((sum, message) => sum + messageTokens(message), 0);
}

export function toolsTokens(tools: readonly ToolDefinition[]): number {
  return textTokens(JSON.stringify(tools).length);
}
