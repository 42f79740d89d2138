import type { LogPosition } from '../src/conversation/entry';
import { InternedValue, type Interned } from '../src/conversation/interned';
import type { ToolDefinition } from '../src/llm/messages';
import { functionTools, interruptedResult } from '../src/patterns/agent';
import { humanInputTool } from '../src/patterns/human-input';
import { runsLocally } from '../src/spec/local-calls';
import type { ResolvedAgent, ResolvedAgentPattern } from '../src/spec/schema';
import {
  InputDeferred,
  stopReason,
  ToolLoop,
  workflow,
  type ClosedBy,
  type DeferredCall,
  type RunContext,
  type RunUsage,
  type ToolLoopCarry,
  toolSet,
  type ToolSet,
} from '../src/workflow';

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
interface AgentCarry extends Required<ToolLoopCarry> {
  tools: { names: string[]; definitions: Interned<ToolDefinition[]> };
  /**
   * The turn that was running: the iterations it had taken, its latest text, and calls still
   * waiting for input.
   */
  current?: { turn: number; iteration: number; lastText: string; deferred?: DeferredCall[] };
  last?: AgentAnswer;
  /** The system prompt read at the start (the agent's MCP prompt and resources); absent: its instruction. */
  system?: Interned<string>;
}

type AgentRun = RunContext<unknown, ResolvedAgentPattern, AgentCarry>;

export const agentWorkflow = workflow((run: AgentRun) => new AgentLoop(run).execute(), { pattern: 'agent', conversation: true });

/**
 * The agent loop (contract section 7), turn by turn: each turn's messages go to the model, every
 * tool call of a reply runs at once, and the results go back, until a final answer or
 * `max_iterations`. The conversation itself is in the store; this loop holds its head only.
 */
class AgentLoop {
  private readonly agent: ResolvedAgent;
  private readonly loop: ToolLoop;
  private system: InternedValue<string>;
  /** Whether `system` is more than the instruction: read from the agent's MCP prompt and resources. */
  private hasContext: boolean;
  private tools?: ToolSet;
  private last?: AgentAnswer;
  private lastText = '';

  constructor(private readonly run: AgentRun) {
    this.agent = run.spec.agent;
    const carry = run.carried;
    this.loop = new ToolLoop(run, carry);
    this.system = carry?.system ? InternedValue.from(carry.system) : new InternedValue(this.agent.instruction);
    this.hasContext = carry?.system !== undefined;
    if (carry) this.tools = { names: carry.tools.names, definitions: InternedValue.from(carry.tools.definitions) };
    this.last = carry?.last;
    this.lastText = carry?.current?.lastText ?? '';
    this.loop.describe({
      result: () => this.result(),
      hasAnswer: () => this.last !== undefined,
      context: () => (this.agent.context ? this.loop.context.state : undefined),
    });
  }

  async execute(): Promise<AgentResult> {
    if (!this.run.carried) await this.readContext();
    this.tools ??= await this.listTools();
    const current = this.run.carried?.current;
    await this.loop.turns({
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
      const label = this.run.conversation!.enabled ? { turn, step: iteration } : { turn: iteration };
      const { text, calls } = await loop.modelTurn(agent, { system: this.system, tools: tools.definitions }, label);
      if (text) this.lastText = text;
      if (calls.length === 0) return { text, iterations: iteration, stopReason: 'final_answer' };
      await this.runCalls(calls.map((call) => ({ call })), turn, iteration);
      if (iteration < agent.max_iterations && this.run.historyIsLarge()) {
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
    const scope = { agent: this.agent, offered: this.tools!.names };
    const settled = await this.loop.callTools(calls, scope);
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
        this.run.withdrawInput(requestId!);
        this.loop.log.add(interruptedResult(call, stopReason(failure.reason)), turn);
      }
      throw failure.reason;
    }
    if (deferred.length > 0) await this.continueAsNew({ turn, iteration, lastText: this.lastText, deferred });
  }

  private result(): AgentResult {
    const conversation = this.run.conversation!;
    return {
      ...(this.last ?? { text: '', iterations: 0, stopReason: 'final_answer' }),
      usage: this.run.usage(),
      transcript: this.loop.log.position(),
      ...(conversation.enabled && {
        turns: conversation.turns,
        ...(conversation.closedBy && { closedBy: conversation.closedBy }),
      }),
    };
  }

  private continueAsNew(current?: AgentCarry['current']): Promise<never> {
    return this.run.continueAsNew(() => {
      const tools = this.tools!;
      return {
        ...this.loop.carry(),
        tools: { names: tools.names, definitions: tools.definitions.wire() },
        ...(current && { current }),
        ...(this.last && { last: this.last }),
        ...(this.hasContext && { system: this.system.wire() }),
      };
    });
  }

  /**
   * The agent's MCP prompt and resources, read once when the run starts: the system prompt they
   * make, and a prompt's messages when it opens the conversation.
   */
  private async readContext(): Promise<void> {
    const context = await this.run.agentContext(this.agent);
    if (!context) return;
    this.system = context.system;
    this.hasContext = true;
    for (const message of context.messages) this.loop.log.add(message, 1);
  }

  private async listTools(): Promise<ToolSet> {
    const { agent, run } = this;
    run.step(`listing tools of ${agent.servers.join(', ') || 'no servers'}`);
    const listed = await Promise.all(
      agent.servers.map((server) =>
        run.listedServerTools(server, { policy: agent.server_calls?.[server], local: runsLocally(agent, { server }) }),
      ),
    );
    // Runs started before agents could call functions carry specs without `functions`.
    const own = [...functionTools(agent.functions ?? [], agent.function_descriptions), ...(agent.human_input ? [humanInputTool] : [])];
    return toolSet(listed, own);
  }
}
