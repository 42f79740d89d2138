import { isCancellation, setHandler, TemporalFailure, workflowInfo } from '@temporalio/workflow';
import type { ContextState } from '../src/conversation/context-state';
import type { ConversationLog } from '../src/conversation/log';
import { inputAsUserMessage } from '../src/patterns/agent';
import type { ResolvedLoop } from '../src/spec/schema';
import type { Conversation, TurnOutcome } from './conversation';
import { transcriptQuery } from './definitions';
import { readableFailure } from './lifecycle';
import { historyIsLarge } from './loop-history';
import type { RunControl } from './run-control';

/**
 * What the agent loop and the swarm share around their turns: the run's face (transcript query,
 * conversation and context in `state`, deferred input waits) and the order of turns (a turn left
 * running by the previous run first, then the run's input, then each message until the
 * conversation ends).
 */

export interface TurnAnswer {
  text: string;
  stopReason: string;
}

export interface LoopFace {
  spec: ResolvedLoop;
  log: ConversationLog;
  /** The latest answer as the run's result, while a conversation stays open. */
  result(): unknown;
  hasAnswer(): boolean;
  /** The context budget's state, when the agent (or the swarm's active one) has a budget. */
  context(): ContextState | undefined;
}

/** Registers, before the workflow's first await, what people and the API ask of a loop. */
export function exposeLoop(control: RunControl, conversation: Conversation | undefined, face: LoopFace): void {
  // A person may take days over an approval while messages pile up: the run goes on in a new one,
  // once this one has grown (a run that starts out large would otherwise hand over at once, forever).
  const startSize = workflowInfo().historySize;
  control.deferWaitsWhen(() => historyIsLarge(face.spec) && workflowInfo().historySize > 2 * startSize);
  setHandler(transcriptQuery, () => face.log.position());
  control.describeQueryWith(() => (conversation?.enabled ? { recentTurns: conversation.recentTurns() } : {}));
  control.describeWith(() => {
    const context = face.context();
    return {
      ...(conversation?.enabled && { conversation: conversation.view(), ...(face.hasAnswer() && { result: face.result() }) }),
      ...(context && { context }),
    };
  });
}

export interface TurnLoop<A extends TurnAnswer> {
  log: ConversationLog;
  /** The turn that was running when the run continued as new, to go on with first. */
  resumed?: { turn: number; body: () => Promise<A> };
  /** Answers a turn whose messages are in the log. */
  answer(turn: number): Promise<A>;
  answered(answer: A): void;
  /** At a conversation's turn boundary, once history is large. */
  continueAsNew(): Promise<never>;
}

/** The run's turns, until a single question is answered or the conversation ends. */
export async function runTurns<A extends TurnAnswer>(conversation: Conversation, spec: ResolvedLoop, loop: TurnLoop<A>): Promise<void> {
  const finish = async (turn: number, outcome: TurnOutcome<A>) => {
    if (outcome.kind === 'answered') {
      loop.answered(outcome.value);
      conversation.finish(turn, outcome.value.stopReason === 'final_answer' ? 'answered' : 'max_iterations', outcome.value.text);
    } else {
      const error = outcome.kind === 'failed' ? outcome.error : undefined;
      loop.log.turnUnanswered(turn, outcome.kind, error);
      conversation.finish(turn, outcome.kind, '', error);
    }
    if (conversation.enabled && !conversation.ending && historyIsLarge(spec)) await loop.continueAsNew();
  };
  if (loop.resumed) {
    conversation.resume(loop.resumed.turn);
    await finish(loop.resumed.turn, await conversation.run(loop.resumed.body));
  }
  for (;;) {
    const next = await conversation.next();
    if (!next) return;
    for (const input of next.inputs) loop.log.add(inputAsUserMessage(input), next.turn);
    await finish(next.turn, await conversation.run(() => loop.answer(next.turn)));
    if (!conversation.enabled) return;
  }
}

/** Why a tool call stopped, for its stand-in result: nothing for an interrupt, else the root cause. */
export function stopReason(error: unknown): string | undefined {
  if (isCancellation(error)) return undefined;
  return error instanceof TemporalFailure ? readableFailure(error).message : String(error);
}
