import {
  ApplicationFailure,
  CancellationScope,
  condition,
  currentUpdateInfo,
  isCancellation,
  log,
  patched,
  setHandler,
  TemporalFailure,
  upsertMemo,
} from '@temporalio/workflow';
import { preview } from '../src/conversation/preview';
import { FailureTypes } from '../src/failure-types';
import { asText } from '../src/patterns/nodes';
import type { ResolvedConversation } from '../src/spec/schema';
import {
  closeSignal,
  isMessage,
  MessageRejection,
  messageSignal,
  Patches,
  sendMessageUpdate,
  TURN_MEMO_KEY,
  USAGE_MEMO_KEY,
  type ConversationMessage,
  type ConversationState,
  type FinishedTurn,
  type MessageReceipt,
  type TurnEnd,
  type TurnMarker,
} from './definitions';
import { readableFailure } from './lifecycle';
import type { RunControl } from './run-control';

/**
 * The turns of a run of a workflow made with `{conversation: true}`: agent, swarm or code
 * (contract section 9). A run whose entry is not a conversation has one turn, its input. A
 * conversation stays open after each answer: messages arrive by the `send_message` Update (which
 * says which turn the message starts or waits for) or the `message` signal; one that comes while a
 * turn runs waits for its turn (`queue`), is refused (`reject`), or cancels the running turn and is
 * answered instead (`interrupt`). `close` ends the conversation once the queue is empty; so does a
 * wait for a message longer than the idle timeout. The Update refuses a message once the
 * conversation is closing or has ended; a signal cannot be refused, so one that reaches the run
 * while the conversation closes, or while it is held open after its end, is answered. (A workflow
 * of one's own that goes on working after `turns` has returned does not answer one that comes then:
 * the worker logs it as unused.)
 *
 * Each turn's start and end are memo upserts in history, which the live events read as
 * turn_started and turn_finished. Construct it first thing in the workflow, beside the RunControl.
 */

interface QueuedMessage {
  turn: number;
  input: unknown;
}

/** State that survives continue-as-new. */
export interface ConversationCarry {
  turn: number;
  finishedTurns: number;
  queue: QueuedMessage[];
  closing: boolean;
  lastTurn?: ConversationState['lastTurn'];
  /** The latest messages sent with a key (their Update's id), oldest first, with their receipts. */
  messageKeys?: Array<{ id: string } & KeyedReceipt>;
}

type KeyedReceipt = Required<MessageReceipt>;

export type TurnError = { code: string; message: string };

export type TurnOutcome<T> = { kind: 'answered'; value: T } | { kind: 'interrupted' } | { kind: 'failed'; error: TurnError };

export type ClosedBy = 'close' | 'idle_timeout';

/** How many finished turns the `state` query remembers, each with its own answer. */
export const RECENT_TURNS = 10;

/**
 * How many message keys a conversation hands on when it continues as new, so that a message sent
 * again with its key is still the same message there, and how many bytes of them: each is its key,
 * digest and turn in the next execution's first event, about 140 bytes for a UUID key and 300 for
 * the longest key the API takes (200 characters): the newest 100 UUID keys fit, or about 50 of
 * the longest.
 */
const CARRIED_MESSAGE_KEYS = 100;
const CARRIED_KEY_BYTES = 16 * 1024;

function carriedBytes(keyed: Map<string, KeyedReceipt>): number {
  let bytes = 0;
  for (const [id, receipt] of keyed) bytes += id.length + receipt.digest.length + 40;
  return bytes;
}

export class Conversation {
  private turn: number;
  private finishedTurns: number;
  private readonly queue: QueuedMessage[];
  private closing: boolean;
  private busy = false;
  private scope?: CancellationScope;
  private interrupting = false;
  private lastTurn?: ConversationState['lastTurn'];
  /** The conversation has ended while paused, and a message signal may still reach it before the resume. */
  private heldOpen = false;
  /**
   * The last RECENT_TURNS finished turns with their answers, for the `state` query only: kept in
   * memory and never written to history, so a replay rebuilds them. Continue-as-new does not carry
   * them (the carry is history): a new execution remembers the turns it finishes itself, and the
   * carried lastTurn (with the carried latest answer) stands for the turn before.
   */
  private readonly recent: FinishedTurn[] = [];
  /**
   * The receipts of the latest messages sent with a key (CARRIED_MESSAGE_KEYS, CARRIED_KEY_BYTES), by key, oldest first.
   * Temporal answers an Update id it has seen with the first reply, but only within one execution:
   * a key sent again after the run continued as new is answered from here.
   */
  private readonly keyed: Map<string, KeyedReceipt>;
  closedBy?: ClosedBy;

