import { temporal } from '@temporalio/proto';
import { retryingActivity } from '../../client/retrying';

/** The `retrying` a Run shows, from an execution's pending activities as Temporal describes them. */

const pending = (activityType: string, lastFailure: temporal.api.failure.v1.IFailure): temporal.api.workflow.v1.IPendingActivityInfo => ({
  activityType: { name: activityType },
  attempt: 3,
  maximumAttempts: 8,
  lastFailure,
});

describe('retryingActivity', () => {
  it("keeps the call's own error as it failed", () => {
    expect(retryingActivity([pending('llmGenerate', { message: '503 overloaded' })])).toEqual({
      activity: 'llmGenerate',
      attempt: 3,
      maximumAttempts: 8,
      lastError: '503 overloaded',
    });
  });

  it('says which call ran past its timeout and what sets it, where Temporal names only the timeout', () => {
    const timedOut = pending('mcpCallTool', {
      message: 'activity StartToClose timeout',
      timeoutFailureInfo: { timeoutType: temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE },
    });
    expect(retryingActivity([timedOut])?.lastError).toBe("The tool call timed out: an attempt ran past its timeout (the MCP server's calls.timeout_seconds)");
  });

  it('shows nothing for a call on its first attempt', () => {
    expect(retryingActivity([{ ...pending('mcpCallTool', { message: 'x' }), attempt: 1 }])).toBeUndefined();
  });
});
