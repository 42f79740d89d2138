import { z } from 'zod';
import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import type { WorkflowExecutionStatusName } from '@temporalio/client';
import { workflowTypeByPattern } from '../src/spec/schema';
import type { RunState, RunUsage } from '../workflows/definitions';

/**
 * The Run object of contract section 6, and the pure function that builds it from what Temporal
 * says about a workflow execution. The zod schema is the single source of the shape: the API
 * serialises and documents with it, the CLI and MCP server hand the same objects on.
 */

export const runStatusSchema = z.enum([
  'running',
  'paused',
  'waiting_for_input',
  'idle',
  'completed',
  'failed',
  'cancelled',
  'terminated',
  'timed_out',
]);
export type RunViewStatus = z.infer<typeof runStatusSchema>;

export const runErrorSchema = z.object({
  code: z.string().describe('snake_case failure type, e.g. provider_request_rejected'),
  message: z.string().describe("The root cause's message"),
});
export type RunError = z.infer<typeof runErrorSchema>;

export const pendingInputSchema = z.object({
  requestId: z.string(),
  kind: z.enum(['input', 'approval', 'elicitation']),
  prompt: z.string(),
  tool: z.string().optional(),
  args: z.record(z.string(), z.unknown()).optional(),
  schema: z
    .record(z.string(), z.unknown())
    .describe('An elicitation\'s requested JSON Schema; answer {"action": "accept", "content": {...}}, or {"action": "decline" | "cancel"}')
    .optional(),
});

export const runUsageSchema = z.object({
  inputTokens: z.number(),
  outputTokens: z.number(),
  llmCalls: z.number(),
  toolCalls: z.number(),
  costUsd: z.number().optional().describe('USD of the model calls whose model has a price (config `pricing`, else the defaults); the whole tree'),
});

export const conversationSchema = z
  .object({
    turn: z.number().describe('The turn running now, or the last one'),
    finishedTurns: z.number().describe('Turns answered (or interrupted)'),
    queuedMessages: z.number().describe('Messages waiting for their turn'),
    onMessageWhileBusy: z.enum(['queue', 'reject', 'interrupt']),
    idleTimeoutSeconds: z.number(),
    closing: z.boolean().describe('close was asked for: the run completes once the queue is empty'),
    lastTurn: z
      .object({
        turn: z.number(),
        outcome: z.enum(['answered', 'max_iterations', 'interrupted', 'failed']),
        error: runErrorSchema.optional(),
      })
      .optional()
      .describe('How the last finished turn ended; a failed turn leaves the conversation open'),
  })
  .describe('A conversation run (contract section 9)');
export type ConversationView = z.infer<typeof conversationSchema>;

export const turnAnswerSchema = z
  .object({
    turn: z.number().describe('The turn asked about'),
    outcome: z.enum(['answered', 'max_iterations', 'interrupted', 'failed']),
    text: z.string().optional().describe("The turn's own answer, for answered and max_iterations"),
    error: runErrorSchema.optional().describe('Why the turn failed'),
  })
  .describe("How the awaited turn ended, with its own answer (the Run's result is the latest answer, maybe a later turn's)");
export type TurnAnswer = z.infer<typeof turnAnswerSchema>;

/**
 * How `turn` ended, from the run's state: the workflow remembers its last few finished turns; a
 * run that continued as new right after the turn remembers it as its lastTurn, whose answer is
 * then the latest one. Undefined when the run no longer remembers that turn.
 */
export function turnAnswer(state: RunState | undefined, turn: number): TurnAnswer | undefined {
  const recent = state?.recentTurns?.find((finished) => finished.turn === turn);
  const last = state?.conversation?.lastTurn;
  const found = recent ?? (last?.turn === turn ? { ...last, ...answerText(last.outcome, state?.result) } : undefined);
  if (!found) return undefined;
  return {
    turn: found.turn,
    outcome: found.outcome,
    ...(found.text !== undefined && { text: found.text }),
    ...(found.error && { error: { ...found.error, code: snakeCase(found.error.code) } }),
  };
}

function answerText(outcome: string, result: unknown): { text?: string } {
  if (outcome !== 'answered' && outcome !== 'max_iterations') return {};
  const text = typeof result === 'object' && result !== null && 'text' in result ? result.text : undefined;
  return typeof text === 'string' ? { text } : {};
}

export const contextUseSchema = z
  .object({
    lastTokens: z.number().describe('Estimated tokens the last LLM call sent'),
    lastFullTokens: z.number().describe('Estimated tokens of the whole conversation at the last call'),
    trimmedCalls: z.number().describe('LLM calls that sent less than the whole conversation'),
    summaries: z.number(),
    summarizedMessages: z.number().describe('Messages the summaries stand in for'),
    summary: z.object({ upTo: z.string(), key: z.string() }).optional(),
  })
  .describe("How much of the conversation the model is sent, for an agent with a context budget");