  /**
   * A new run's own input is its first turn, queued before any await so that a message sent right
   * after the start waits behind it; a conversation started with a null input waits for a message.
   */
  constructor(
    private readonly settings: ResolvedConversation | undefined,
    private readonly control: RunControl,
    start: { carry: ConversationCarry } | { input: unknown },
  ) {
    const carry = 'carry' in start ? start.carry : undefined;
    this.turn = carry?.turn ?? 0;
    this.finishedTurns = carry?.finishedTurns ?? 0;
    this.queue = [...(carry?.queue ?? [])];
    this.closing = carry?.closing ?? false;
    this.lastTurn = carry?.lastTurn;
    this.keyed = new Map((carry?.messageKeys ?? []).map(({ id, ...receipt }) => [id, receipt]));
    if ('input' in start && !(settings && start.input === null)) this.queue.push({ turn: 1, input: start.input });

    // Echoing the digest needs no patch: replay does not compare an Update's reply with the recorded
    // one, and the digest comes from the Update's own argument, which history holds. Nor do carried
    // keys: a history from before them carries none, so its Updates are all taken as they were, and
    // replay does not compare the continue-as-new command's arguments (the carry) with the recorded.
    setHandler(sendMessageUpdate, (message) => this.receive(message), { validator: (message) => this.validate(message) });
    setHandler(messageSignal, (message) => {
      // A signal has no one to answer: it is queued whatever the busy policy, or logged when it cannot be.
      if (!this.settings) log.warn('A "message" signal reached a run that is not a conversation; it was not used.');
      else if (!isMessage(message)) log.warn('A "message" signal without {input} was not used.', { message });
      else if (!this.takesLateSignal()) log.warn('A "message" signal arrived after the conversation ended; it was not used.');
      else this.enqueue(message.input);
    });
    setHandler(closeSignal, () => {
      if (!this.settings) log.warn('A "close" signal reached a run that is not a conversation; it was not used.');
      this.closing = true;
      this.control.setIdle(false);
    });
  }

  get enabled(): boolean {
    return this.settings !== undefined;
  }

  /** The next turn's number and messages, waiting while idle; undefined once the conversation ends. */
  async next(): Promise<{ turn: number; inputs: unknown[] } | undefined> {
    // Over budget, the run fails now: a message would wait for a turn that can never be answered.
    if (this.settings && this.overBudget()) return undefined;
    if (this.queue.length === 0) {
      if (!this.settings) return this.end('close');
      const closedBy = this.closing ? 'close' : await this.idle(this.settings);
      if (closedBy && !(await this.reopenedWhilePaused(closedBy))) return this.end(closedBy);
    }
    const turn = this.queue[0].turn;
    const inputs: unknown[] = [];
    while (this.queue[0]?.turn === turn) inputs.push(this.queue.shift()!.input);
    this.turn = turn;
    this.busy = true;
    this.mark({ turn, state: 'started', text: preview(inputs.map(asText).join('\n')) });
    return { turn, inputs };
  }

  /** A turn that was running when the run continued as new goes on in this one. */
  resume(turn: number): void {
    this.turn = turn;
    this.busy = true;
  }

  /**
   * Runs a turn's body so that an `interrupt` message can cancel it without cancelling the run. In
   * a conversation a turn that fails (a provider that kept refusing, a server gone for good) ends
   * as `failed` and the conversation stays open; a single question's failure is the run's.
   */
  async run<T>(body: () => Promise<T>): Promise<TurnOutcome<T>> {
    const scope = new CancellationScope();
    this.scope = scope;
    try {
      const value = await scope.run(body);
      return this.failedOverBudget() ?? { kind: 'answered', value };
    } catch (error) {
      if (isCancellation(error)) {
        if (this.interrupting && !CancellationScope.current().consideredCancelled) return { kind: 'interrupted' };
        const overBudget = this.failedOverBudget();
        if (overBudget) return overBudget;
        throw error;
      }
      if (this.settings && error instanceof TemporalFailure) {
        const failure = readableFailure(error);
        log.warn('A conversation turn failed; the conversation stays open.', { turn: this.turn, error: failure.message });
        return { kind: 'failed', error: { code: failure.type ?? 'Error', message: failure.message } };
      }
      throw error;
    } finally {
      this.scope = undefined;
      this.interrupting = false;
    }
  }

