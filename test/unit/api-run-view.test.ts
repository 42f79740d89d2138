import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { ActivityFailure, WorkflowFailedError } from '@temporalio/client';
import {
  buildRun,
  failureView,
  isClosedRunStatus,
  runLinks,
  runSchema,
  runStatus,
  snakeCase,
  turnAnswer,
  type RunFacts,
} from '../../client/run-view';
import type { RunState } from '../../workflows/definitions';
import { refusesUpdates, workflowTaskFailure } from '../../client/workflow-task';

const links = { uiUrl: 'http://localhost:8233/', namespace: 'default' };

function facts(overrides: Partial<RunFacts> = {}): RunFacts {
  return {
    workflowId: 'calc-1',
    workflowType: 'agentWorkflow',
    executionStatus: 'RUNNING',
    startTime: new Date('2026-01-02T03:04:05.000Z'),
    searchAttributes: { workflow: 'calc', pattern: 'agent', status: 'running' },
    input: 'add 2 and 3',
    ...overrides,
  };
}

const liveState: RunState = {
  workflow: 'calc',
  pattern: 'agent',
  status: 'waiting_for_input',
  step: 'waiting',
  iteration: 2,
  pendingInput: { requestId: 'input-1', kind: 'input', prompt: 'Which numbers?' },
  usage: { inputTokens: 30, outputTokens: 12, llmCalls: 2, toolCalls: 1 },
  queuedInputs: 0,
  children: [],
};

function workflowFailure(cause: Error): WorkflowFailedError {
  return new WorkflowFailedError('Workflow execution failed', cause, 1 as never);
}

describe('runStatus', () => {
  it.each([
    ['COMPLETED', 'completed'],
    ['FAILED', 'failed'],
    ['CANCELLED', 'cancelled'],
    ['TERMINATED', 'terminated'],
    ['TIMED_OUT', 'timed_out'],
  ] as const)('maps the closed execution status %s to %s whatever the run reported', (execution, expected) => {
    expect(runStatus(execution, 'running')).toBe(expected);
  });

  it("takes an open run's own status from the query or search attribute", () => {
    expect(runStatus('RUNNING', 'paused')).toBe('paused');
    expect(runStatus('RUNNING', 'waiting_for_input')).toBe('waiting_for_input');
  });

  it('counts a continued-as-new execution as running', () => {
    expect(runStatus('CONTINUED_AS_NEW', 'running')).toBe('running');
  });

  it('does not let an open run claim a closed status it reported just before closing', () => {
    expect(runStatus('RUNNING', 'completed')).toBe('running');
    expect(runStatus('RUNNING', undefined)).toBe('running');
  });

  it('tells closed statuses from open ones', () => {
    expect(isClosedRunStatus('completed')).toBe(true);
    expect(isClosedRunStatus('timed_out')).toBe(true);
    expect(isClosedRunStatus('paused')).toBe(false);
  });
});

describe('snakeCase', () => {
  it.each([
    ['ProviderRequestRejected', 'provider_request_rejected'],
    ['WrongRequestId', 'wrong_request_id'],
    ['HTTPError', 'http_error'],
    ['MissingApiKey', 'missing_api_key'],
    ['Error', 'error'],
    ['already_snake', 'already_snake'],
  ])('turns %s into %s', (input, expected) => {
    expect(snakeCase(input)).toBe(expected);
  });
});

describe('failureView', () => {
  it('names the code after the application failure type and keeps its message', () => {
    const failure = workflowFailure(ApplicationFailure.create({ type: 'ProviderRequestRejected', message: 'The model does not exist.' }));
    expect(failureView(failure)).toEqual({ code: 'provider_request_rejected', message: 'The model does not exist.' });
  });

  it('reaches through wrappers to the root cause', () => {
    const root = ApplicationFailure.create({ type: 'MissingApiKey', message: 'Set OPENAI_API_KEY.' });
    const activity = new ActivityFailure('Activity task failed', 'llmGenerate', 'act-1', 0 as never, 'worker', root);
    const wrapper = ApplicationFailure.create({ type: 'AgentFailed', message: 'The agent stopped.', cause: activity });
    expect(failureView(workflowFailure(wrapper))).toEqual({ code: 'missing_api_key', message: 'Set OPENAI_API_KEY.' });
  });

  it.each([
    [new CancelledFailure('Workflow cancelled'), 'cancelled', 'Workflow cancelled'],
    [new TerminatedFailure('operator said stop'), 'terminated', 'operator said stop'],
    [new TimeoutFailure('Workflow timed out', undefined, 0 as never), 'timed_out', 'Workflow timed out'],
  ])('codes %p as %s', (cause, code, message) => {
    expect(failureView(workflowFailure(cause))).toEqual({ code, message });
  });

  it('falls back to workflow_failed for an untyped failure', () => {
    expect(failureView(workflowFailure(ApplicationFailure.create({ message: 'boom' })))).toEqual({
      code: 'workflow_failed',
      message: 'boom',
    });
  });
});

