import {
  ActivityFailure,
  ApplicationFailure,
  proxyActivities,
  proxyLocalActivities,
  TimeoutFailure,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { LlmRequest, LlmResponse, ToolDefinition } from '../src/llm/messages';
import type {
  Activities,
  LoopLlmRequest,
  LoopLlmResponse,
  StoredToolList,
  SummarizeRequest,
  SummarizeResponse,
} from '../activities/contracts';
import { FailureTypes } from '../src/failure-types';
import { REQUEST_TIMEOUT_MARGIN_MS } from '../src/llm/timeouts';
import type { CallPolicy } from '../src/spec/schema';
import { beforeLlmCall } from './llm-guard';

/**
 * Activity stubs with the timeouts and retry policies of each kind of call. Each call gets its own
 * `summary` so the Web UI says what it is. Heartbeat timeouts are short so that a worker that dies
 * mid-call is noticed in seconds; start-to-close is long because real models can be slow.
 */

const retryableBackoff = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
} as const;

const llmOptions: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '5 seconds',
  retry: {
    ...retryableBackoff,
    maximumAttempts: 10,
    nonRetryableErrorTypes: [FailureTypes.ProviderRequestRejected, FailureTypes.MissingApiKey],
  },
};

const mcpOptions: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '5 seconds',
  retry: { ...retryableBackoff, maximumAttempts: 8, nonRetryableErrorTypes: [FailureTypes.UnknownMcpServer] },
};

/** Reading a prompt or a resource: as a tool call, but what the server answered with an error stays so. */
const mcpReadOptions: ActivityOptions = {
  ...mcpOptions,
  retry: { ...mcpOptions.retry, nonRetryableErrorTypes: [FailureTypes.UnknownMcpServer, FailureTypes.McpRequestFailed] },
};

/**
 * Each attempt of a local activity (an MCP server or function marked `local: true`): short, since
 * the workflow task waits on it (the worker heartbeats that task meanwhile) and no heartbeat
 * notices a worker that died mid-call, only this timeout. A server's `calls.timeout_seconds` overrides it.
 */
export const LOCAL_CALL_TIMEOUT = '30 seconds';

/**
 * A local call's retry policy is the ordinary one; attempts run in the worker, backing off inside
 * the workflow task (a wait over a minute becomes a timer in history).
 */
const localMcpOptions: LocalActivityOptions = { startToCloseTimeout: LOCAL_CALL_TIMEOUT, retry: mcpOptions.retry };

/**
 * The defaults of a kind of call with what an agent's `llm_calls` or a server's `calls` changes.
 * A model call's attempt lasts a little longer than its timeout, so that the HTTP request's own
 * timeout (src/llm/timeouts.ts) ends it with a readable error first.
 */
function withPolicy<O extends ActivityOptions | LocalActivityOptions>(defaults: O, summary: string, policy?: CallPolicy, margin = 0): O {
  if (!policy) return { ...defaults, summary };
  const seconds = (value: number) => `${value} seconds` as const;
  return {
    ...defaults,
    summary,
    ...(policy.timeout_seconds !== undefined && { startToCloseTimeout: policy.timeout_seconds * 1000 + margin }),
    ...(policy.deadline_seconds !== undefined && { scheduleToCloseTimeout: seconds(policy.deadline_seconds) }),
    retry: {
      ...defaults.retry,
      ...(policy.max_attempts !== undefined && { maximumAttempts: policy.max_attempts }),
      ...(policy.initial_retry_seconds !== undefined && { initialInterval: seconds(policy.initial_retry_seconds) }),
      ...(policy.max_retry_seconds !== undefined && { maximumInterval: seconds(policy.max_retry_seconds) }),
    },
  };
}

function ranOutOfTime(failure: ActivityFailure): boolean {
  if (failure.cause instanceof TimeoutFailure && failure.cause.timeoutType === 'SCHEDULE_TO_CLOSE') return true;
  // An attempt that timed out (or failed) when no retry could finish in time any more: under load a
  // local call's last attempt ends so, its own start-to-close timeout the cause.
  return failure.retryState === 'TIMEOUT';
}

/** `llmGenerate` takes three kinds of request, each with its own kind of answer. */
type LlmCall<Request, Response> = (request: Request) => Promise<Response>;

function llmGenerate(summary: string, policy?: CallPolicy): Activities['llmGenerate'] {
  const activity = proxyActivities<Activities>(withPolicy(llmOptions, summary, policy, REQUEST_TIMEOUT_MARGIN_MS)).llmGenerate;
  // The run's check (its budget) before the call is scheduled; the activity's own promise is
  // returned as it is, so nothing else about the call changes.
  const call: Activities['llmGenerate'] = (request) => {
    try {
      beforeLlmCall(summary);
    } catch (refusal) {
      return Promise.reject(refusal as Error);
    }
    return activity(request);
  };
  return explainDeadline(call, `The model call "${summary}"`, 'llm_calls', policy);
}

/**
 * A call that ran out of its deadline fails as "Activity task timed out" with the reason a level
 * down; say which call, which setting and what its last attempt met instead.
 */
