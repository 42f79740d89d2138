import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { LlmRequest, LlmResponse } from '../src/llm/messages';
import type {
  Activities,
  LoopLlmRequest,
  LoopLlmResponse,
  SummarizeRequest,
  SummarizeResponse,
} from '../activities/contracts';
import { FailureTypes } from '../src/failure-types';

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

/** `llmGenerate` takes three kinds of request, each with its own kind of answer. */
type LlmCall<Request, Response> = (request: Request) => Promise<Response>;

function llmGenerate(summary: string): Activities['llmGenerate'] {
  return proxyActivities<Activities>({ ...llmOptions, summary }).llmGenerate;
}

/** A single request with its whole conversation (planners, routers, evaluators). */
export function llmActivity(summary: string): LlmCall<LlmRequest, LlmResponse> {
  return llmGenerate(summary) as LlmCall<LlmRequest, LlmResponse>;
}

/** The next turn of a loop whose conversation is stored (agent, swarm). */
export function loopLlmActivity(summary: string): LlmCall<LoopLlmRequest, LoopLlmResponse> {
  return llmGenerate(summary) as LlmCall<LoopLlmRequest, LoopLlmResponse>;
}

export function summarizeActivity(summary: string): LlmCall<SummarizeRequest, SummarizeResponse> {
  return llmGenerate(summary) as LlmCall<SummarizeRequest, SummarizeResponse>;
}

export function mcpCallToolActivity(summary: string): Activities['mcpCallTool'] {
  return proxyActivities<Activities>({ ...mcpOptions, summary }).mcpCallTool;
}

export function mcpListToolsActivity(summary: string): Activities['mcpListTools'] {
  return proxyActivities<Activities>({ ...mcpOptions, summary }).mcpListTools;
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

export function callFunctionActivity(summary: string): Activities['callFunction'] {
  return proxyActivities<Activities>({ ...functionOptions, summary }).callFunction;
}