  finish(turn: number, outcome: TurnEnd, answer: string, error?: TurnError): void {
    this.busy = false;
    this.finishedTurns = turn;
    this.lastTurn = { turn, outcome, ...(error && { error }) };
    const answered = outcome === 'answered' || outcome === 'max_iterations';
    this.recent.push({ turn, outcome, ...(answered && { text: answer }), ...(error && { error }) });
    if (this.recent.length > RECENT_TURNS) this.recent.shift();
    const text = error ? error.message : answer;
    this.mark({ turn, state: 'finished', outcome, ...(text && { text: preview(text) }) });
  }

  /** Nothing is left to answer and close was asked for: the run completes rather than going on. */
  get ending(): boolean {
    return this.closing && this.queue.length === 0;
  }

  view(): ConversationState | undefined {
    if (!this.settings) return undefined;
    return {
      turn: this.turn,
      finishedTurns: this.finishedTurns,
      queuedMessages: this.queue.length,
      onMessageWhileBusy: this.settings.on_message_while_busy,
      idleTimeoutSeconds: this.settings.idle_timeout_seconds,
      closing: this.closing,
      ...(this.lastTurn && { lastTurn: this.lastTurn }),
    };
  }

  recentTurns(): FinishedTurn[] {
    return [...this.recent];
  }

  get turns(): number {
    return this.finishedTurns;
  }

  carry(): ConversationCarry {
    return {
      turn: this.turn,
      finishedTurns: this.finishedTurns,
      queue: [...this.queue],
      closing: this.closing,
      ...(this.lastTurn && { lastTurn: this.lastTurn }),
      ...(this.keyed.size > 0 && { messageKeys: [...this.keyed].map(([id, receipt]) => ({ id, ...receipt })) }),
    };
  }

  /**
   * The turn during which the run tree passed its budget fails with BudgetExceeded, as the run
   * does, even when the model call that passed it gave an answer (the budget check cancels the run
   * after that call): the turn's outcome agrees with the run's, whether the turn got to its end or
   * was cancelled on the way. A single question's run just fails.
   */
  private failedOverBudget(): { kind: 'failed'; error: TurnError } | undefined {
    const failure = this.settings ? this.overBudget() : undefined;
    return failure && { kind: 'failed', error: { code: failure.type ?? FailureTypes.BudgetExceeded, message: failure.message } };
  }

  /** The run's BudgetExceeded failure once its tree is over budget; runs from before OverBudgetTurnFails went on as they were recorded. */
  private overBudget(): ApplicationFailure | undefined {
    const failure = this.control.budgetExceeded();
    return failure && patched(Patches.OverBudgetTurnFails) ? failure : undefined;
  }

  /** Waits for a message; what ended the conversation when none came. */
  private async idle(settings: ResolvedConversation): Promise<ClosedBy | undefined> {
    this.control.setIdle(true);
    const arrived = await condition(() => this.queue.length > 0 || this.closing, settings.idle_timeout_seconds * 1000, {
      summary: `idle after turn ${this.finishedTurns}: waiting for the next message`,
    });
    this.control.setIdle(false);
    if (this.queue.length > 0) return undefined;
    return arrived ? 'close' : 'idle_timeout';
  }

  /**
   * A paused run does not complete before it is resumed (RunControl.holdCompletionWhilePaused). A
   * conversation that ends while paused waits for the resume itself, so that a message signal
   * arriving meanwhile is answered rather than taken and never answered; the Update still refuses
   * messages then (`validate`), as the conversation has ended.
   */
  private async reopenedWhilePaused(closedBy: ClosedBy): Promise<boolean> {
    if (!this.control.isPaused || !patched(Patches.LateMessageSignals)) return false;
    this.closedBy = closedBy;
    this.heldOpen = true;
    try {
      await this.control.whilePaused(() => this.queue.length > 0);
    } finally {
      this.heldOpen = false;
    }
    if (this.queue.length === 0) return false;
    this.closedBy = undefined;
    return true;
  }