function explainDeadline<A extends unknown[], R>(
  call: (...args: A) => Promise<R>,
  what: string,
  setting: string,
  policy?: CallPolicy,
): (...args: A) => Promise<R> {
  if (policy?.deadline_seconds === undefined) return call;
  const deadline = policy.deadline_seconds;
  return async (...args) => {
    try {
      return await call(...args);
    } catch (err) {
      // Out of time either during an attempt (a schedule-to-close timeout) or before the next one
      // (Temporal does not start a retry that could not finish: the last attempt's failure, with
      // the retry state TIMEOUT).
      if (!(err instanceof ActivityFailure) || !ranOutOfTime(err)) throw err;
      const lastFailure = err.cause instanceof TimeoutFailure ? err.cause.cause : err.cause;
      const last = lastFailure?.message ? `; its last attempt: ${lastFailure.message}` : '';
      throw ApplicationFailure.create({
        message: `${what} did not finish within its deadline of ${deadline} s (${setting}.deadline_seconds)${last}`,
        type: FailureTypes.CallDeadlineExceeded,
        nonRetryable: true,
        cause: err as ActivityFailure,
      });
    }
  };
}

/** A single request with its whole conversation (planners, routers, evaluators). */
export function llmActivity(summary: string, policy?: CallPolicy): LlmCall<LlmRequest, LlmResponse> {
  return llmGenerate(summary, policy) as LlmCall<LlmRequest, LlmResponse>;
}

/** The next turn of a loop whose conversation is stored (agent, swarm). */
export function loopLlmActivity(summary: string, policy?: CallPolicy): LlmCall<LoopLlmRequest, LoopLlmResponse> {
  return llmGenerate(summary, policy) as LlmCall<LoopLlmRequest, LoopLlmResponse>;
}

export function summarizeActivity(summary: string, policy?: CallPolicy): LlmCall<SummarizeRequest, SummarizeResponse> {
  return llmGenerate(summary, policy) as LlmCall<SummarizeRequest, SummarizeResponse>;
}

/** Stubs of the MCP activities, as ordinary activities or, for a server marked `local: true`, local ones. */
function mcpActivities(summary: string, policy: CallPolicy | undefined, local: boolean): Activities {
  return local
    ? proxyLocalActivities<Activities>(withPolicy(localMcpOptions, summary, policy))
    : proxyActivities<Activities>(withPolicy(mcpOptions, summary, policy));
}

export function mcpCallToolActivity(summary: string, policy?: CallPolicy, local = false): Activities['mcpCallTool'] {
  const call = mcpActivities(summary, policy, local).mcpCallTool;
  return explainDeadline(call, `The tool call "${summary}"`, 'calls', policy);
}

function mcpListTools(summary: string, policy: CallPolicy | undefined, local: boolean): Activities['mcpListTools'] {
  return explainDeadline(mcpActivities(summary, policy, local).mcpListTools, `Listing tools ("${summary}")`, 'calls', policy);
}

export function mcpListToolsActivity(summary: string, policy?: CallPolicy, local = false): (input: { server: string }) => Promise<ToolDefinition[]> {
  return mcpListTools(summary, policy, local) as (input: { server: string }) => Promise<ToolDefinition[]>;
}

/**
 * The list stays in the store: the activity answers with its key and the tools' names. A history
 * recorded before it did holds the list itself, which is what a replay of it gets back.
 */
export function mcpStoredToolsActivity(
  summary: string,
  policy?: CallPolicy,
  local = false,
): (input: { server: string }) => Promise<StoredToolList | ToolDefinition[]> {
  const call = mcpListTools(summary, policy, local);
  return (input) => call({ ...input, store: true });
}

const embedOptions: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry: {
    ...retryableBackoff,
    maximumAttempts: 8,
    nonRetryableErrorTypes: [FailureTypes.ProviderRequestRejected, FailureTypes.MissingApiKey],
  },
};

/** User code: a few attempts for infrastructure hiccups; its own errors come back as results. */
const functionOptions: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  retry: { ...retryableBackoff, maximumAttempts: 3 },
};

export function embedActivity(summary: string): Activities['embed'] {
  return proxyActivities<Activities>({ ...embedOptions, summary }).embed;
}

export function callFunctionActivity(summary: string, local = false): Activities['callFunction'] {
  if (local) return proxyLocalActivities<Activities>({ ...functionOptions, startToCloseTimeout: LOCAL_CALL_TIMEOUT, summary }).callFunction;
  return proxyActivities<Activities>({ ...functionOptions, summary }).callFunction;
}

/** Resolving is reading the worker's config: a local activity, with no retry that could help. */
export function resolveNodeActivity(summary: string): Activities['resolveNode'] {
  return proxyLocalActivities<Activities>({
    startToCloseTimeout: '10 seconds',
    retry: { maximumAttempts: 3, nonRetryableErrorTypes: [FailureTypes.InvalidSpec] },
    summary,
  }).resolveNode;
}

/** A server's `calls` settings apply to its prompts and resources as to its tools. */
export function mcpGetPromptActivity(summary: string, policy?: CallPolicy): Activities['mcpGetPrompt'] {
  return proxyActivities<Activities>(withPolicy(mcpReadOptions, summary, policy)).mcpGetPrompt;
}

export function mcpReadResourceActivity(summary: string, policy?: CallPolicy): Activities['mcpReadResource'] {
  return proxyActivities<Activities>(withPolicy(mcpReadOptions, summary, policy)).mcpReadResource;
}

/** Putting an agent's context together and storing it: nothing a retry could fix but a store that blinked. */
export function composeAgentContextActivity(summary: string): Activities['composeAgentContext'] {
  return proxyLocalActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 3 }, summary }).composeAgentContext;
}
