import { ApplicationFailure } from '@temporalio/workflow';
import type { Message, ToolCall, ToolDefinition } from '../src/llm/messages';
import { conversationTooLarge, llmSummary } from '../src/patterns/agent';
import type { ResolvedAgent } from '../src/spec/schema';
import { llmActivity } from './activities';
import type { RunControl } from './run-control';

/**
 * One LLM turn of a tool-using loop (the agent loop, the swarm): a step boundary, the call as an
 * activity, usage recorded, the reply added to the conversation. Returns the turn's tool calls.
 */
export async function llmTurn(options: {
  agent: ResolvedAgent;
  system: string;
  messages: Message[];
  tools: ToolDefinition[];
  turn: number;
  control: RunControl;
}): Promise<{ text: string; calls: ToolCall[] }> {
  const { agent, messages, turn, control } = options;
  const tooLarge = conversationTooLarge(messages);
  if (tooLarge) throw ApplicationFailure.nonRetryable(tooLarge, 'ConversationTooLarge');
  await control.checkpoint();
  control.setStep(`llm turn ${turn} · ${agent.name}`, turn);
  const reply = await llmActivity(llmSummary(agent.provider, agent.model, agent.name, turn))({
    provider: agent.provider,
    model: agent.model,
    system: options.system,
    messages,
    tools: options.tools,
    maxTokens: agent.max_tokens,
    temperature: agent.temperature,
  });
  control.recordLlmCall(reply.usage);
  messages.push(reply.message);
  const calls = reply.message.toolCalls;
  if (calls.length > 0) {
    control.setStep(`${calls.length} tool call${calls.length > 1 ? 's' : ''} · turn ${turn} · ${agent.name}`);
  }
  return { text: reply.message.content, calls };
}
