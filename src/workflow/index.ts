/**
 * The workflow-side API (package entry `mcp-agent-temporal/workflow`): what user workflow code
 * imports, and what the built-in composition patterns are written on. Sandbox-safe: no I/O and no
 * Node APIs, as Temporal workflow code must be.
 */
export { workflow, type WorkflowOptions } from './define';
export {
  isInputTimedOut,
  type Carried,
  Model,
  Node,
  RunContext,
  type CallOptions,
  type EmbedOptions,
  type InputOptions,
  type ModelDefaults,
  type NodeAnswer,
  type Prompt,
  type StructuredOptions,
  type StructuredSchema,
} from './context';
export type { AgentSpec, NodeSpec, PatternSpecInput } from './nodes';
export { ToolLoop, type ToolLoopCarry } from './loop';
export { toolSet, type ListedTools, type ToolSet } from './tool-set';
export { InternedValue } from '../conversation/interned';
// A tool loop's vocabulary: input waits a continued run picks up, why a call stopped, what a turn is.
export { InputDeferred } from '../../workflows/run-control';
export { readableFailure } from '../../workflows/lifecycle';
export { stopReason, type LoopFace, type TurnAnswer, type TurnLoop } from '../../workflows/turns';
export type { DeferredCall, ToolCallOutcome, ToolCallScope } from '../../workflows/tool-calls';
export type { TurnLabel } from '../../workflows/llm-turn';
export type { AgentContext } from '../../workflows/agent-context';
export type { ClosedBy, Conversation, ConversationCarry } from '../../workflows/conversation';
export type { ApprovalDecision } from '../patterns/human-input';
// Changing a running workflow safely, without a dependency of the workflow's own on the SDK.
export { deprecatePatch, patched } from '@temporalio/workflow';
export type { RunUsage } from '../../workflows/definitions';
export type { ResolvedAgent, ResolvedModel, ResolvedNode } from '../spec/schema';
// What a tool loop of your own handles: the tools it offers (its own among them) and the calls that come back.
export type { Message, ToolCall, ToolDefinition } from '../llm/messages';
// What each pattern gives back, for `run.run<RouterResult>(...)`.
export type { AgentResult } from '../../workflows/agent';
export type { EvaluatorOptimizerResult } from '../../workflows/evaluator-optimizer';
export type { IntentClassifierResult } from '../../workflows/intent-classifier';
export type { OrchestratorResult } from '../../workflows/orchestrator';
export type { ParallelResult } from '../../workflows/parallel';
export type { RouterResult } from '../../workflows/router';
export type { SwarmResult } from '../../workflows/swarm';
