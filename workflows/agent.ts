import { allHandlersFinished, condition, continueAsNew } from '@temporalio/workflow';
import { ContextTracker, type ContextState } from '../src/conversation/context-state';
import type { LogPosition } from '../src/conversation/entry';
import { InternedValue, type Interned } from '../src/conversation/interned';
import { ConversationLog } from '../src/conversation/log';
import type { ToolDefinition } from '../src/llm/messages';
import { functionTools, interruptedResult } from '../src/patterns/agent';
import { humanInputTool } from '../src/patterns/human-input';
import { runsLocally } from '../src/spec/local-calls';
import type { ResolvedAgent, ResolvedAgentPattern, WorkflowInput } from '../src/spec/schema';
import { mcpListToolsActivity } from './activities';
import { readAgentContext } from './agent-context';
import { Conversation, type ClosedBy, type ConversationCarry } from './conversation';
import type { RunUsage } from './definitions';
import { runToCompletion } from './lifecycle';
import { llmTurn, type LoopState } from './llm-turn';
import { historyIsLarge } from './loop-history';
import { InputDeferred, RunControl, type RunControlCarry } from './run-control';
import { runToolCall, type DeferredCall } from './tool-calls';
import { exposeLoop, runTurns, stopReason } from './turns';

export interface AgentAnswer {
  text: string;
  /** LLM turns taken for this answer. */
  iterations: number;
  stopReason: 'final_answer' | 'max_iterations' | 'interrupted';
}

export interface AgentResult extends AgentAnswer {
  usage: RunUsage;
  /** Where the whole conversation is stored (`GET /runs/:runId/messages` reads it). */
  transcript: LogPosition;
  /** A conversation's answered turns, and what ended it. */
  turns?: number;
  closedBy?: ClosedBy;
}

/** The loop's state at a boundary, handed to the next run on continue-as-new. */
interface AgentCarry {
  log: LogPosition;
  tools: { names: string[]; definitions: Interned<ToolDefinition[]> };
  context: ContextState;
  control: RunControlCarry;
  conversation: ConversationCarry;
  /**
   * The turn that was running: the iterations it had taken, its latest text, and calls still
   * waiting for input.
   */
  current?: { turn: number; iteration: number; lastText: string; deferred?: DeferredCall[] };
  last?: AgentAnswer;
  /** The system prompt read at the start (the agent's MCP prompt and resources); absent: its instruction. */
  system?: Interned<string>;
}

export type AgentWorkflowInput = WorkflowInput<ResolvedAgentPattern> & { carry?: AgentCarry };

export async function agentWorkflow(args: AgentWorkflowInput): Promise<AgentResult> {
  const control = new RunControl(args.name, 'agent', args.carry?.control, args.spec.budget);
  const conversation = new Conversation(
    args.spec.conversation,
    control,
    args.carry ? { carry: args.carry.conversation } : { input: args.input },
  );
  return runToCompletion(control, () => new AgentLoop(args, control, conversation).run());
}

interface ToolSet {
  names: string[];
  definitions: InternedValue<ToolDefinition[]>;
}

/**
 * The agent loop (contract section 7), turn by turn: each turn's messages go to the model, every
 * tool call of a reply runs at once, and the results go back, until a final answer or
 * `max_iterations`. The conversation itself is in the store; this loop holds its head only.
 */
class AgentLoop {
  private readonly agent: ResolvedAgent;
  private readonly loop: LoopState;
  private system: InternedValue<string>;
  /** Whether `system` is more than the instruction: read from the agent's MCP prompt and resources. */
  private hasContext: boolean;
  private tools?: ToolSet;
  private last?: AgentAnswer;
  private lastText = '';

  constructor(
    private readonly args: AgentWorkflowInput,
    private readonly control: RunControl,
    private readonly conversation: Conversation,
  ) {
    this.agent = args.spec.agent;
    const carry = args.carry;
    this.loop = {
      log: new ConversationLog(carry?.log),
      context: new ContextTracker(carry?.context),
      control,
    };
    this.system = carry?.system ? InternedValue.from(carry.system) : new InternedValue(this.agent.instruction);
    this.hasContext = carry?.system !== undefined;
    if (carry) this.tools = { names: carry.tools.names, definitions: InternedValue.from(carry.tools.definitions) };
    this.last = carry?.last;
    this.lastText = carry?.current?.lastText ?? '';
    exposeLoop(control, conversation, {
      spec: args.spec,
      log: this.loop.log,
      result: () => this.result(),
      hasAnswer: () => this.last !== undefined,
      context: () => (this.agent.context ? this.loop.context.state : undefined),
    });
  }

  async run(): Promise<AgentResult> {
    if (!this.args.carry) await this.readContext();
    this.tools ??= await this.listTools();
    const { carry } = this.args;
    const current = carry?.current;
    await runTurns(this.conversation, this.args.spec, {
      log: this.loop.log,
      ...(current && { resumed: { turn: current.turn, body: () => this.steps(current.turn, current.iteration, current.deferred) } }),
      answer: (turn) => this.steps(turn, 0),
      answered: (answer) => (this.last = answer),
      continueAsNew: () => this.continueAsNew(),
    });
    return this.result();
  }

