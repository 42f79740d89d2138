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
  pendingInput?: PendingInput;
  usage: RunUsage;
  /** Inputs that arrived by signal before anything asked for them, kept for the next request. */
  queuedInputs: number;
}

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const humanInputSignal = defineSignal<[HumanInput]>('human_input');
export const stateQuery = defineQuery<RunState>('state');
export const provideInputUpdate = defineUpdate<{ requestId: string }, [HumanInput]>('provide_input');

/** Application failure types the `provide_input` validator raises; the API maps them to 409/422. */
export const InputRejection = {
  NothingPending: 'NothingPending',
  WrongRequest: 'WrongRequestId',
  InvalidValue: 'InvalidInputValue',
} as const;

export const searchAttributes = {
  workflow: defineSearchAttributeKey('McpAgentWorkflow', 'KEYWORD'),
  pattern: defineSearchAttributeKey('McpAgentPattern', 'KEYWORD'),
  status: defineSearchAttributeKey('McpAgentStatus', 'KEYWORD'),
} as const;

export const searchAttributeNames = Object.values(searchAttributes).map((k) => k.name);