describe('runLinks', () => {
  it('points at the API and at the Web UI of the namespace, escaping the id', () => {
    expect(runLinks('calc/1 x', { uiUrl: 'http://ui:8233/', namespace: 'team a' })).toEqual({
      self: '/runs/calc%2F1%20x',
      ui: 'http://ui:8233/namespaces/team%20a/workflows/calc%2F1%20x',
    });
  });
});

describe('buildRun', () => {
  it('builds an open run from describe facts and the live state', () => {
    const run = buildRun(facts({ state: liveState }), links);
    expect(run).toEqual({
      runId: 'calc-1',
      workflow: 'calc',
      pattern: 'agent',
      status: 'waiting_for_input',
      input: 'add 2 and 3',
      pendingInput: liveState.pendingInput,
      step: 'waiting',
      usage: liveState.usage,
      startedAt: '2026-01-02T03:04:05.000Z',
      links: { self: '/runs/calc-1', ui: 'http://localhost:8233/namespaces/default/workflows/calc-1' },
    });
    expect(runSchema.safeParse(run).success).toBe(true);
  });

  it('lists every request an open run waits on (an empty list when none), and none once it has closed', () => {
    const second = { requestId: 'calc-1/b-2::input-1', kind: 'input' as const, prompt: 'And you?' };
    const pendingInputs = [liveState.pendingInput!, second];
    const run = buildRun(facts({ state: { ...liveState, pendingInputs } }), links);
    expect(run).toMatchObject({ pendingInput: liveState.pendingInput, pendingInputs });
    expect(runSchema.safeParse(run).success).toBe(true);
    // An empty list says nothing waits, though pendingInput may still show a child's request just answered.
    expect(buildRun(facts({ state: { ...liveState, pendingInputs: [] } }), links)).toHaveProperty('pendingInputs', []);
    const closed = buildRun(facts({ executionStatus: 'COMPLETED', state: { ...liveState, pendingInputs }, outcome: { result: { text: '5' } } }), links);
    expect(closed).not.toHaveProperty('pendingInputs');
    // The step is what the run is doing now: a closed run is doing nothing.
    expect(closed).not.toHaveProperty('step');
  });

  it('uses the status search attribute when no worker answered the query', () => {
    const run = buildRun(facts({ searchAttributes: { workflow: 'calc', pattern: 'agent', status: 'paused' } }), links);
    expect(run.status).toBe('paused');
    expect(run.usage).toEqual({ inputTokens: 0, outputTokens: 0, llmCalls: 0, toolCalls: 0 });
    expect(run.pendingInput).toBeUndefined();
  });

  it('gives a completed run its result, close time and the usage its result carries', () => {
    const usage = { inputTokens: 10, outputTokens: 5, llmCalls: 1, toolCalls: 0 };
    const run = buildRun(
      facts({
        executionStatus: 'COMPLETED',
        closeTime: new Date('2026-01-02T03:04:09.000Z'),
        searchAttributes: { workflow: 'calc', pattern: 'agent', status: 'completed' },
        outcome: { result: { text: '5', usage } },
      }),
      links,
    );
    expect(run).toMatchObject({ status: 'completed', result: { text: '5', usage }, usage, closedAt: '2026-01-02T03:04:09.000Z' });
    expect(run.error).toBeUndefined();
  });

  it('gives a failed run an error and no result, and drops a stale pending input', () => {
    const run = buildRun(
      facts({
        executionStatus: 'FAILED',
        closeTime: new Date('2026-01-02T03:04:09.000Z'),
        state: liveState,
        outcome: { failure: workflowFailure(ApplicationFailure.create({ type: 'McpConnectionFailed', message: 'no server' })) },
      }),
      links,
    );
    expect(run.status).toBe('failed');
    expect(run.error).toEqual({ code: 'mcp_connection_failed', message: 'no server' });
    expect(run).not.toHaveProperty('result');
    expect(run.pendingInput).toBeUndefined();
    expect(run.usage).toEqual(liveState.usage);
  });

  it("says an open run's workflow task keeps failing, leaving its status as it last said, and not once it has closed", () => {
    const workflowTaskFailing = { attempt: 3, cause: 'failed' as const, message: '[TMPRL1100] Nondeterminism error: ...', since: '2026-01-02T03:04:06.000Z' };
    const run = buildRun(facts({ searchAttributes: { workflow: 'calc', pattern: 'agent', status: 'waiting_for_input' }, workflowTaskFailing }), links);
    expect(run).toMatchObject({ status: 'waiting_for_input', workflowTaskFailing });
    expect(runSchema.safeParse(run).success).toBe(true);
    expect(buildRun(facts({ state: liveState }), links)).not.toHaveProperty('workflowTaskFailing');
    const closed = buildRun(facts({ executionStatus: 'TERMINATED', workflowTaskFailing, outcome: { result: null } }), links);
    expect(closed).not.toHaveProperty('workflowTaskFailing');
  });

  it('falls back to the workflow type for runs started without our search attributes', () => {
    const run = buildRun(facts({ searchAttributes: {}, input: undefined }), links);
    expect(run.workflow).toBe('agentWorkflow');
    expect(run.pattern).toBe('agent');
    expect(run.input).toBeNull();
  });
});

