import { ApplicationFailure } from '@temporalio/workflow';
import { ContextTracker, type ContextState } from '../conversation/context-state';
import type { LogPosition } from '../conversation/entry';
import { InternedValue } from '../conversation/interned';
import { ConversationLog } from '../conversation/log';
import type { ToolCall, ToolDefinition } from '../llm/messages';
import type { ResolvedAgent, ResolvedLoop, RunSpec } from '../spec/schema';
import { FailureTypes } from '../failure-types';
import type { Conversation } from '../../workflows/conversation';
import { llmTurn, type TurnLabel } from '../../workflows/llm-turn';
import { runToolCall, type DeferredCall, type ToolCallOutcome, type ToolCallScope } from '../../workflows/tool-calls';
import { exposeLoop, runTurns, type LoopFace, type TurnAnswer, type TurnLoop } from '../../workflows/turns';
import type { RunContext } from './context';

/**
 * A tool-using loop's parts, on which the agent loop and the swarm are written: a conversation
 * kept in the store (history holds its head, never its messages), model turns that continue it
 * with an agent's settings, summarizing first when its context budget says so, and tool calls run
 * the way an agent runs them (MCP tools and functions as activities, `human_input`, approvals).
 * With a workflow made with `conversation: true`, `turns` answers the run's input and then each
 * message until the conversation ends.
 */

/** Where a loop's conversation stood when the run continued as new. */
export interface ToolLoopCarry {
  log?: LogPosition;
  context?: ContextState;
}

export class ToolLoop {
  /** The conversation: what the next model turn continues. */
  readonly log: ConversationLog;
  /** How much of it the model is sent, for agents with a context budget. */
  readonly context: ContextTracker;

  constructor(
    private readonly run: RunContext<unknown, RunSpec, unknown>,
    carry: ToolLoopCarry = {},
  ) {
    this.log = new ConversationLog(carry.log);
    this.context = new ContextTracker(carry.context);
  }

  /** What a continued run needs to pick the conversation up where this one left it. */
  carry(): Required<ToolLoopCarry> {
    return { log: this.log.position(), context: this.context.state };
  }

  /**
   * One model call of `agent` on the conversation so far, with `system` and `tools`: a step
   * boundary, then an activity summarized `<provider>/<model> · <agent> · turn N`. The reply joins
   * the conversation; its text and tool calls come back. Pass the same InternedValue each turn and
   * history carries the system prompt and tool list once, then only their keys.
   */
  modelTurn(
    agent: ResolvedAgent,
    prompt: {
      system: string | InternedValue<string>;
      /** Text put after the system prompt for this call only, for what changes from call to call. */
      systemSuffix?: string;
      tools: ToolDefinition[] | InternedValue<ToolDefinition[]>;
    },
    label: TurnLabel,
  ): Promise<{ text: string; calls: ToolCall[] }> {
    const system = prompt.system instanceof InternedValue ? prompt.system : new InternedValue(prompt.system);
    const tools = prompt.tools instanceof InternedValue ? prompt.tools : new InternedValue(prompt.tools);
    const loop = { log: this.log, context: this.context, control: this.run.control };
    return llmTurn({ loop, agent, system, ...(prompt.systemSuffix && { systemSuffix: prompt.systemSuffix }), tools, label });
  }

  /**
   * One tool call of a reply, as `scope.agent` may make it: one of its MCP servers' tools or config
   * functions, `human_input` (when the agent has it), with an approval first where `approve_tools`
   * names the tool. A tool the workflow adds itself (`toolSet(listed, ownTools)`) is not one it can
   * run: handle such calls in the workflow before calling callTool, which otherwise answers the
   * model that callTool cannot run it. Whatever goes wrong on the tool's side is a result for the
   * model; an interrupt, a cancel or an InputDeferred is thrown. `resume` names the input request
   * a continued run left open for this call.
   */
  callTool(call: ToolCall, scope: Omit<ToolCallScope, 'control'>, resume?: string): Promise<ToolCallOutcome> {
    return runToolCall(call, { ...scope, control: this.run.control }, resume);
  }

  /**
   * Every call of one reply at once, settled in the order of the calls (what settles as rejected
   * is what `callTool` throws). A reply's usual one call settles through one promise where
   * Promise.allSettled makes three, each a stack trace; RunControl.checkpoint says why that counts,
   * and why runs from before it keep the three.
   */
  callTools(calls: readonly DeferredCall[], scope: Omit<ToolCallScope, 'control'>): Promise<Array<PromiseSettledResult<ToolCallOutcome>>> {
    const pending = calls.map(({ call, requestId }) => this.callTool(call, scope, requestId));
    if (pending.length !== 1 || !this.run.control.quickBoundaries()) return Promise.allSettled(pending);
    return pending[0].then(
      (value) => [{ status: 'fulfilled', value }],
      (reason: unknown) => [{ status: 'rejected', reason }],
    );
  }

  /**
   * Shows the loop in `state` (a conversation's turns and latest answer, the context budget) and
   * to the `transcript` query (`GET /runs/:runId/messages`). Call it before the workflow's first
   * await, so no query finds it missing.
   */
  describe(face: Omit<LoopFace, 'log' | 'spec'>): void {
    exposeLoop(this.run.control, this.run.conversation, { ...face, spec: this.run.spec as ResolvedLoop, log: this.log });
  }

  /** The run's turns: a turn a continued run left running, then the input, then each message until the conversation ends. */
  turns<A extends TurnAnswer>(loop: Omit<TurnLoop<A>, 'log'>): Promise<void> {
    return runTurns(this.conversation(), this.run.spec as ResolvedLoop, { ...loop, log: this.log });
  }

  private conversation(): Conversation {
    const { conversation } = this.run;
    if (!conversation) {
      throw ApplicationFailure.nonRetryable('A tool loop takes turns only in a workflow made with `conversation: true`.', FailureTypes.InvalidSpec);
    }
    return conversation;
  }
}
