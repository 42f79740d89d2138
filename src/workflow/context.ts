import { allHandlersFinished, ApplicationFailure, condition, continueAsNew, DeterminismViolationError } from '@temporalio/workflow';
import type { z } from 'zod';
import type { EmbedInput } from '../../activities/contracts';
import type { Message, ToolDefinition } from '../llm/messages';
import { approvalDecisionSchema, type ApprovalDecision } from '../patterns/human-input';
import type { ResolvedCode } from '../spec/code';
import type { CallPolicy, ResolvedAgent, ResolvedLoop, ResolvedModel, ResolvedNode, RunSpec, WorkflowInput } from '../spec/schema';
import { FailureTypes } from '../failure-types';
import type { RunUsage } from '../../workflows/definitions';
import { embedActivity, llmActivity, mcpListToolsActivity, mcpStoredToolsActivity, resolveNodeActivity } from '../../workflows/activities';
import { readAgentContext, type AgentContext } from '../../workflows/agent-context';
import type { Conversation, ConversationCarry } from '../../workflows/conversation';
import { historyIsLarge } from '../../workflows/loop-history';
import { runNode } from '../../workflows/nodes';
import type { RunControl, RunControlCarry } from '../../workflows/run-control';
import { generateStructured } from '../../workflows/structured';
import { askStructured } from '../../workflows/structured-node';
import type { AgentSpec, NodeSpec, PatternSpecInput } from './nodes';
import { listedTools, type ListedTools } from './tool-set';

/**
 * What a workflow does with its run: nodes (agents, patterns, functions) as child workflows or
 * activities (each with its own entry in the Web UI, paused, cancelled and asked for input with the
 * run), model calls of its own, embeddings, structured answers, human input, and the step people
 * see. Everything goes through the run's RunControl, which gives the workflow the signals, Update,
 * query and search attributes every pattern has. The built-in composition patterns are written on
 * this API too.
 */

/** How long a workflow waits for a person unless it says otherwise: a day, as agents do. */
const DEFAULT_INPUT_TIMEOUT_SECONDS = 86_400;
const DEFAULT_MAX_TOKENS = 4096;

export interface CallOptions {
  /** Names the call in the Web UI and in child workflow ids; default: the node's name. */
  name?: string;
  /** What the call is for, shown before the node's name in the Web UI (`step 2 · task 1/3`). */
  role?: string;
}

/**
 * A structured answer's schema: an object at the root (z.object), since providers' structured
 * output asks for one; a list or a single value goes inside one, e.g. z.object({ items: z.array(...) }).
 */
export type StructuredSchema<T> = z.ZodType<T, Record<string, unknown>>;

export interface StructuredOptions {
  /** The output's name as the provider sees it: letters, digits, `_` and `-`. */
  name?: string;
  /** Tells the model what the output is for. */
  description?: string;
  /** What the call is for, in the Web UI. */
  role?: string;
}

export interface InputOptions {
  /** How long to wait for an answer before failing with InputTimedOut (default a day). */
  timeoutSeconds?: number;
}

export interface NodeAnswer<Result = unknown> {
  /** The node's name. */
  name: string;
  /** The answer as text, as the next prompt would take it. */
  text: string;
  /** The child workflow's whole result (a pattern's: RouterResult, SwarmResult, ...), or the function's value. */
  result: Result;
}

/** What the workflow's own model is asked: a user message, or a whole conversation with its system prompt. */
export type Prompt = string | { system?: string; messages: Message[]; maxTokens?: number };

export interface ModelDefaults {
  system?: string;
  maxTokens?: number;
}

export interface EmbedOptions {
  provider: EmbedInput['provider'];
  /** Empty: the provider's `embedding_model` from the worker's config. */
  model?: string;
  /** Cohere embeds queries and the documents they are matched against differently. */
  purpose?: EmbedInput['purpose'];
  /** What the call is for, in the Web UI. */
  role?: string;
}

/**
 * What a run hands to the next one when it continues as new: the workflow's own state, and the
 * run's (pause, usage, open input requests, a conversation's queue), which the API keeps whole.
 */
export type Carried<State> = State & { control: RunControlCarry; conversation?: ConversationCarry };

