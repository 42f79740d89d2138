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

/** Where a conversation stands, as a workflow holds it: the stored head, then what is not stored yet. */
export interface LogPosition {
  head: string | null;
  pending: LoggedMessage[];
}
