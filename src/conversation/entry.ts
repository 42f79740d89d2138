import type { Message } from '../llm/messages';

/**
 * The conversation as it is stored: a hash chain of entries in the blob store. Each LLM call of a
 * loop adds one entry holding the messages that came since the previous entry and the model's
 * reply, and names the entry before it, so one key (the head) stands for the whole conversation.
 * History carries each message once, on its way in; the store keeps every message once.
 * Pure data: workflows import it.
 */

/** A message and the conversation turn it belongs to (1 for a run that is not a conversation). */
export type LoggedMessage = Message & { turn: number };

export interface LogEntry {
  /** The key of the entry before this one; null for the first. */
  prev: string | null;
  messages: LoggedMessage[];
}

/**
 * A conversation turn that ended without an answer. Its messages stay in the conversation (the
 * model is sent them with the next message); this says, in the transcript, why no answer followed.
 */
export interface UnansweredTurn {
  turn: number;
  outcome: 'failed' | 'interrupted';
  /** Why it failed: the failure's type, and its message cut to a preview. */
  error?: { code: string; message: string };
}

/** Where a conversation stands, as a workflow holds it: the stored head, then what is not stored yet. */
export interface LogPosition {
  head: string | null;
  pending: LoggedMessage[];
  /**
   * Turns that ended without an answer, oldest first; absent when there are none. Held beside the
   * chain rather than in it: the model is never sent them, and a summary's cut counts chain messages.
   */
  unanswered?: UnansweredTurn[];
}
