import { ApplicationFailure } from '@temporalio/workflow';
import type { LogPosition } from '../src/conversation/entry';
import { InternedValue, type Interned } from '../src/conversation/interned';
import type { ToolCall, ToolDefinition, ToolResultMessage } from '../src/llm/messages';
import { functionTools, interruptedResult } from '../src/patterns/agent';
import { humanInputTool } from '../src/patterns/human-input';
import { contextVariablesText, handoffTarget, handoffTools, transferredText, unknownTransferText } from '../src/patterns/swarm';
import { runsLocally } from '../src/spec/local-calls';
import type { ResolvedAgent, ResolvedSwarm } from '../src/spec/schema';
import {
  InputDeferred,
  stopReason,
  ToolLoop,
  workflow,
  type ClosedBy,
  type DeferredCall,
  type RunContext,
  type RunUsage,
  type ListedTools,
  type ToolLoopCarry,
  toolSet,
  type ToolSet,
} from '../src/workflow';

export interface SwarmAnswer {
  text: string;
  /** The agent that held the conversation at the end. */
  agent: string;
  /** Every agent that held the conversation, in order, starting with `start`. */
  handoffs: string[];
  context_variables: Record<string, unknown>;
  /** LLM calls made for this answer, whichever agent made them. */
  turns: number;
  stopReason: 'final_answer' | 'max_turns' | 'interrupted';
}

export interface SwarmResult extends SwarmAnswer {
  usage: RunUsage;
  /** Where the whole conversation is stored (`GET /runs/:runId/messages` reads it). */
  transcript: LogPosition;
  /** A conversation's answered turns, and what ended it. */
  conversationTurns?: number;
  closedBy?: ClosedBy;
}

interface ToolSetCarry {
  names: string[];
  definitions: Interned<ToolDefinition[]>;
}

/** The swarm's state at a boundary, handed to the next run on continue-as-new. */
interface SwarmCarry extends Required<ToolLoopCarry> {
  /** The tools of each agent that has spoken. */
  tools: Record<string, ToolSetCarry>;
  /** The system prompt of each agent that has spoken (absent in runs from before agents in a swarm took MCP context). */
  systems?: Record<string, Interned<string>>;
  active: string;
  handoffs: string[];
  contextVariables: Record<string, unknown>;
  /**
   * The turn that was running and the LLM calls it had made; with `deferred`, the tool calls of
   * `speaker`'s last reply still to run, the first of them waiting for input.
   */
  current?: { turn: number; calls: number; lastText: string; speaker?: string; deferred?: DeferredCall[] };
  last?: SwarmAnswer;
}

type SwarmRun = RunContext<unknown, ResolvedSwarm, SwarmCarry>;

/**
 * OpenAI-Swarm-style: one conversation that agents pass between them. The active agent speaks with
 * its own instruction (plus the shared context variables) and its own tools: its MCP servers'
 * tools, its config functions, and a `transfer_to_<agent>` tool for each of its handoffs. A transfer
 * tool, or a function calling `transferTo(agent)`, makes another agent active from the next call.
 * A turn ends when the active agent answers without tool calls, or after `max_turns` LLM calls; a
 * conversation keeps its active agent and context variables from one message to the next.
 */
export const swarmWorkflow = workflow((run: SwarmRun) => new SwarmLoop(run).execute(), { pattern: 'swarm', conversation: true });

class SwarmLoop {
  private readonly spec: ResolvedSwarm;
  private readonly members: Map<string, ResolvedAgent>;
  private readonly loop: ToolLoop;
  private readonly toolSets = new Map<string, Promise<ToolSet>>();
  private readonly serverTools = new Map<string, Promise<ListedTools>>();
  /**
   * Each agent's system prompt, once it has spoken: its instruction, or what its MCP prompt and
   * resources made of it (the context variables follow it in each call).
   */
  private readonly systems = new Map<string, Promise<InternedValue<string>>>();
  private active: ResolvedAgent;
  private handoffs: string[];
  private contextVariables: Record<string, unknown>;
  private last?: SwarmAnswer;
  private lastText = '';

