import { ApplicationFailure } from '@temporalio/workflow';
import type { z } from 'zod';
import { approvalDecisionSchema, type ApprovalDecision } from '../patterns/human-input';
import type { ResolvedNode } from '../spec/schema';
import { FailureTypes } from '../failure-types';
import type { RunUsage } from '../../workflows/definitions';
import { runNode, type NodeResult } from '../../workflows/nodes';
import { resolveNodeActivity } from '../../workflows/activities';
import type { RunControl } from '../../workflows/run-control';
import { askStructured } from '../../workflows/structured-node';
import type { AgentSpec, PatternSpecInput } from './nodes';

/**
 * What a code workflow does with its run: agents and patterns as child workflows (each with its
 * own page in the Web UI, paused, cancelled and asked for input with the run), structured answers,
 * human input, and the step people see. Everything goes through the run's RunControl, which gives
 * a code workflow the signals, Update, query and search attributes a built-in pattern has.
 */

/** How long a code workflow waits for a person unless it says otherwise: a day, as agents do. */
const DEFAULT_INPUT_TIMEOUT_SECONDS = 86_400;

export interface CallOptions {
  /** Names the call in the Web UI and in child workflow ids; default: the agent's or pattern's name. */
  name?: string;
}

export interface StructuredOptions extends CallOptions {
  /** Tells the model what the output is for. */
  description?: string;
}

export interface InputOptions {
  /** How long to wait for an answer before failing with InputTimedOut (default a day). */
  timeoutSeconds?: number;
}

export interface PatternAnswer {
  /** The answer as text, as the next prompt would take it. */
  text: string;
  /** The child workflow's whole result. */
  result: unknown;
}

export class RunContext<Input = unknown> {
  private readonly resolved = new Map<string, Promise<ResolvedNode>>();
  private nodes = 0;

  constructor(
    /** The run's input, as the API (and the config's input_schema) took it. */
    readonly input: Input,
    /** The config workflow's name. */
    readonly name: string,
    private readonly control: RunControl,
  ) {}

  /** An agent from the config by name, `{agent: name, ...overrides}`, or defined inline. */
  agent(spec: AgentSpec): Agent {
    return new Agent(this, spec);
  }

  /** Runs any pattern of contract section 4 as a child workflow and gives its answer. */
  async run(spec: PatternSpecInput, input: unknown, options: CallOptions = {}): Promise<PatternAnswer> {
    const node = await this.resolve(spec, options.name ?? spec.type);
    const answer = await this.runNode(node, input, options);
    return { text: answer.text, result: answer.result };
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

  /** What the run is doing, for `state`, the Run, events and the Web UI's current details. */
  step(text: string): void {
    this.control.setStep(text);
  }

  /** A step boundary: waits here while the run is paused. Every call above has one built in. */
  checkpoint(): Promise<void> {
    return this.control.checkpoint();
  }

  /** Tokens and calls so far, of this run and every child that has finished. */
  usage(): RunUsage {
    return this.control.totalUsage();
  }

  /** @internal Resolved once per distinct spec and name: the local activity's answer is in history. */
  resolve(spec: unknown, name: string): Promise<ResolvedNode> {
    const key = JSON.stringify([spec, name]);
    let resolved = this.resolved.get(key);
    if (!resolved) {
      resolved = resolveNodeActivity(`resolve ${name}`)({ node: spec, name });
      this.resolved.set(key, resolved);
    }
    return resolved;
  }

  /** @internal */
  runNode(node: ResolvedNode, input: unknown, options: CallOptions): Promise<NodeResult> {
    const named = options.name ? { ...node, name: options.name } : node;
    return runNode(named, input, this.control, `call ${++this.nodes}`);
  }

  /** @internal */
  get runControl(): RunControl {
    return this.control;
  }
}

export class Agent {
  constructor(
    private readonly context: RunContext<unknown>,
    private readonly spec: AgentSpec,
  ) {}

  /**
   * Runs the agent on `message` (text, or any JSON) as a child workflow: its tools, human input and
   * approvals as configured, until it answers. Gives the answer's text.
   */
  async generate(message: unknown, options: CallOptions = {}): Promise<string> {
    const node = await this.node();
    return (await this.context.runNode(node, message, options)).text;
  }

  /**
   * One model call with the agent's provider, model and instruction whose answer must match
   * `schema`: native structured output, repaired once, then validated. Gives the typed value.
   */
  async generateStructured<T>(message: string, schema: z.ZodType<T>, options: StructuredOptions = {}): Promise<T> {
    const node = await this.node();
    await this.context.checkpoint();
    return askStructured({
      schema,
      name: options.name ?? 'answer',
      description: options.description,
      prompt: message,
      thinker: { node },
      role: options.name ?? node.name,
      control: this.context.runControl,
    });
  }

  private async node(): Promise<ResolvedNode> {
    const name = typeof this.spec === 'string' ? this.spec : (this.spec.name ?? ('agent' in this.spec ? this.spec.agent : 'agent'));
    const node = await this.context.resolve(this.spec, name);
    if (node.kind !== 'agent') throw ApplicationFailure.nonRetryable(`${name} is not an agent`, FailureTypes.InvalidSpec);
    return node;
  }
}

function inputTimedOut(prompt: string, timeoutSeconds: number): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`Nobody answered "${prompt}" within ${timeoutSeconds} s.`, FailureTypes.InputTimedOut);
}