  /**
   * Whether a message signal that comes after close or after the end can still be answered: after
   * close it joins the queue close waits for; after the end only while the run is held open. Runs
   * from before LateMessageSignals dropped it after close, and took it after the end without ever
   * answering it: taking it changed the run's state, which a child run reports to its parent (a
   * command), so those runs still take it.
   */
  private takesLateSignal(): boolean {
    if (this.heldOpen) return true;
    if (this.closedBy !== undefined) return !this.closing && !patched(Patches.LateMessageSignals);
    return !this.closing || patched(Patches.LateMessageSignals);
  }

  private end(closedBy: ClosedBy): undefined {
    this.closedBy = this.settings ? closedBy : undefined;
    return undefined;
  }

  private validate(message: ConversationMessage): void {
    // Whatever the conversation's state now, as Temporal answers a repeat before any validator runs.
    if (this.keyed.has(currentUpdateInfo()!.id)) return;
    if (!this.settings) {
      throw ApplicationFailure.create({
        type: MessageRejection.NotAConversation,
        message: 'This run answers a single question; start it from a workflow entry with conversation: true to send it messages.',
      });
    }
    if (!isMessage(message)) {
      throw ApplicationFailure.create({ type: MessageRejection.InvalidMessage, message: 'A message is {"input": ...}.' });
    }
    if (this.closing) {
      throw ApplicationFailure.create({ type: MessageRejection.Closing, message: 'The conversation is closing and takes no more messages.' });
    }
    // Ended (its idle timeout passed) but not yet closed: a paused run completes only on resume, and
    // a message taken meanwhile would never be answered. (A validator writes no history.)
    if (this.closedBy !== undefined) {
      const why = this.closedBy === 'idle_timeout' ? 'its idle timeout passed' : 'it was closed';
      throw ApplicationFailure.create({ type: MessageRejection.Closing, message: `The conversation has ended (${why}) and takes no more messages.` });
    }
    if (this.settings.on_message_while_busy === 'reject' && (this.busy || this.queue.length > 0)) {
      throw ApplicationFailure.create({
        type: MessageRejection.Busy,
        message: `Turn ${this.turn} is still running and this conversation refuses messages meanwhile; send it once the run is idle.`,
      });
    }
  }

  /**
   * Queues a message, unless its key came with one to a run before this one. That is answered as
   * Temporal answers an Update id it has seen, with the first message's turn and digest, so the API
   * refuses a different message sent with the key (422) as it does within one execution.
   */
  private receive(message: ConversationMessage): MessageReceipt {
    const id = currentUpdateInfo()!.id;
    const seen = this.keyed.get(id);
    if (seen) return seen;
    const turn = this.enqueue(message.input);
    // Only a message sent with a key has a digest: another's Update id is made up by the client, never sent again.
    if (message.digest === undefined) return { turn };
    this.keyed.set(id, { turn, digest: message.digest });
    while (this.keyed.size > CARRIED_MESSAGE_KEYS || carriedBytes(this.keyed) > CARRIED_KEY_BYTES) {
      const [oldest] = this.keyed.keys();
      this.keyed.delete(oldest);
    }
    return { turn, digest: message.digest };
  }

  /** Queues a message and returns the turn that will answer it. */
  private enqueue(input: unknown): number {
    const last = this.queue.at(-1)?.turn;
    const waiting = this.busy || last !== undefined;
    let turn: number;
    if (this.settings?.on_message_while_busy === 'interrupt' && waiting) {
      // Everything that arrives before the interrupted turn has stopped is answered in one turn.
      turn = last ?? this.turn + 1;
      if (this.busy && !this.interrupting) {
        this.interrupting = true;
        this.scope?.cancel();
      }
    } else {
      turn = (last ?? this.turn) + 1;
    }
    this.queue.push({ turn, input });
    this.control.setIdle(false);
    return turn;
  }

  /** A turn's end also brings the usage run listings show up to date. */
  private mark(marker: TurnMarker): void {
    if (!this.settings) return;
    upsertMemo({ [TURN_MEMO_KEY]: marker, ...(marker.state === 'finished' && { [USAGE_MEMO_KEY]: this.control.totalUsage() }) });
  }
}