  constructor(
    private readonly run: SwarmRun,
  ) {
    const { spec, carried: carry } = run;
    this.spec = spec;
    this.members = new Map(spec.agents.map((agent) => [agent.name, agent]));
    const start = this.members.get(carry?.active ?? spec.start);
    if (!start) {
      throw ApplicationFailure.nonRetryable(
        `The swarm starts with "${spec.start}", which is not one of its agents (${[...this.members.keys()].join(', ')}).`,
        'InvalidSpec',
      );
    }
    this.active = start;
    this.handoffs = carry?.handoffs ?? [start.name];
    this.contextVariables = carry?.contextVariables ?? { ...spec.context_variables };
    this.loop = new ToolLoop(run, carry);
    for (const [name, set] of Object.entries(carry?.tools ?? {})) {
      this.toolSets.set(name, Promise.resolve({ names: set.names, definitions: InternedValue.from(set.definitions) }));
    }
    for (const [name, system] of Object.entries(carry?.systems ?? {})) this.systems.set(name, Promise.resolve(InternedValue.from(system)));
    this.last = carry?.last;
    this.lastText = carry?.current?.lastText ?? '';
    this.loop.describe({
      result: () => this.result(),
      hasAnswer: () => this.last !== undefined,
      context: () => (this.active.context ? this.loop.context.state : undefined),
    });
  }

  async execute(): Promise<SwarmResult> {
    // The first agent's prompt messages, as an agent's, come before the input; the others' when they first speak.
    if (!this.run.carried) await this.systemOf(this.active, 1);
    const current = this.run.carried?.current;
    await this.loop.turns({
      ...(current && { resumed: { turn: current.turn, body: () => this.calls(current.turn, current.calls, current) } }),
      answer: (turn) => this.calls(turn, 0),
      answered: (answer) => (this.last = answer),
      continueAsNew: () => this.continueAsNew(),
    });
    return this.result();
  }

  /** LLM calls of the active agent and its tools until one answers or max_turns calls are made. */
  private async calls(turn: number, from: number, resumed?: SwarmCarry['current']): Promise<SwarmAnswer> {
    const { spec, loop } = this;
    if (from === 0) this.lastText = '';
    const speaker = resumed?.speaker !== undefined ? this.members.get(resumed.speaker) : undefined;
    if (speaker && resumed?.deferred) {
      await this.runCalls(speaker, (await this.toolsOf(speaker)).names, resumed.deferred, turn, from);
    }
    for (let call = from + 1; call <= spec.max_turns; call++) {
      // The agent that speaks this call; its tool calls run with its tools even if one hands over.
      const agent = this.active;
      const tools = await this.toolsOf(agent);
      const label = this.run.conversation!.enabled ? { turn, step: call } : { turn: call };
      const system = await this.systemOf(agent, turn);
      const suffix = contextVariablesText(this.contextVariables);
      const { text, calls } = await loop.modelTurn(agent, { system, ...(suffix && { systemSuffix: suffix }), tools: tools.definitions }, label);
      if (text) this.lastText = text;
      if (calls.length === 0) return this.answer(text, call, 'final_answer');
      await this.runCalls(agent, tools.names, calls.map((c) => ({ call: c })), turn, call);
      if (call < spec.max_turns && this.run.historyIsLarge()) await this.continueAsNew({ turn, calls: call, lastText: this.lastText });
    }
    return this.answer(this.lastText, spec.max_turns, 'max_turns');
  }

  /**
   * One after another, unlike the agent loop: each function sees the context variables the one
   * before it left, and transfers take effect in the order the model asked for them.
   */
  private async runCalls(agent: ResolvedAgent, offered: string[], calls: DeferredCall[], turn: number, callNumber: number): Promise<void> {
    for (let index = 0; index < calls.length; index++) {
      const { call, requestId } = calls[index];
      try {
        this.loop.log.add(await this.runCall(agent, offered, call, requestId), turn);
      } catch (error) {
        if (error instanceof InputDeferred) {
          const deferred = [{ call, requestId: error.requestId }, ...calls.slice(index + 1)];
          await this.continueAsNew({ turn, calls: callNumber, lastText: this.lastText, speaker: agent.name, deferred });
        }
        // Every call of the reply gets an answer, whatever stopped the turn.
        for (const rest of calls.slice(index)) this.loop.log.add(interruptedResult(rest.call, stopReason(error)), turn);
        throw error;
      }
    }
  }