export class RunContext<Input = unknown, Spec extends RunSpec = ResolvedCode, State = unknown> {
  /** The run's input, as the API (and the config's input_schema) took it; null in a run that continued as new. */
  readonly input: Input;
  /** The config workflow's name, or the pattern type of an ad-hoc run. */
  readonly name: string;
  /** What the run was started with, resolved from the config at start. */
  readonly spec: Spec;
  /** What the run before this one handed on with `continueAsNew`; undefined in a fresh run. */
  readonly carried?: Carried<State>;
  private readonly resolved = new Map<string, Promise<ResolvedNode>>();
  private calls = 0;

  constructor(
    args: WorkflowInput<Spec> & { carry?: Carried<State> },
    /** @internal */
    readonly control: RunControl,
    /** The run's turns, when the workflow was made with `conversation: true`. */
    readonly conversation?: Conversation,
  ) {
    this.input = args.input as Input;
    this.name = args.name;
    this.spec = args.spec;
    this.carried = args.carry;
  }

  /** Any node: a configured agent's name, `{agent, ...overrides}`, an inline agent or pattern, `{function}`, or a resolved node. */
  node(spec: NodeSpec | ResolvedNode): Node {
    return new Node(this, spec);
  }

  /** An agent from the config by name, `{agent: name, ...overrides}`, or defined inline. */
  agent(spec: AgentSpec | ResolvedNode): Node {
    return new Node(this, spec, 'agent');
  }

  /**
   * An agent's whole definition as the config resolves it (provider, model, instruction, servers,
   * functions, settings), for a workflow that runs the agent's model and tools itself with a ToolLoop.
   */
  async agentDefinition(spec: AgentSpec): Promise<ResolvedAgent> {
    const name = specName(spec);
    const node = sameAsRecorded(await this.resolve(spec, name), name);
    if (node.kind !== 'agent') throw ApplicationFailure.nonRetryable(`${node.name} is a ${node.kind}, not an agent`, FailureTypes.InvalidSpec);
    return node.agent;
  }

  /** Runs any pattern of contract section 4 as a child workflow and gives its answer. */
  async run<Result = unknown>(spec: PatternSpecInput | ResolvedNode, input: unknown, options: CallOptions = {}): Promise<NodeAnswer<Result>> {
    return (await new Node(this, spec, 'pattern').call(input, options)) as NodeAnswer<Result>;
  }

  /** Calls of the workflow's own: a model chosen here, with the system prompt and token limit to use. */
  model(choice: ResolvedModel, defaults: ModelDefaults = {}): Model {
    return new Model(this, choice, defaults);
  }

  /** Vectors for `texts`, one embedding activity (the worker caches them). */
  async embed(texts: string[], options: EmbedOptions): Promise<number[][]> {
    await this.control.checkpoint();
    const summary = options.role ?? `embed ${texts.length} text${texts.length === 1 ? '' : 's'}`;
    const reply = await embedActivity(summary)({ provider: options.provider, model: options.model ?? '', texts, purpose: options.purpose ?? 'document' });
    return reply.vectors;
  }

  /**
   * Asks a person and waits for the answer (`POST /runs/:id/input`, the `provide_input` Update or
   * the `human_input` signal), however long the run is paused meanwhile. Fails with InputTimedOut
   * when nobody answers in time; catch it to go on without.
   */
  async humanInput(prompt: string, options: InputOptions = {}): Promise<unknown> {
    const timeout = options.timeoutSeconds ?? DEFAULT_INPUT_TIMEOUT_SECONDS;
    await this.control.checkpoint();
    const outcome = await this.control.requestInput({ kind: 'input', prompt }, timeout);
    if (!outcome.answered) throw inputTimedOut(prompt, timeout);
    return outcome.value;
  }

  /**
   * Asks a person to approve an action (an approval request, answered `{approved, reason?}` as a
   * tool approval is) and gives the decision.
   */
  async approval(action: string, args: Record<string, unknown> = {}, options: InputOptions = {}): Promise<ApprovalDecision> {
    const timeout = options.timeoutSeconds ?? DEFAULT_INPUT_TIMEOUT_SECONDS;
    const prompt = `Approve ${action}?`;
    await this.control.checkpoint();
    const outcome = await this.control.requestInput({ kind: 'approval', prompt, tool: action, args }, timeout);
    if (!outcome.answered) throw inputTimedOut(prompt, timeout);
    return approvalDecisionSchema.parse(outcome.value);
  }

  /** What the run is doing (and which iteration), for `state`, the Run, events and the Web UI's current details. */
  step(text: string, iteration?: number): void {
    this.control.setStep(text, iteration);
  }