export const retryingSchema = z
  .object({
    activity: z.string().describe('llmGenerate, mcpCallTool, ...'),
    attempt: z.number().describe('The attempt under way or next (2 is the first retry)'),
    maximumAttempts: z.number().optional(),
    lastError: z.string().describe('Why the last attempt failed'),
    nextAttemptAt: z.string().optional().describe('ISO 8601, when Temporal tries again'),
  })
  .describe('A model or tool call that failed and that Temporal is retrying');
export type RetryingActivity = z.infer<typeof retryingSchema>;

export const workflowTaskFailingSchema = z
  .object({
    attempt: z.number().describe('The workflow task attempt under way or next (2 is the first retry)'),
    cause: z
      .enum(['failed', 'timed_out'])
      .describe(
        'failed: a worker ran the task and it failed (until a deploy fixes it); timed_out: the worker that took it did not finish it in time (it stopped, or the task is stuck), which another worker may resolve',
      ),
    message: z
      .string()
      .describe(
        "Why it failed, as the run's history recorded its first failure (e.g. \"[TMPRL1100] Nondeterminism error: ...\"); later attempts fail on the worker without a record",
      ),
    since: z.string().optional().describe('ISO 8601, when it first failed'),
  })
  .describe(
    "The run's workflow task keeps failing (code that cannot replay the run's history, a workflow type the workers do not have): " +
      'the run makes no progress and takes no input until a worker can run it; status is what the run last said',
  );
export type WorkflowTaskFailing = z.infer<typeof workflowTaskFailingSchema>;

export const runSchema = z
  .object({
    runId: z.string().describe('The Temporal workflow ID'),
    workflow: z.string().describe('Config workflow name, or the pattern type of an ad-hoc run'),
    pattern: z.string(),
    status: runStatusSchema,
    input: z.unknown(),
    result: z
      .unknown()
      .optional()
      .describe('Present once completed, and a conversation\'s latest answer while open; an agent gives {text, ...}'),
    error: runErrorSchema.optional().describe('Present once failed, cancelled, terminated or timed out'),
    pendingInput: pendingInputSchema.optional(),
    pendingInputs: z
      .array(pendingInputSchema)
      .optional()
      .describe(
        'Every request an open run waits on: its own in the order asked, then those of its running children (several may ask at once); each is answered by its requestId',
      ),
    step: z
      .string()
      .optional()
      .describe(
        "What an open run is doing now, in words (a code workflow's `run.step(...)`, a pattern's own); from the `state` query, so absent when no worker answers it, and once closed",
      ),
    usage: runUsageSchema,
    conversation: conversationSchema.optional(),
    context: contextUseSchema.optional(),
    retrying: retryingSchema.optional(),
    workflowTaskFailing: workflowTaskFailingSchema.optional(),
    startedAt: z.string().describe('ISO 8601'),
    closedAt: z.string().optional().describe('ISO 8601'),
    links: z.object({
      self: z.string().describe('This run in the API'),
      ui: z.string().describe('This run in the Temporal Web UI'),
    }),
  })
  .meta({ id: 'Run' });
export type Run = z.infer<typeof runSchema>;

/** How a closed run ended, as far as `handle.result()` tells. */
export type RunOutcome = { result: unknown } | { failure: unknown };

/** Everything a Run is made of, gathered by client/runs.ts. */
export interface RunFacts {
  workflowId: string;
  workflowType: string;
  executionStatus: WorkflowExecutionStatusName;
  startTime: Date;
  closeTime?: Date;
  /** Values of the McpAgent* search attributes. */
  searchAttributes: { workflow?: string; pattern?: string; status?: string };
  input: unknown;
  /** The usage a run last wrote to its memo (at a conversation's turn end, and at its close). */
  memoUsage?: unknown;
  /** An activity Temporal is retrying after it failed, from the execution's description. */
  retrying?: RetryingActivity;
  /** The workflow task keeps failing, from the execution's description and its history's last workflow task failure. */
  workflowTaskFailing?: WorkflowTaskFailing;
  /** The `state` query's answer, when a worker gave one. */
  state?: RunState;
  outcome?: RunOutcome;
}

export interface RunLinkBase {
  /** Base of the Web UI, e.g. http://localhost:8233. */
  uiUrl: string;
  namespace: string;
}

const closedStatusByExecution: Partial<Record<WorkflowExecutionStatusName, RunViewStatus>> = {
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
};

const openStatuses: ReadonlySet<string> = new Set<RunViewStatus>(['running', 'paused', 'waiting_for_input', 'idle']);

export function isClosedExecution(status: WorkflowExecutionStatusName): boolean {
  return closedStatusByExecution[status] !== undefined;
}

export function isClosedRunStatus(status: RunViewStatus): boolean {
  return !openStatuses.has(status);
}

