import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import type { PatternType } from '../src/spec/schema';

/** Temporal names of contract section 5, shared by workflows, the worker and the API. */

export type RunStatus = 'running' | 'paused' | 'waiting_for_input' | 'completed' | 'failed' | 'cancelled';

export interface HumanInput {
  requestId?: string;
  value: unknown;
}

export interface PendingInput {
  requestId: string;
  kind: 'input' | 'approval';
  prompt: string;
  tool?: string;
  args?: Record<string, unknown>;
}

export interface RunUsage {
  inputTokens: number;
  outputTokens: number;
  llmCalls: number;
  toolCalls: number;
}

/** What the `state` query returns: the live part of the API's Run object. */
export interface RunState {
  workflow: string;
  pattern: PatternType;
  status: RunStatus;
  /** What the run is doing now, in words (also the Web UI's current details). */
  step: string;
  iteration: number;
  /** The run's own request, else the first of a running child's (its requestId names the child). */
  pendingInput?: PendingInput;
  /** Usage of the whole tree: this run and every child, running or finished. */
  usage: RunUsage;
  /** Inputs that arrived by signal before anything asked for them, kept for the next request. */
  queuedInputs: number;
  /** Running child workflows (nested patterns and agents), as they last reported. */
  children: ChildRunState[];
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
export const provideInputUpdate = defineUpdate<{ requestId: string }, [HumanInput]>('provide_input');

/** Application failure types the `provide_input` validator raises; the API maps them to 409/422. */
export const InputRejection = {
  NothingPending: 'NothingPending',
  WrongRequest: 'WrongRequestId',
  InvalidValue: 'InvalidInputValue',
} as const;

/** A child's request as its parent shows it: `<child workflow id>::<the child's request id>`. */
export const CHILD_REQUEST_SEPARATOR = '::';

export const searchAttributes = {
  workflow: defineSearchAttributeKey('McpAgentWorkflow', 'KEYWORD'),
  pattern: defineSearchAttributeKey('McpAgentPattern', 'KEYWORD'),
  status: defineSearchAttributeKey('McpAgentStatus', 'KEYWORD'),
} as const;

export const searchAttributeNames = Object.values(searchAttributes).map((k) => k.name);