  /** A step boundary: waits here while the run is paused. Node calls and input requests have one built in. */
  checkpoint(): Promise<void> {
    return this.control.checkpoint() ?? Promise.resolve();
  }

  /** Tokens and calls so far, of this run and every child that has finished. */
  usage(): RunUsage {
    return this.control.totalUsage();
  }

  /** A server's tools as the model is offered them: one activity, `list tools · <server>`, after a step boundary. */
  async serverTools(server: string, options: { policy?: CallPolicy; local?: boolean } = {}): Promise<ToolDefinition[]> {
    await this.control.checkpoint();
    return mcpListToolsActivity(`list tools · ${server}`, options.policy, options.local ?? false)({ server });
  }

  /**
   * A server's tools kept in the conversation store: the same activity, answering with the list's
   * key and the tools' names, so that no history holds the list (`toolSet` puts servers' lists
   * and a workflow's own tools together for `ToolLoop.modelTurn`).
   */
  async listedServerTools(server: string, options: { policy?: CallPolicy; local?: boolean } = {}): Promise<ListedTools> {
    await this.control.checkpoint();
    return listedTools(await mcpStoredToolsActivity(`list tools · ${server}`, options.policy, options.local ?? false)({ server }));
  }

  /**
   * The MCP prompt and resources an agent's spec names, read and put together with its
   * instruction (stored: the system prompt's key is all history holds). Undefined when it names
   * none, and the instruction stands as it is.
   */
  agentContext(agent: ResolvedAgent): Promise<AgentContext | undefined> {
    return readAgentContext(agent, this.control);
  }

  /** Closes an input request that a continued run handed on but that will never be waited for again. */
  withdrawInput(requestId: string): void {
    this.control.dropRequest(requestId);
  }

  /** True once this run's history should hand over to a new run (the spec's `history_limit_bytes`, or Temporal's suggestion). */
  historyIsLarge(): boolean {
    return historyIsLarge(this.spec as ResolvedLoop);
  }

  /**
   * Goes on in a new run of the same workflow, with the same name and spec, a null input, and
   * `state()` as the new run's `carried` (with the run's own state: pause, usage, open requests,
   * the conversation). Called once every signal and Update handler has finished.
   */
  async continueAsNew(state: () => State | Promise<State>): Promise<never> {
    if (!allHandlersFinished()) await condition(allHandlersFinished);
    const carry: Carried<State> = {
      ...(await state()),
      control: this.control.carry(),
      ...(this.conversation && { conversation: this.conversation.carry() }),
    };
    return continueAsNew({ name: this.name, spec: this.spec, input: null, carry });
  }

  /** @internal Resolved once per distinct spec and name: the local activity's answer is in history. */
  resolve(spec: NodeSpec | ResolvedNode, name: string): Promise<ResolvedNode> {
    if (isResolved(spec)) return Promise.resolve(spec);
    const key = JSON.stringify([spec, name]);
    let resolved = this.resolved.get(key);
    if (!resolved) {
      resolved = resolveNodeActivity(`resolve ${name}`)({ node: spec, name });
      this.resolved.set(key, resolved);
    }
    return resolved;
  }

  /** @internal */
  nextRole(): string {
    return `call ${++this.calls}`;
  }
}

function isResolved(spec: NodeSpec | ResolvedNode): spec is ResolvedNode {
  return typeof spec === 'object' && spec !== null && 'kind' in spec && (spec.kind === 'agent' || spec.kind === 'pattern' || spec.kind === 'function');
}

function specName(spec: NodeSpec | ResolvedNode): string {
  if (typeof spec === 'string') return spec;
  if ('name' in spec && typeof spec.name === 'string') return spec.name;
  if ('agent' in spec && typeof spec.agent === 'string') return spec.agent;
  if ('function' in spec && typeof spec.function === 'string') return spec.function;
  if ('type' in spec && typeof spec.type === 'string') return spec.type;
  return 'agent';
}

/**
 * A resolved node is always named as asked (`specName` is the resolver's fallback name), so another
 * name means that replay handed this call the recorded resolution of a different one: Temporal does
 * not compare a local activity's input on replay, and the code's calls have changed order or names
 * since the run was recorded. Left alone, the run would go on with the wrong agents; as a
 * nondeterminism error, `mcp-agent replay` reports it and a running run waits for fixed code.
 */
