import type { ContextTracker } from '../src/conversation/context-state';
import type { InternedValue } from '../src/conversation/interned';
import type { LoggedMessage } from '../src/conversation/entry';
import type { ConversationLog } from '../src/conversation/log';
import { messagesTokens } from '../src/conversation/tokens';
import type { ToolCall, ToolDefinition } from '../src/llm/messages';
import { agentRequestParams, llmSummary, summarizeSummary } from '../src/patterns/agent';
import type { ResolvedAgent } from '../src/spec/schema';
import { loopLlmActivity, summarizeActivity } from './activities';
import type { RunControl } from './run-control';

/** What every LLM turn of a tool-using loop (the agent loop, the swarm) reads and moves on. */
export interface LoopState {
  log: ConversationLog;
  context: ContextTracker;
  control: RunControl;
}

/** Where a call stands: the turn (a conversation's message, else the loop's iteration) and, in a conversation, the step within it. */
export interface TurnLabel {
  turn: number;
  step?: number;
}

/**
 * One LLM turn of a tool-using loop: a step boundary, a summary first when the agent's context
 * budget calls for one, the call as an activity that continues the stored conversation, usage
 * recorded. Returns the reply's text and tool calls; the reply itself is in the store.
 */
export async function llmTurn(options: {
  loop: LoopState;
  agent: ResolvedAgent;
  system: InternedValue<string>;
  /** Changes between calls, so it is sent as it is rather than interned (a swarm's context variables). */
  systemSuffix?: string;
  tools: InternedValue<ToolDefinition[]>;
  label: TurnLabel;
}): Promise<{ text: string; calls: ToolCall[] }> {
  const { loop, agent, label } = options;
  const { log, context, control } = loop;
  const paused = control.checkpoint();
  if (paused) await paused;
  const { head, append } = log.continuation();
  if (head !== null && context.wantsSummary(agent.context, append)) await summarize(loop, agent, head, append);
  const where = `turn ${label.turn}${label.step !== undefined ? ` · step ${label.step}` : ''}`;
  control.setStep(`llm ${where} · ${agent.name}`, label.step ?? label.turn);
  const reply = await loopLlmActivity(llmSummary(agent.provider, agent.model, agent.name, label.turn, label.step), agent.llm_calls)({
    provider: agent.provider,
    model: agent.model,
    maxTokens: agent.max_tokens,
    ...agentRequestParams(agent),
    system: options.system.wire(),
    ...(options.systemSuffix && { systemSuffix: options.systemSuffix }),
    tools: options.tools.wire(),
    log: { head, append },
    turn: label.turn,
    ...(agent.context && { context: agent.context }),
    ...(context.state.summary && { summary: context.state.summary }),
  });
  control.recordLlmCall(reply.usage);
  log.stored(reply.head);
  if (reply.keys.system) options.system.learn(reply.keys.system);
  if (reply.keys.tools) options.tools.learn(reply.keys.tools);
  context.called(reply.context);
  const calls = reply.message.toolCalls;
  if (calls.length > 0) control.setStep(`${calls.length} tool call${calls.length > 1 ? 's' : ''} · ${where} · ${agent.name}`);
  return { text: reply.message.content, calls };
}

async function summarize(loop: LoopState, agent: ResolvedAgent, head: string, pending: LoggedMessage[]): Promise<void> {
  const { context, control } = loop;
  control.setStep(`summarizing the conversation · ${agent.name}`);
  const reply = await summarizeActivity(summarizeSummary(agent.provider, agent.model, agent.name), agent.llm_calls)({
    provider: agent.provider,
    model: agent.model,
    maxTokens: agent.max_tokens,
    head,
    ...(context.state.summary && { summary: context.state.summary }),
    summarize: {
      keepTokens: context.keepTokens(agent.context!),
      pending: { tokens: messagesTokens(pending), startsWithTool: pending[0]?.role === 'tool' },
    },
  });
  if (!reply.summary) {
    context.nothingToSummarize();
    return;
  }
  control.recordLlmCall(reply.usage);
  context.summarized({ upTo: reply.summary.upTo, key: reply.summary.key }, reply.summary.messages);
}