  /** Model and tools, iteration by iteration, until an answer or max_iterations. */
  private async steps(turn: number, from: number, deferred: DeferredCall[] = []): Promise<AgentAnswer> {
    const { agent, loop } = this;
    const tools = this.tools!;
    if (from === 0) this.lastText = '';
    if (deferred.length > 0) await this.runCalls(deferred, turn, from);
    for (let iteration = from + 1; iteration <= agent.max_iterations; iteration++) {
      const label = this.conversation.enabled ? { turn, step: iteration } : { turn: iteration };
      const { text, calls } = await llmTurn({ loop, agent, system: this.system, tools: tools.definitions, label });
      if (text) this.lastText = text;
      if (calls.length === 0) return { text, iterations: iteration, stopReason: 'final_answer' };
      await this.runCalls(calls.map((call) => ({ call })), turn, iteration);
      if (iteration < agent.max_iterations && historyIsLarge(this.args.spec)) {
        await this.continueAsNew({ turn, iteration, lastText: this.lastText });
      }
    }
    return { text: this.lastText, iterations: agent.max_iterations, stopReason: 'max_iterations' };
  }

  /**
   * Every call of one reply at once. Results join the conversation in the order of the calls; a
   * call an interrupt stopped gets a result that says so, since a model must see an answer to
   * every call it made. Calls whose wait for input is deferred go on in the next run.
   */
  private async runCalls(calls: DeferredCall[], turn: number, iteration: number): Promise<void> {
    const scope = { agent: this.agent, offered: this.tools!.names, control: this.control };
    const settled = await Promise.allSettled(calls.map(({ call, requestId }) => runToolCall(call, scope, requestId)));
    const deferred: DeferredCall[] = [];
    let failure: { reason: unknown } | undefined;
    settled.forEach((outcome, index) => {
      const { call } = calls[index];
      if (outcome.status === 'fulfilled') this.loop.log.add(outcome.value.message, turn);
      else if (outcome.reason instanceof InputDeferred) deferred.push({ call, requestId: outcome.reason.requestId });
      else {
        failure ??= { reason: outcome.reason };
        this.loop.log.add(interruptedResult(call, stopReason(outcome.reason)), turn);
      }
    });
    if (failure) {
      // The turn ends here: calls whose wait was handed on get an answer too, and their requests close.
      for (const { call, requestId } of deferred) {
        this.control.dropRequest(requestId!);
        this.loop.log.add(interruptedResult(call, stopReason(failure.reason)), turn);
      }
      throw failure.reason;
    }
    if (deferred.length > 0) await this.continueAsNew({ turn, iteration, lastText: this.lastText, deferred });
  }

  private result(): AgentResult {
    return {
      ...(this.last ?? { text: '', iterations: 0, stopReason: 'final_answer' }),
      usage: this.control.totalUsage(),
      transcript: this.loop.log.position(),
      ...(this.conversation.enabled && {
        turns: this.conversation.turns,
        ...(this.conversation.closedBy && { closedBy: this.conversation.closedBy }),
      }),
    };
  }

  private async continueAsNew(current?: AgentCarry['current']): Promise<never> {
    // Every handler here is synchronous, so this waits for nothing (and cannot be cancelled midway).
    if (!allHandlersFinished()) await condition(allHandlersFinished);
    const tools = this.tools!;
    const carry: AgentCarry = {
      log: this.loop.log.position(),
      tools: { names: tools.names, definitions: tools.definitions.wire() },
      context: this.loop.context.state,
      control: this.control.carry(),
      conversation: this.conversation.carry(),
      ...(current && { current }),
      ...(this.last && { last: this.last }),
      ...(this.hasContext && { system: this.system.wire() }),
    };
    return continueAsNew<typeof agentWorkflow>({ name: this.args.name, spec: this.args.spec, input: null, carry });
  }

  /**
   * The agent's MCP prompt and resources, read once when the run starts (workflows/agent-context.ts):
   * the system prompt they make, and a prompt's messages when it opens the conversation.
   */
  private async readContext(): Promise<void> {
    const context = await readAgentContext(this.agent, this.control);
    if (!context) return;
    this.system = context.system;
    this.hasContext = true;
    for (const message of context.messages) this.loop.log.add(message, 1);
  }

  private async listTools(): Promise<ToolSet> {
    const { agent, control } = this;
    control.setStep(`listing tools of ${agent.servers.join(', ') || 'no servers'}`);
    const perServer = await Promise.all(
      agent.servers.map(async (server) => {
        await control.checkpoint();
        return mcpListToolsActivity(`list tools · ${server}`, agent.server_calls?.[server], runsLocally(agent, { server }))({ server });
      }),
    );
    // Runs started before agents could call functions carry specs without `functions`.
    const definitions = [...perServer.flat(), ...functionTools(agent.functions ?? [], agent.function_descriptions)];
    if (agent.human_input) definitions.push(humanInputTool);
    return { names: definitions.map((tool) => tool.name), definitions: new InternedValue(definitions) };
  }
}
