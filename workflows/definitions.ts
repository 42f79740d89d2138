import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import type { ContextState } from '../src/conversation/context-state';
import type { LogPosition } from '../src/conversation/entry';
import type { PatternType } from '../src/spec/schema';

/** Temporal names of contract section 5, shared by workflows, the worker and the API. */

export type RunStatus = 'running' | 'paused' | 'waiting_for_input' | 'idle' | 'completed' | 'failed' | 'cancelled';

export interface HumanInput {
  requestId?: string;
  value: unknown;
}

/** How input arrived: the `provide_input` Update (the API), or the `human_input` signal. */
export type InputVia = 'update' | 'signal';

export interface PendingInput {
  requestId: string;
  /** `elicitation`: an MCP server asks the user during a tool call; answered with {action, content?}. */
  kind: 'input' | 'approval' | 'elicitation';
  prompt: string;
  tool?: string;
  args?: Record<string, unknown>;
  /** An elicitation's requested JSON Schema (MCP's flat object of primitive fields). */
  schema?: Record<string, unknown>;
}

export interface RunUsage {
  inputTokens: number;
  outputTokens: number;
  llmCalls: number;
  toolCalls: number;
  /** USD of the calls whose model has a price; absent when none had one. */
  costUsd?: number;
}

/** What the `state` query returns: the live part of the API's Run object. */
export interface RunState {
  workflow: string;
  pattern: PatternType | 'code';
  status: RunStatus;
  /** What the run is doing now, in words (also the Web UI's current details). */
  step: string;
  iteration: number;
  /** The run's own request, else the first of a running child's (its requestId names the child). */
  pendingInput?: PendingInput;
  /**
   * Every request the run waits on: its own, in the order asked, then each running child's (under
   * the child's id, as pendingInput names it). Only in the `state` query's answer: a child's
   * reports to its parent leave it out, as they are signals in history sent when the state changes.
   */
  pendingInputs?: PendingInput[];
  /**
   * A conversation's last few finished turns (at most RECENT_TURNS), oldest first, each with its
   * own outcome and answer, so that a wait for one turn answers with that turn's outcome rather
   * than the latest. Only in the `state` query's answer, kept in memory: nothing in history.
   */
  recentTurns?: FinishedTurn[];
  /** Usage of the whole tree: this run and every child, running or finished. */
  usage: RunUsage;
  /** Inputs that arrived by signal before anything asked for them, kept for the next request. */
  queuedInputs: number;
  /** Running child workflows (nested patterns and agents), as they last reported. */
  children: ChildRunState[];
  /** A conversation's turns and queue (contract section 9); absent for a single question. */
  conversation?: ConversationState;
  /** A conversation's latest answer, while it stays open. */
  result?: unknown;
  /** How much of a long conversation the model is sent, for an agent with a context budget. */
  context?: ContextState;
}

export type BusyPolicy = 'queue' | 'reject' | 'interrupt';

export interface ConversationState {
  /** Turns started: the number of the turn running now, or of the last one. */
  turn: number;
  /** Turns answered (or interrupted). */
  finishedTurns: number;
  /** Messages waiting for their turn. */
  queuedMessages: number;
  onMessageWhileBusy: BusyPolicy;
  idleTimeoutSeconds: number;
  /** The run completes once the queue is empty: `close` was asked for. */
  closing: boolean;
  /** How the last finished turn ended, and why when it failed. */
  lastTurn?: { turn: number; outcome: TurnEnd; error?: { code: string; message: string } };
}

/** How one finished conversation turn ended: its answer's text, or why it failed. */
export interface FinishedTurn {
  turn: number;
  outcome: TurnEnd;
  /** The answer, for `answered` and `max_iterations`. */
  text?: string;
  error?: { code: string; message: string };
}

/** A message for a conversation, by signal or Update. */
export interface ConversationMessage {
  input: unknown;
  /**
   * A digest of `input`, sent with an Update whose id is the sender's idempotency key. Temporal
   * answers an id it has seen with the first Update's reply, whatever the new one carries (and a
   * conversation that continued as new answers its latest keys alike); the reply echoes the
   * digest, so the sender can tell a retry from a different message.
   */
  digest?: string;
}

/** The `send_message` Update's reply: the turn, and the message's digest when it came with one. */
export interface MessageReceipt {
  turn: number;
  digest?: string;
}

/** What a conversation takes as a message (by signal or Update); anything else is not used. */
export function isMessage(message: unknown): message is ConversationMessage {
  return typeof message === 'object' && message !== null && 'input' in message && message.input !== undefined;
}