/**
 * Temporal's execution status decides for a closed run (the workflow cannot report being
 * terminated); for an open one the workflow's own word, from the query or the status search
 * attribute, says whether it is paused or waiting. A CONTINUED_AS_NEW execution is the middle of
 * a chain that goes on, so it counts as running.
 */
export function runStatus(executionStatus: WorkflowExecutionStatusName, reported?: string): RunViewStatus {
  const closed = closedStatusByExecution[executionStatus];
  if (closed) return closed;
  if (executionStatus === 'PAUSED') return 'paused';
  return reported !== undefined && openStatuses.has(reported) ? (reported as RunViewStatus) : 'running';
}

/** `ProviderRequestRejected` → `provider_request_rejected`, `HTTPError` → `http_error`. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
}

function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current !== undefined && current !== null && !chain.includes(current); ) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

function failureKindCode(failure: unknown): string | undefined {
  if (failure instanceof CancelledFailure) return 'cancelled';
  if (failure instanceof TerminatedFailure) return 'terminated';
  if (failure instanceof TimeoutFailure) return 'timed_out';
  return undefined;
}

/**
 * A failed run's error as people read it: the most specific application failure type names the
 * code, the root cause's message explains it. Wrappers (WorkflowFailedError, ActivityFailure) and
 * stacks stay out.
 */
export function failureView(error: unknown): RunError {
  const chain = causeChain(error);
  const typed = chain.filter((e): e is ApplicationFailure => e instanceof ApplicationFailure && !!e.type).pop();
  const code = typed?.type ? snakeCase(typed.type) : (chain.map(failureKindCode).find(Boolean) ?? 'workflow_failed');
  const messages = chain.map((e) => (e instanceof Error ? e.message : String(e))).filter((m) => m.trim() !== '');
  return { code, message: messages.pop() ?? 'The run failed.' };
}

export function runLinks(runId: string, base: RunLinkBase): Run['links'] {
  const id = encodeURIComponent(runId);
  return {
    self: `/runs/${id}`,
    ui: `${base.uiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(base.namespace)}/workflows/${id}`,
  };
}

const noUsage: RunUsage = { inputTokens: 0, outputTokens: 0, llmCalls: 0, toolCalls: 0 };

function usageIn(value: unknown): RunUsage | undefined {
  const parsed = runUsageSchema.safeParse(typeof value === 'object' && value !== null ? (value as { usage?: unknown }).usage : undefined);
  return parsed.success ? parsed.data : undefined;
}

function patternOfWorkflowType(workflowType: string): string | undefined {
  return Object.entries(workflowTypeByPattern).find(([, type]) => type === workflowType)?.[0];
}

/**
 * The workflow keeps a failed turn's failure type as Temporal names it (`ProviderRequestRejected`,
 * as its history does); the Run shows it snake_case, as it shows the run's own `error.code`.
 */
function conversationView(conversation: NonNullable<RunState['conversation']>): ConversationView {
  const error = conversation.lastTurn?.error;
  if (!error) return conversation;
  return { ...conversation, lastTurn: { ...conversation.lastTurn!, error: { ...error, code: snakeCase(error.code) } } };
}

/**
 * Usage comes from the live state when a worker answered the query, else from a completed
 * result that carries it (an agent's does), else it is unknown and reads as zero.
 */
export function buildRun(facts: RunFacts, links: RunLinkBase): Run {
  const { state, outcome } = facts;
  const status = runStatus(facts.executionStatus, state?.status ?? facts.searchAttributes.status);
  const open = openStatuses.has(status);
  const result = outcome && 'result' in outcome ? outcome.result : open ? state?.result : undefined;
  return {
    runId: facts.workflowId,
    workflow: facts.searchAttributes.workflow ?? state?.workflow ?? facts.workflowType,
    pattern: facts.searchAttributes.pattern ?? state?.pattern ?? patternOfWorkflowType(facts.workflowType) ?? facts.workflowType,
    status,
    input: facts.input ?? null,
    ...(result !== undefined && { result }),
    ...(outcome && 'failure' in outcome && { error: failureView(outcome.failure) }),
    ...(open && state?.pendingInput && { pendingInput: state.pendingInput }),
    // Empty too: a client then knows nothing waits, even while pendingInput still shows a child's request just answered.
    ...(open && state?.pendingInputs !== undefined && { pendingInputs: state.pendingInputs }),
    ...(open && state?.step && { step: state.step }),
    usage: state?.usage ?? usageIn(result) ?? usageIn({ usage: facts.memoUsage }) ?? noUsage,
    ...(state?.conversation && { conversation: conversationView(state.conversation) }),
    ...(state?.context && { context: state.context }),
    ...(open && facts.retrying && { retrying: facts.retrying }),
    ...(open && facts.workflowTaskFailing && { workflowTaskFailing: facts.workflowTaskFailing }),
    startedAt: facts.startTime.toISOString(),
    ...(facts.closeTime && !open && { closedAt: facts.closeTime.toISOString() }),
    links: runLinks(facts.workflowId, links),
  };
}
