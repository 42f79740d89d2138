import { decodeTimeoutType, TimeoutType } from '@temporalio/common';

/**
 * Temporal names a call that ran out of time by its timeout alone ("activity StartToClose
 * timeout"), which says neither which call nor what to change. A Run's `error` and its `retrying`
 * say both, from the activity's type.
 */

const calls: Record<string, { what: string; setting?: string }> = {
  llmGenerate: { what: 'The model call', setting: "the agent's llm_calls" },
  embed: { what: 'The embedding call' },
  mcpCallTool: { what: 'The tool call', setting: "the MCP server's calls" },
  mcpListTools: { what: 'Listing tools', setting: "the MCP server's calls" },
  mcpListResources: { what: 'Listing resources', setting: "the MCP server's calls" },
  mcpReadResource: { what: 'Reading a resource', setting: "the MCP server's calls" },
  mcpListPrompts: { what: 'Listing prompts', setting: "the MCP server's calls" },
  mcpGetPrompt: { what: 'Getting a prompt', setting: "the MCP server's calls" },
  callFunction: { what: 'The function call' },
};

/** A TimeoutFailure's type, or a history failure's (the proto enum). */
type TimeoutKind = TimeoutType | number | null | undefined;

function kindOf(timeoutType: TimeoutKind): TimeoutType | undefined {
  return typeof timeoutType === 'number' ? decodeTimeoutType(timeoutType) : (timeoutType ?? undefined);
}

/** What ran out of time and what sets it; undefined for a timeout this does not know. */
export function callTimeoutText(activityType: string | null | undefined, timeoutType: TimeoutKind): string | undefined {
  const call = calls[activityType ?? ''] ?? { what: `The ${activityType ?? 'activity'} call` };
  const setting = (key: string) => (call.setting ? ` (${call.setting}.${key})` : '');
  switch (kindOf(timeoutType)) {
    case TimeoutType.START_TO_CLOSE:
      return `${call.what} ran past its timeout on an attempt${setting('timeout_seconds')}`;
    case TimeoutType.SCHEDULE_TO_CLOSE:
      return `${call.what} did not finish within its deadline${setting('deadline_seconds')}`;
    case TimeoutType.HEARTBEAT:
      return `${call.what} stopped reporting from its worker (a heartbeat timeout: the worker died, or its event loop was blocked)`;
    case TimeoutType.SCHEDULE_TO_START:
      return `${call.what} waited too long for a worker to start it`;
    default:
      return undefined;
  }
}