export interface ChildRunState extends RunState {
  workflowId: string;
  /**
   * Counts the child's reports: signals sent in one workflow task may arrive in any order, so the
   * parent keeps the newest.
   */
  sequence: number;
}

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const humanInputSignal = defineSignal<[HumanInput]>('human_input');
/** A child workflow tells its parent how it is doing, so the parent's `state` shows the tree. */
export const childStateSignal = defineSignal<[ChildRunState]>('child_state');
export const stateQuery = defineQuery<RunState>('state');
/** Contract section 9: a message for a conversation; the Update says which turn it starts or waits for. */
export const messageSignal = defineSignal<[ConversationMessage]>('message');
export const sendMessageUpdate = defineUpdate<MessageReceipt, [ConversationMessage]>('send_message');
/** Ends a conversation once its running turn and queued messages are answered. */
export const closeSignal = defineSignal('close');
/** Where a run's conversation stands in the store, for the transcript: its head and what is not stored yet. */
export const transcriptQuery = defineQuery<LogPosition>('transcript');
export const provideInputUpdate = defineUpdate<{ requestId: string }, [HumanInput]>('provide_input');

/** Application failure types the `provide_input` validator raises; the API maps them to 409/422. */
export const InputRejection = {
  NothingPending: 'NothingPending',
  WrongRequest: 'WrongRequestId',
  InvalidValue: 'InvalidInputValue',
} as const;

/** Application failure types the `send_message` validator raises; the API maps them to 409/400. */
export const MessageRejection = {
  NotAConversation: 'NotAConversation',
  Busy: 'ConversationBusy',
  Closing: 'ConversationClosing',
  InvalidMessage: 'InvalidMessage',
} as const;

/**
 * Input requests in history (the events' input_requested / input_received / input_timed_out), as
 * a memo field: history itself holds neither the prompt nor whether an answer was taken.
 */
export const REQUEST_MEMO_KEY = 'input_request';

export type RequestMarker =
  | ({ state: 'requested' } & PendingInput)
  | { state: 'answered'; requestId: string; via: InputVia }
  | { state: 'timed_out'; requestId: string };

/**
 * `patched()` ids of changes to the run machinery that add commands, so that runs started before
 * them replay as they were recorded. A pattern's own changes keep their ids in its file.
 */
export const Patches = {
  InputRequestMarkers: 'input-request-markers',
  UsageMemo: 'usage-memo',
  CancelWins: 'cancel-wins',
  WithdrawFailedCallRequests: 'withdraw-failed-call-requests',
  PauseHoldsCompletion: 'pause-holds-completion',
  AnnounceEveryChildRequest: 'announce-every-child-request',
  AnnounceChildRequestsWhileOwnWait: 'announce-child-requests-while-own-wait',
  /** Model and tool calls that do not pause take no microtask at their step boundary (RunControl.checkpoint). */
  QuickStepBoundaries: 'quick-step-boundaries',
  /** A child run sends its parent one report per step rather than one per change (RunControl.publish). */
  OneChildReportPerStep: 'one-child-report-per-step',
  /** A run whose argument is malformed sets its search attributes before it fails (src/workflow/define.ts). */
  SearchAttributesOfMalformedRuns: 'search-attributes-of-malformed-runs',
  /**
   * A conversation answers a `message` signal that reaches it after close, or after it ended while
   * paused (Conversation): it dropped the first and took the second without ever answering it.
   */
  LateMessageSignals: 'late-message-signals',
  /**
   * A run whose spec says conversation, of a workflow not made with `{conversation: true}`, fails at
   * start (src/workflow/define.ts): it ran as a single question that refused every message.
   */
  RefuseConversationWithoutTurns: 'refuse-conversation-without-turns',
  /**
   * The conversation turn during which the run tree passed its budget ends failed with
   * BudgetExceeded, and the run fails with it at once (Conversation): the turn ended answered, or
   * not at all, when its model call had given an answer before the budget check stopped the run.
   */
  OverBudgetTurnFails: 'over-budget-turn-fails',
} as const;

/** Usage of the whole tree, for run listings (which return memos, not results or state). */
export const USAGE_MEMO_KEY = 'usage';

/** Turn markers in history (the events' turn_started / turn_finished), as a memo field. */
export const TURN_MEMO_KEY = 'turn';

export interface TurnMarker {
  turn: number;
  state: 'started' | 'finished';
  /** started: the start of the turn's message(s); finished: the start of the answer. */
  text?: string;
  /** finished: how the turn ended. */
  outcome?: TurnEnd;
}

/** How a conversation's turn ended; `failed` leaves the conversation open for the next message. */
export type TurnEnd = 'answered' | 'max_iterations' | 'interrupted' | 'failed';

/** A child's request as its parent shows it: `<child workflow id>::<the child's request id>`. */
export const CHILD_REQUEST_SEPARATOR = '::';

export const searchAttributes = {
  workflow: defineSearchAttributeKey('McpAgentWorkflow', 'KEYWORD'),
  pattern: defineSearchAttributeKey('McpAgentPattern', 'KEYWORD'),
  status: defineSearchAttributeKey('McpAgentStatus', 'KEYWORD'),
} as const;

export const searchAttributeNames = Object.values(searchAttributes).map((k) => k.name);
