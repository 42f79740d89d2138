import type { Message } from '../llm/messages';
import type { LoggedMessage } from './entry';
import { messagesTokens, messageTokens } from './tokens';

/**
 * What the model is sent when a conversation outgrows its context budget. The stored transcript
 * always keeps everything; only the view changes. Pure: the LLM activity builds the view, unit
 * tests check it.
 *
 * - `drop_oldest`: whole earlier turns go first, then the oldest tool steps of the current turn;
 *   the current turn's user message and its latest step always stay.
 * - `stub_tool_results`: older tool results become a one-line stub first (the latest step's stay
 *   whole); if that is not enough, as drop_oldest.
 * - `summarize`: older turns are replaced by a summary that an LLM activity wrote (the workflow
 *   asks for one when the budget is reached); whatever is still too much, as drop_oldest.
 */

export type ContextStrategy = 'drop_oldest' | 'stub_tool_results' | 'summarize';

export interface ContextSettings {
  /** Estimated tokens (see tokens.ts) the model may be sent: system prompt, tools and messages. */
  max_tokens: number;
  strategy: ContextStrategy;
}

export interface ContextView {
  messages: LoggedMessage[];
  /** Estimated tokens of what is sent, system prompt and tools included. */
  tokens: number;
  /** Estimated tokens of the whole conversation (after any summary), before trimming. */
  fullTokens: number;
  /** Messages left out. */
  dropped: number;
  /** Tool results sent as a stub. */
  stubbed: number;
}

export const EARLIER_LEFT_OUT = '(Earlier messages of this conversation are left out here.)';

export function stubText(chars: number): string {
  return `[Tool result left out to fit the context budget: ${chars} characters.]`;
}

/**
 * The view of `messages` (the conversation after any summary) that fits `settings.max_tokens`,
 * given `fixedTokens` for the system prompt and tools.
 */
export function contextView(messages: LoggedMessage[], fixedTokens: number, settings?: ContextSettings): ContextView {
  const fullTokens = fixedTokens + messagesTokens(messages);
  let view = messages;
  let stubbed = 0;
  let dropped = 0;
  if (settings && fullTokens > settings.max_tokens) {
    const budget = settings.max_tokens - fixedTokens;
    if (settings.strategy === 'stub_tool_results') {
      const stubs = stubOldToolResults(view, budget);
      view = stubs.messages;
      stubbed = stubs.count;
    }
    const kept = dropOldest(view, budget);
    view = kept.messages;
    dropped = kept.dropped;
  }
  view = startWithUser(view);
  return { messages: view, tokens: fixedTokens + messagesTokens(view), fullTokens, dropped, stubbed };
}

/** Providers want a user message first; a view cut in the middle of a turn gets a stand-in. */
function startWithUser(messages: LoggedMessage[]): LoggedMessage[] {
  if (messages.length === 0 || messages[0].role === 'user') return messages;
  return [{ role: 'user', content: EARLIER_LEFT_OUT, turn: messages[0].turn }, ...messages];
}

/** Where the last step starts: the last assistant message, whose tool results follow it. */
function lastStepStart(messages: readonly Message[]): number {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === 'assistant') return i;
  return messages.length;
}

function stubOldToolResults(messages: LoggedMessage[], budget: number): { messages: LoggedMessage[]; count: number } {
  const view = [...messages];
  const keepFrom = lastStepStart(view);
  let tokens = messagesTokens(view);
  let count = 0;
  for (let i = 0; i < keepFrom && tokens > budget; i++) {
    const message = view[i];
    if (message.role !== 'tool') continue;
    const chars = message.stored ? message.stored.bytes : message.content.length;
    const stub: LoggedMessage = {
      role: 'tool',
      toolCallId: message.toolCallId,
      name: message.name,
      content: stubText(chars),
      isError: message.isError,
      turn: message.turn,
    };
    tokens += messageTokens(stub) - messageTokens(message);
    view[i] = stub;
    count++;
  }
  return { messages: view, count };
}

/**
 * Leaves out whole units, oldest first, until the rest fits: earlier turns (a user message and all
 * that followed it), then steps of the current turn (an assistant message and its tool results).
 * The current turn's user message and the last step always stay, even if they alone are too much.
 */
function dropOldest(messages: LoggedMessage[], budget: number): { messages: LoggedMessage[]; dropped: number } {
  const currentTurn = lastIndexOf(messages, (m) => m.role === 'user');
  const keepFrom = lastStepStart(messages);
  const units: [number, number][] = [];
  // Earlier turns, each from one user message to the next.
  for (let start = 0; start < currentTurn; ) {
    let end = start + 1;
    while (end < currentTurn && messages[end].role !== 'user') end++;
    units.push([start, end]);
    start = end;
  }
  // Steps of the current turn after its user message, all but the last.
  for (let start = currentTurn + 1; start < keepFrom; ) {
    let end = start + 1;
    while (end < keepFrom && messages[end].role !== 'assistant') end++;
    units.push([start, end]);
    start = end;
  }
  let tokens = messagesTokens(messages);
  const dropped = new Set<number>();
  for (const [start, end] of units) {
    if (tokens <= budget) break;
    for (let i = start; i < end; i++) {
      dropped.add(i);
      tokens -= messageTokens(messages[i]);
    }
  }
  if (dropped.size === 0) return { messages, dropped: 0 };
  return { messages: messages.filter((_, i) => !dropped.has(i)), dropped: dropped.size };
}

function lastIndexOf<T>(items: readonly T[], test: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i])) return i;
  return -1;
}
