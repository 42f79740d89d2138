import { ActivityFailure, ApplicationFailure, defineSignal, defineUpdate, isCancellation, patched, setHandler } from '@temporalio/workflow';
import { approvalDecisionSchema } from '../src/patterns/human-input';
import { namespacedToolName } from '../src/mcp/naming';
import {
  elicitationSchema,
  MCP_SERVER_REQUEST_UPDATE,
  MCP_SERVER_REQUEST_WITHDRAWN_SIGNAL,
  SAMPLING_REJECTED,
  samplingApprovalPrompt,
  samplingLlmRequest,
  samplingResult,
  serverRequestKeyPrefix,
  type McpServerRequestAnswer,
  type McpServerRequestInput,
} from '../src/mcp/server-requests';
import { llmActivity } from './activities';
import { Patches } from './definitions';
import type { RunControl } from './run-control';

/**
 * The run's side of an MCP server's requests during one of its tool calls (src/mcp/server-requests.ts
 * has the way there). The tool-call activity sends each request as the `mcp_server_request` Update;
 * its handler answers:
 * - sampling: an `llmGenerate` activity of this run with the provider and model of the server's
 *   `sampling` config and its token cap, after a person's approval when the config asks for one;
 *   its tokens count in the run's usage, and it shows in the Web UI and the run's events as any
 *   model call. Images arrive as store references (the activity stored them before sending the
 *   Update) and go on as the user messages' `images`; the LLM activity reads their bytes back.
 * - elicitation: the run's pending input (kind `elicitation`, with the requested schema), answered
 *   through the API as any other request and checked against the schema there; unanswered in time,
 *   the server is told `cancel`.
 *
 * The handler is registered with the run's other handlers when RunControl is made; runs recorded
 * before it never received the Update, so their histories replay unchanged, and it adds commands
 * (an activity, a memo marker) only when such an Update arrives.
 *
 * A tool call that fails for good (its last attempt) can leave a question waiting: its server or its
 * worker is gone, so no answer would reach anyone. The function returned ends those waits, as the
 * server's own withdrawal does, so that the person is not asked for nothing and a loop does not hold
 * its continue-as-new for a request that cannot be answered.
 */

export const mcpServerRequestUpdate = defineUpdate<McpServerRequestAnswer, [McpServerRequestInput]>(MCP_SERVER_REQUEST_UPDATE);

/** The server cancelled its request (its own timeout, say): the person is no longer asked. */
export const mcpServerRequestWithdrawnSignal = defineSignal<[{ key: string }]>(MCP_SERVER_REQUEST_WITHDRAWN_SIGNAL);

export function handleServerRequests(control: RunControl): (failedActivityId: string) => void {
  // Temporal keeps one Update per id, so a request comes here once; should the same key arrive
  // again (a client that retried an Update whose id Temporal no longer tracks) it shares the answer.
  const answers = new Map<string, Promise<McpServerRequestAnswer>>();
  /** The input request each server request is waiting on, by key. */
  const waits = new Map<string, string>();
  /** Withdrawn before its Update was handled (a signal can overtake it): not asked at all. */
  const withdrawnEarly = new Set<string>();
  setHandler(mcpServerRequestWithdrawnSignal, ({ key }) => {
    const requestId = waits.get(key);
    if (requestId !== undefined) control.withdrawRequest(requestId);
    else if (!answers.has(key)) withdrawnEarly.add(key);
  });
  setHandler(
    mcpServerRequestUpdate,
    (input) => {
      let answer = answers.get(input.key);
      if (!answer && withdrawnEarly.delete(input.key)) {
        answer = Promise.resolve({ ok: false, message: 'the server withdrew the request' } as const);
        answers.set(input.key, answer);
      }
      if (!answer) {
        answer = answerRequest(control, input, (requestId) => waits.set(input.key, requestId));
        const forget = () => void waits.delete(input.key);
        answer.then(forget, forget);
        answers.set(input.key, answer);
      }
      return answer;
    },
    {
      validator: (input) => {
        if (input?.request?.kind !== 'sampling' && input?.request?.kind !== 'elicitation') {
          throw ApplicationFailure.create({ message: 'Not an MCP sampling or elicitation request.', nonRetryable: true });
        }
      },
      description: "An MCP server's sampling or elicitation request during one of this run's tool calls",
    },
  );
  return (failedActivityId) => {
    const prefix = serverRequestKeyPrefix(failedActivityId);
    const orphaned = [...waits].filter(([key]) => key.startsWith(prefix)).map(([, requestId]) => requestId);
    // Runs recorded before this waited out the timeout; withdrawing adds commands (a cancelled timer, a marker).
    if (orphaned.length === 0 || !patched(Patches.WithdrawFailedCallRequests)) return;
    for (const requestId of orphaned) control.withdrawRequest(requestId);
  };
}

async function answerRequest(
  control: RunControl,
  input: McpServerRequestInput,
  onRequested: (requestId: string) => void,
): Promise<McpServerRequestAnswer> {
  const tool = namespacedToolName(input.server, input.tool);
  const { request } = input;
  if (request.kind === 'elicitation') {
    const schema = elicitationSchema(request.params);
    if (!schema) return { ok: false, message: 'mcp-agent-temporal answers form elicitations only, not URL ones' };
    const outcome = await control.requestInput(
      { kind: 'elicitation', prompt: request.params.message, tool, schema },
      input.timeoutSeconds,
      undefined,
      { deferrable: false, onRequested },
    );
    // No answer in time: as a person who closed the dialog without choosing.
    const result = outcome.answered ? (outcome.value as { action: 'accept' | 'decline' | 'cancel'; content?: Record<string, never> }) : { action: 'cancel' as const };
    return { ok: true, result };
  }

  const sampling = input.sampling;
  if (!sampling) return { ok: false, message: `sampling is not configured for MCP server "${input.server}"` };
  const llmRequest = samplingLlmRequest(request.params, sampling);
  if (sampling.approve) {
    const outcome = await control.requestInput(
      {
        kind: 'approval',
        prompt: samplingApprovalPrompt(input),
        tool,
        args: { messages: llmRequest.messages, system: llmRequest.system, maxTokens: llmRequest.maxTokens },
      },
      input.timeoutSeconds,
      undefined,
      { deferrable: false, onRequested },
    );
    if (!outcome.answered) return { ok: false, message: `${SAMPLING_REJECTED}: no approval in time` };
    const decision = approvalDecisionSchema.parse(outcome.value);
    if (!decision.approved) return { ok: false, message: `${SAMPLING_REJECTED}${decision.reason ? `: ${decision.reason}` : ''}` };
  }
  await control.checkpoint();
  try {
    const summary = `llm ${sampling.provider}/${sampling.model} · sampling for ${tool}`;
    const response = await llmActivity(summary)(llmRequest);
    control.recordLlmCall(response.usage);
    return { ok: true, result: samplingResult(response, sampling.model, request.params) };
  } catch (err) {
    // A model call that failed for good is the server's problem to handle, not the end of the run.
    if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
    return { ok: false, message: `the model call failed: ${err.cause?.message ?? err.message}` };
  }
}
