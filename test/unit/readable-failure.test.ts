import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, TimeoutFailure } from '@temporalio/common';
import { readableFailure } from '../../workflows/lifecycle';

/** How a run's failure reads in its Run `error`: the workflow flattens the cause chain into one failure. */

const timedOut = (activityType: string, timeoutType: 'START_TO_CLOSE' | 'HEARTBEAT' | 'SCHEDULE_TO_CLOSE') =>
  new ActivityFailure(
    'Activity task timed out',
    activityType,
    'act-1',
    0 as never,
    'worker',
    new TimeoutFailure(`activity ${timeoutType} timeout`, undefined, timeoutType),
  );

describe('readableFailure', () => {
  it('says which call ran out of time and what sets its timeout, where Temporal names only the timeout', () => {
    expect(readableFailure(timedOut('mcpCallTool', 'START_TO_CLOSE'))).toMatchObject({
      type: 'CallTimedOut',
      message: "The tool call timed out: an attempt ran past its timeout (the MCP server's calls.timeout_seconds)",
    });
    expect(readableFailure(timedOut('llmGenerate', 'START_TO_CLOSE')).message).toBe(
      "The model call timed out: an attempt ran past its timeout (for an agent's own calls, its llm_calls.timeout_seconds)",
    );
    expect(readableFailure(timedOut('mcpListTools', 'HEARTBEAT')).message).toMatch(/^Listing tools stopped reporting from its worker \(a heartbeat timeout/);
    expect(readableFailure(timedOut('mcpReadResource', 'SCHEDULE_TO_CLOSE')).message).toBe(
      "Reading a resource did not finish within its deadline (the MCP server's calls.deadline_seconds)",
    );
  });

  it("reads a child run's failure as the child said it, however deep", () => {
    const child = (cause: Error) => new ChildWorkflowFailure('default', { workflowId: 'w-1', runId: 'r-1' }, 'agentWorkflow', 0 as never, cause);
    // What a child's own run ended with: already flattened by its runToCompletion.
    const own = ApplicationFailure.create({ type: 'CallTimedOut', message: 'The tool call timed out: an attempt ran past its timeout' });
    expect(readableFailure(child(child(own)))).toMatchObject({ type: 'CallTimedOut', message: own.message });
    expect(readableFailure(child(timedOut('mcpCallTool', 'START_TO_CLOSE')))).toMatchObject({ type: 'CallTimedOut' });
  });

  it("keeps an activity's own failure as it was raised", () => {
    const own = ApplicationFailure.create({ type: 'ProviderRequestRejected', message: 'The model does not exist.' });
    const failed = new ActivityFailure('Activity task failed', 'llmGenerate', 'act-1', 0 as never, 'worker', own);
    expect(readableFailure(failed)).toMatchObject({ type: 'ProviderRequestRejected', message: 'The model does not exist.' });
  });
});