  private async runCall(agent: ResolvedAgent, offered: string[], call: ToolCall, requestId?: string): Promise<ToolResultMessage> {
    const target = handoffTarget(call.name, agent.handoffs);
    if (target !== undefined) {
      this.transferTo(target);
      return toolResult(call, transferredText(target));
    }
    const outcome = await this.loop.callTool(call, { agent, offered, contextVariables: this.contextVariables }, requestId);
    const fn = outcome.functionReply;
    if (!fn || fn.isError) return outcome.message;
    this.contextVariables = fn.contextVariables;
    if (fn.transferTo === undefined) return outcome.message;
    if (this.members.has(fn.transferTo)) {
      this.transferTo(fn.transferTo);
      return outcome.message;
    }
    const note = unknownTransferText(fn.transferTo, [...this.members.keys()]);
    return { ...outcome.message, content: `${outcome.message.content}\n\n${note}` };
  }

  private transferTo(name: string): void {
    const next = this.members.get(name);
    if (next && next !== this.active) {
      this.active = next;
      this.handoffs.push(next.name);
    }
  }

  private answer(text: string, turns: number, stopReason: SwarmAnswer['stopReason']): SwarmAnswer {
    return {
      text,
      agent: this.active.name,
      handoffs: [...this.handoffs],
      context_variables: this.contextVariables,
      turns,
      stopReason,
    };
  }

  private result(): SwarmResult {
    const conversation = this.run.conversation!;
    return {
      ...(this.last ?? this.answer('', 0, 'final_answer')),
      usage: this.run.usage(),
      transcript: this.loop.log.position(),
      ...(conversation.enabled && {
        conversationTurns: conversation.turns,
        ...(conversation.closedBy && { closedBy: conversation.closedBy }),
      }),
    };
  }

  private continueAsNew(current?: SwarmCarry['current']): Promise<never> {
    return this.run.continueAsNew(async () => {
      const tools: Record<string, ToolSetCarry> = {};
      for (const [name, set] of this.toolSets) {
        const { names, definitions } = await set;
        tools[name] = { names, definitions: definitions.wire() };
      }
      const systems: Record<string, Interned<string>> = {};
      for (const [name, system] of this.systems) systems[name] = (await system).wire();
      return {
        ...this.loop.carry(),
        tools,
        systems,
        active: this.active.name,
        handoffs: this.handoffs,
        contextVariables: this.contextVariables,
        ...(current && { current }),
        ...(this.last && { last: this.last }),
      };
    });
  }

  /**
   * An agent's system prompt, its MCP prompt and resources read the first time it speaks: a
   * prompt's messages and image resources join the conversation then, in turn `turn`.
   */
  private systemOf(agent: ResolvedAgent, turn: number): Promise<InternedValue<string>> {
    let system = this.systems.get(agent.name);
    if (!system) {
      system = this.run.agentContext(agent).then((context) => {
        if (!context) return new InternedValue(agent.instruction);
        for (const message of context.messages) this.loop.log.add(message, turn);
        return context.system;
      });
      this.systems.set(agent.name, system);
    }
    return system;
  }

  /** Each agent's tools, built the first time it speaks. Servers are listed once per run, however many agents share them. */
  private toolsOf(agent: ResolvedAgent): Promise<ToolSet> {
    let tools = this.toolSets.get(agent.name);
    if (!tools) {
      tools = this.buildTools(agent);
      this.toolSets.set(agent.name, tools);
    }
    return tools;
  }

  private async buildTools(agent: ResolvedAgent): Promise<ToolSet> {
    const { spec, run } = this;
    const descriptions = Object.fromEntries(spec.agents.map((member) => [member.name, member.description]));
    if (agent.servers.length > 0) run.step(`listing tools of ${agent.servers.join(', ')} · ${agent.name}`);
    const own = [
      ...functionTools(agent.functions, { ...agent.function_descriptions, ...spec.functions }),
      ...handoffTools(agent.handoffs, descriptions),
      ...(agent.human_input ? [humanInputTool] : []),
    ];
    return toolSet(await Promise.all(agent.servers.map((server) => this.listServer(server))), own);
  }

  /** A server's tools, listed once per run however many agents use it. */
  private listServer(server: string): Promise<ListedTools> {
    let listed = this.serverTools.get(server);
    if (!listed) {
      // A server's policy is the config's, so any agent that uses the server carries the same one.
      const policy = this.spec.agents.find((agent) => agent.server_calls?.[server])?.server_calls?.[server];
      const local = this.spec.agents.some((agent) => runsLocally(agent, { server }));
      listed = this.run.listedServerTools(server, { policy, local });
      this.serverTools.set(server, listed);
    }
    return listed;
  }
}

function toolResult(call: ToolCall, content: string): ToolResultMessage {
  return { role: 'tool', toolCallId: call.id, name: call.name, content, isError: false };
}
