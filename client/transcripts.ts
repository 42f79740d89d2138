import { z } from 'zod';
import type { LoggedMessage, LogPosition, UnansweredTurn } from '../src/conversation/entry';
import type { ConversationStore } from '../src/conversation/store';
import { runErrorSchema, snakeCase } from './run-view';

/**
 * A run's transcript (`GET /runs/:runId/messages`): every message of its conversation, oldest
 * first, read from the store and paged. The transcript only grows, so a cursor is simply the
 * index of the next message. A turn that ended without an answer (failed, interrupted) keeps its
 * messages, and its user messages say how it ended.
 */

export const transcriptMessageSchema = z
  .object({
    turn: z.number().describe('The conversation turn (1 for a run that is no conversation)'),
    role: z.enum(['user', 'assistant', 'tool']),
    text: z.string().describe('The whole text, however long'),
    toolCalls: z
      .array(z.object({ id: z.string(), name: z.string(), arguments: z.record(z.string(), z.unknown()) }))
      .optional()
      .describe('assistant: the tools it called'),
    tool: z.string().optional().describe('tool: the tool that answered'),
    toolCallId: z.string().optional().describe('tool: the call it answers'),
    isError: z.boolean().optional().describe("tool: the answer is the tool's error"),
    outcome: z
      .enum(['failed', 'interrupted'])
      .optional()
      .describe("user: the message's turn ended without an answer: it failed, or a newer message interrupted it"),
    error: runErrorSchema.optional().describe("user: why the message's turn failed"),
  })
  .meta({ id: 'TranscriptMessage' });
export type TranscriptMessage = z.infer<typeof transcriptMessageSchema>;

export const transcriptPageSchema = z.object({
  messages: z.array(transcriptMessageSchema),
  next: z.string().optional().describe('Pass as ?cursor= for the next page; absent on the last page'),
});
export type TranscriptPage = z.infer<typeof transcriptPageSchema>;

export async function transcriptPage(
  store: ConversationStore,
  position: LogPosition,
  cursor: number,
  limit: number,
): Promise<TranscriptPage> {
  const all = [...(await store.messages(position.head)), ...position.pending];
  const end = Math.min(all.length, cursor + limit);
  const page = await store.resolve(all.slice(cursor, end));
  const unanswered = new Map((position.unanswered ?? []).map((ended) => [ended.turn, ended]));
  const messages = page.map((message) => transcriptMessage(message, unanswered.get(message.turn)));
  return { messages, ...(end < all.length && { next: String(end) }) };
}

function transcriptMessage(message: LoggedMessage, unanswered: UnansweredTurn | undefined): TranscriptMessage {
  switch (message.role) {
    case 'user':
      return { turn: message.turn, role: 'user', text: message.content, ...(unanswered && turnEnd(unanswered)) };
    case 'assistant':
      return {
        turn: message.turn,
        role: 'assistant',
        text: message.content,
        ...(message.toolCalls.length > 0 && { toolCalls: message.toolCalls }),
      };
    case 'tool':
      return {
        turn: message.turn,
        role: 'tool',
        text: message.content,
        tool: message.name,
        toolCallId: message.toolCallId,
        isError: message.isError,
      };
  }
}

function turnEnd({ outcome, error }: UnansweredTurn): Pick<TranscriptMessage, 'outcome' | 'error'> {
  return { outcome, ...(error && { error: { code: snakeCase(error.code), message: error.message } }) };
}
