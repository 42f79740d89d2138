import type { Message } from '../llm/messages';
import type { LoggedMessage } from './entry';
import { messagesTokens } from './tokens';

/**
 * The `summarize` context strategy's pure parts: where a summary may end, what it covers, the
 * prompt that asks for it, and how later calls carry it. A summary ends at the end of a stored log
 * entry; messages of the next entry that answer tool calls the summary covered (its leading tool
 * results) are covered too, so no later call sends a tool result without its call.
 */

interface Link {
  messages: LoggedMessage[];
}

/** The messages after entry `cut` (all of them for -1) that a call sends beside the summary. */
export function messagesAfter(chain: readonly Link[], cut: number): LoggedMessage[] {
  const rest = chain.slice(cut + 1).flatMap((link) => link.messages);
  if (cut < 0) return rest;
  let start = 0;
  while (start < rest.length && rest[start].role === 'tool') start++;
  return rest.slice(start);
}

/** What a summary ending after entry `cut` covers, beyond the summary before it (ending after `from - 1`). */
export function coveredMessages(chain: readonly Link[], from: number, cut: number): LoggedMessage[] {
  const covered = chain.slice(from, cut + 1).flatMap((link) => link.messages);
  const next = chain[cut + 1]?.messages ?? [];
  for (const message of next) {
    if (message.role !== 'tool') break;
    covered.push(message);
  }
  return covered;
}

/** What is not stored yet and will follow the stored conversation in the next call. */
export interface PendingPart {
  tokens: number;
  /** Tool results come first: the last stored reply's calls, which a summary must not cut off. */
  startsWithTool: boolean;
}

/**
 * The entry a new summary should end after, or undefined when none from `from` on can be one. A
 * summary may end only where no tool result follows (its call would be summarized away). It ends
 * as early as leaves at most `keepTokens` outside it, moved on to the end of a turn when one comes
 * later; when even the most recent part is more than that, as late as it may.
 */
export function summaryCut(chain: readonly Link[], from: number, keepTokens: number, pending: PendingPart = NO_PENDING): number | undefined {
  const last = chain.length - 1;
  const nextRole = (k: number) => (k < last ? chain[k + 1].messages[0]?.role : pending.startsWithTool ? 'tool' : undefined);
  const valid = (k: number) => nextRole(k) !== 'tool';
  let after = pending.tokens;
  let earliest: number | undefined;
  for (let k = last; k >= from && after <= keepTokens; k--) {
    if (valid(k)) earliest = k;
    after += messagesTokens(chain[k].messages);
  }
  if (earliest === undefined) {
    for (let k = last; k >= from; k--) if (valid(k)) return k;
    return undefined;
  }
  for (let k = earliest; k < last; k++) if (nextRole(k) === 'user') return k;
  return earliest;
}

const NO_PENDING: PendingPart = { tokens: 0, startsWithTool: false };

/** Long tool results are cut in the summary request; the summary need not quote them. */
const MAX_CHARS_PER_MESSAGE = 4000;

export const SUMMARY_SYSTEM_PROMPT =
  'You write the running summary of a conversation between a user and an assistant that uses tools. ' +
  'The assistant will continue the conversation with your summary in place of the messages it covers. ' +
  "Keep what it needs: the user's goals, facts and preferences, decisions made, what tools found, " +
  'open questions and anything promised. Leave out pleasantries. Write plain prose or short lists, ' +
  'in the language of the conversation.';

export function summaryRequestText(previous: string | undefined, covered: readonly Message[]): string {
  const lines = covered.map((message) => {
    const text = clipped(message.content);
    switch (message.role) {
      case 'user':
        return `User: ${text}`;
      case 'assistant': {
        const calls = message.toolCalls.map((call) => `${call.name}(${clipped(JSON.stringify(call.arguments))})`);
        return `Assistant: ${text}${calls.length > 0 ? `${text ? '\n' : ''}[calls ${calls.join(', ')}]` : ''}`;
      }
      case 'tool':
        return `Tool ${message.name}${message.isError ? ' (error)' : ''}: ${text}`;
    }
  });
  const earlier = previous ? `The summary so far:\n${previous}\n\nWhat came after it:\n` : 'The conversation:\n';
  return `${earlier}${lines.join('\n\n')}\n\nWrite the updated summary.`;
}

/** The system prompt of a call that sends a summary in place of the conversation's start. */
export function systemWithSummary(system: string, summary: string): string {
  const note = `Summary of the conversation so far (earlier messages are not shown):\n${summary}`;
  return system ? `${system}\n\n${note}` : note;
}

function clipped(text: string): string {
  return text.length > MAX_CHARS_PER_MESSAGE ? `${text.slice(0, MAX_CHARS_PER_MESSAGE)} […]` : text;
}