describe('turnAnswer', () => {
  const conversation = { turn: 5, finishedTurns: 5, queuedMessages: 0, onMessageWhileBusy: 'queue' as const, idleTimeoutSeconds: 60, closing: false };

  it("takes the awaited turn's own outcome from the recent turns, not the latest answer", () => {
    const state: RunState = {
      ...liveState,
      conversation: { ...conversation, lastTurn: { turn: 5, outcome: 'answered' } },
      result: { text: 'five' },
      recentTurns: [
        { turn: 3, outcome: 'failed', error: { code: 'ProviderRequestRejected', message: 'too long' } },
        { turn: 4, outcome: 'answered', text: 'four' },
        { turn: 5, outcome: 'answered', text: 'five' },
      ],
    };
    expect(turnAnswer(state, 4)).toEqual({ turn: 4, outcome: 'answered', text: 'four' });
    expect(turnAnswer(state, 3)).toEqual({ turn: 3, outcome: 'failed', error: { code: 'provider_request_rejected', message: 'too long' } });
    expect(turnAnswer(state, 2)).toBeUndefined();
  });

  it('after continue-as-new, knows the carried last turn, its answer the latest', () => {
    const state: RunState = { ...liveState, conversation: { ...conversation, lastTurn: { turn: 5, outcome: 'max_iterations' } }, result: { text: 'five' }, recentTurns: [] };
    expect(turnAnswer(state, 5)).toEqual({ turn: 5, outcome: 'max_iterations', text: 'five' });
    const interrupted: RunState = { ...state, conversation: { ...conversation, lastTurn: { turn: 5, outcome: 'interrupted' } } };
    expect(turnAnswer(interrupted, 5)).toEqual({ turn: 5, outcome: 'interrupted' });
    expect(turnAnswer(undefined, 5)).toBeUndefined();
  });
});

describe('workflowTaskFailure', () => {
  const at = (iso: string) => msToTs(Date.parse(iso));
  const failed = (message: string, time = '2026-01-02T03:04:06.000Z') => ({
    eventTime: at(time),
    workflowTaskFailedEventAttributes: { failure: { message }, cause: 14 },
  });
  const completed = { workflowTaskCompletedEventAttributes: {} };
  const signaled = { workflowExecutionSignaledEventAttributes: { signalName: 'pause' } };

  it('says nothing of a task on its first attempt, whatever history holds', () => {
    expect(workflowTaskFailure({ attempt: 1 }, [failed('old')])).toBeUndefined();
    expect(workflowTaskFailure(undefined, [])).toBeUndefined();
  });

  it("gives the attempt, and the message and time of the last failure, past the signals that came since", () => {
    expect(workflowTaskFailure({ attempt: 4 }, [signaled, failed("Failed to initialize workflow of type 'x'"), failed('earlier', '2026-01-01T00:00:00.000Z')])).toEqual({
      attempt: 4,
      cause: 'failed',
      message: "Failed to initialize workflow of type 'x'",
      since: '2026-01-02T03:04:06.000Z',
    });
  });

  it('reads a timeout as one, names a cause when the failure has no message, and never a failure from before the last completed task', () => {
    expect(workflowTaskFailure({ attempt: 2 }, [{ workflowTaskTimedOutEventAttributes: { timeoutType: 1 } }])?.message).toMatch(
      /^The workflow task timed out \(start to close\): /,
    );
    expect(workflowTaskFailure({ attempt: 2 }, [{ workflowTaskFailedEventAttributes: { cause: 24 } }])?.message).toBe(
      "The workflow task failed (non deterministic error); the worker's log says why.",
    );
    expect(workflowTaskFailure({ attempt: 2 }, [signaled, completed, failed('old')])).toEqual({
      attempt: 2,
      cause: 'failed',
      message: "The workflow task keeps failing; the worker's log says why.",
    });
  });

  it('refuses input at once for a failure, but not for a single timeout (a worker that died mid-task, which another worker takes over)', () => {
    const timedOut = { workflowTaskTimedOutEventAttributes: { timeoutType: 1 } };
    const once = workflowTaskFailure({ attempt: 2 }, [timedOut]);
    expect(once?.cause).toBe('timed_out');
    expect(refusesUpdates(once)).toBe(false);
    expect(refusesUpdates(workflowTaskFailure({ attempt: 3 }, [timedOut]))).toBe(true);
    expect(refusesUpdates(workflowTaskFailure({ attempt: 2 }, [failed('boom')]))).toBe(true);
    expect(refusesUpdates(undefined)).toBe(false);
  });
});
