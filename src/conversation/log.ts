import type { Message } from '../llm/messages';
import type { LoggedMessage, LogPosition, UnansweredTurn } from './entry';
import { preview } from './preview';

/** About 30 KB of notes at most: a conversation through a long outage keeps the latest. */
export const MAX_UNANSWERED_NOTES = 100;

/**
 * A loop's conversation as its workflow keeps it: the key of the stored chain's head and the
 * messages added since (tool results, a new user message) that the next LLM call will store. The
 * workflow never holds the whole conversation, so neither its history nor a continue-as-new input
 * grows with it. Pure: workflows use it.
 */
export class ConversationLog {
  private head: string | null;
  private pending: LoggedMessage[];
  private readonly unanswered: UnansweredTurn[];

  constructor(position?: LogPosition) {
    this.head = position?.head ?? null;
    this.pending = [...(position?.pending ?? [])];
    this.unanswered = [...(position?.unanswered ?? [])];
  }

  add(message: Message, turn: number): void {
    this.pending.push({ ...message, turn });
  }

  /** What the next LLM call continues from: the head, and the messages to store after it. */
  continuation(): { head: string | null; append: LoggedMessage[] } {
    return { head: this.head, append: [...this.pending] };
  }

  /** The LLM call stored the pending messages and its reply; `head` now stands for all of it. */
  stored(head: string): void {
    this.head = head;
    this.pending = [];
  }

  /**
   * A turn ended without an answer: the transcript says so beside its messages. The latest
   * MAX_UNANSWERED_NOTES are kept, since each goes with every continue-as-new and the result.
   */
  turnUnanswered(turn: number, outcome: UnansweredTurn['outcome'], error?: UnansweredTurn['error']): void {
    this.unanswered.push({ turn, outcome, ...(error && { error: { code: error.code, message: preview(error.message) } }) });
    if (this.unanswered.length > MAX_UNANSWERED_NOTES) this.unanswered.splice(0, this.unanswered.length - MAX_UNANSWERED_NOTES);
  }

  position(): LogPosition {
    return { head: this.head, pending: [...this.pending], ...(this.unanswered.length > 0 && { unanswered: [...this.unanswered] }) };
  }
}
