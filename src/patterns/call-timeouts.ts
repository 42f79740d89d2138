import { decodeTimeoutType, TimeoutType } from '@temporalio/common';

const calls: Record<string, { what: string; setting?: string }> = {
  // A planner's, router's or evaluator's calls, and sampling's, keep the defaults: only an agent's own calls have a setting.
  llmGenerate: { what: 'The model call', setting: "for an agent's own calls, its llm_calls" },
  embed: { what: 'The embedding call' },
  mcpCallTool: { what: 'The tool call', setting: "the MCP server's calls" },
  mcpListTools: { what: 'Listing tools', setting: "the MCP server's calls" },
  mcpReadResource: { what: 'Reading a resource', setting: "the MCP server's calls" },
  mcpGetPrompt: { what: 'Getting a prompt', setting: "the MCP server's calls" },
  callFunction: { what: 'The function call' },
};

/**
 * Temporal names a call that ran out of time by its timeout alone ("activity StartToClose
 * timeout"), which says neither which call nor what to change: this says both, from the
 * activity's type, for a failed run's error and a retried call's `lastError`. Undefined for a
 * schedule-to-start timeout, which no call of ours sets. `timeoutType` is a TimeoutFailure's, or
 * the proto enum of a failure Temporal describes.
 */
export function callTimeoutText(activityType: string | null | undefined, timeoutType: TimeoutType | number | null | undefined): string | undefined {
  const call = calls[activityType ?? ''] ?? { what: `The ${activityType ?? 'activity'} call` };
  const kind = typeof timeoutType === 'number' ? decodeTimeoutType(timeoutType) : timeoutType;
  if (kind === TimeoutType.START_TO_CLOSE) {
    return `${call.what} timed out: an attempt ran past its timeout${call.setting ? ` (${call.setting}.timeout_seconds)` : ''}`;
  }
  // A model or tool call's deadline is explained where it runs out (workflows/activities.ts); a
  // resource read's or a prompt's is not wrapped so.
  if (kind === TimeoutType.SCHEDULE_TO_CLOSE) {
    return `${call.what} did not finish within its deadline${call.setting ? ` (${call.setting}.deadline_seconds)` : ''}`;
  }
  if (kind === TimeoutType.HEARTBEAT) {
    return `${call.what} stopped reporting from its worker (a heartbeat timeout: the worker died, or its event loop was blocked)`;
  }
  return undefined;
}
