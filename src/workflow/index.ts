/**
 * The workflow-side API (package entry `mcp-agent-temporal/workflow`): what user workflow code
 * imports. Sandbox-safe: no I/O and no Node APIs, as Temporal workflow code must be.
 */
export { workflow } from './define';
export { Agent, RunContext, type CallOptions, type InputOptions, type PatternAnswer, type StructuredOptions } from './context';
export type { AgentSpec, PatternSpecInput } from './nodes';
export type { ApprovalDecision } from '../patterns/human-input';
export type { RunUsage } from '../../workflows/definitions';