function sameAsRecorded(node: ResolvedNode, name: string): ResolvedNode {
  if (node.name === name) return node;
  throw new DeterminismViolationError(
    `Nondeterminism: the workflow code asks for "${name}" where the run's history resolved "${node.name}": its calls to agents, patterns or functions changed since the run was recorded (guard such a change with patched())`,
  );
}

/** A node of the run: an agent, a nested pattern or a function. */
export class Node {
  constructor(
    private readonly context: RunContext<unknown, RunSpec, unknown>,
    private readonly spec: NodeSpec | ResolvedNode,
    private readonly expected?: ResolvedNode['kind'],
  ) {}

  /** Runs the node on `input` (text or any JSON): a child workflow for an agent or pattern, an activity for a function, whose `args` are `{ input }`. */
  async call(input: unknown, options: CallOptions = {}): Promise<NodeAnswer> {
    const node = await this.resolved();
    const named = options.name ? { ...node, name: options.name } : node;
    return runNode(named, input, this.context.control, options.role ?? this.context.nextRole());
  }

  /** Runs the node (an agent with its tools, human input and approvals as configured) and gives its answer's text. */
  async generate(input: unknown, options: CallOptions = {}): Promise<string> {
    return (await this.call(input, options)).text;
  }

  /**
   * An answer that must match `schema`. An agent answers in one model call with its provider, model
   * and instruction, in native structured output, repaired once, then validated; a pattern or a
   * function runs with the JSON Schema in its input and its answer is validated. Gives the typed value.
   */
  async generateStructured<T>(prompt: string, schema: StructuredSchema<T>, options: StructuredOptions = {}): Promise<T> {
    const node = await this.resolved();
    await this.context.checkpoint();
    return askStructured({
      schema,
      name: options.name ?? 'answer',
      description: options.description,
      prompt,
      thinker: { node },
      role: options.role ?? options.name ?? node.name,
      control: this.context.control,
    });
  }

  private async resolved(): Promise<ResolvedNode> {
    const name = specName(this.spec);
    const node = sameAsRecorded(await this.context.resolve(this.spec, name), name);
    if (this.expected && node.kind !== this.expected) {
      throw ApplicationFailure.nonRetryable(`${name} is a ${node.kind}, not a ${this.expected}`, FailureTypes.InvalidSpec);
    }
    return node;
  }
}

/** A model the workflow calls itself (a planner's, a router's), with no tools. */
export class Model {
  constructor(
    private readonly context: RunContext<unknown, RunSpec, unknown>,
    private readonly choice: ResolvedModel,
    private readonly defaults: ModelDefaults,
  ) {}

  /** One model call; gives the reply's text. */
  async generate(prompt: Prompt, options: { role?: string } = {}): Promise<string> {
    await this.context.checkpoint();
    const reply = await llmActivity(this.summary(options.role))(this.request(prompt));
    this.context.control.recordLlmCall(reply.usage);
    return reply.message.content;
  }

  /** One model call in native structured output, repaired once, validated against `schema`. */
  async generateStructured<T>(prompt: Prompt, schema: StructuredSchema<T>, options: StructuredOptions = {}): Promise<T> {
    await this.context.checkpoint();
    return generateStructured({
      schema,
      name: options.name ?? 'answer',
      description: options.description,
      request: this.request(prompt),
      summary: this.summary(options.role),
      onUsage: (usage) => this.context.control.recordLlmCall(usage),
    });
  }

  private request(prompt: Prompt) {
    const { provider, model } = this.choice;
    const asked = typeof prompt === 'string' ? { messages: [{ role: 'user' as const, content: prompt }] } : prompt;
    return {
      provider,
      model,
      system: asked.system ?? this.defaults.system,
      messages: asked.messages,
      tools: [],
      maxTokens: asked.maxTokens ?? this.defaults.maxTokens ?? DEFAULT_MAX_TOKENS,
    };
  }

  private summary(role: string | undefined): string {
    const label = `${this.choice.provider}/${this.choice.model}`;
    return role ? `${role} · ${label}` : label;
  }
}

/** Whether `error` is a humanInput or approval that nobody answered in time (and not, say, a cancel). */
export function isInputTimedOut(error: unknown): boolean {
  return error instanceof ApplicationFailure && error.type === FailureTypes.InputTimedOut;
}

function inputTimedOut(prompt: string, timeoutSeconds: number): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`Nobody answered "${prompt}" within ${timeoutSeconds} s.`, FailureTypes.InputTimedOut);
}
