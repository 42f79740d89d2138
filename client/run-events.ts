import { z } from 'zod';
import {
  defaultFailureConverter,
  defaultPayloadConverter,
  type FailureConverter,
  type PayloadConverter,
} from '@temporalio/common';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { isRecord } from '../src/config/values';
import { namespacedToolName } from '../src/mcp/naming';
import {
  closeSignal,
  isMessage,
  messageSignal,
  pauseSignal,
  REQUEST_MEMO_KEY,
  resumeSignal,
  sendMessageUpdate,
  TURN_MEMO_KEY,
} from '../workflows/definitions';
import { failureView } from './run-view';

/**
 * A run's live events (contract section 6, `GET /runs/:runId/events`), read from its Temporal
 * history and nothing else. RunEventMapper turns history events, fed in order, into RunEvents;
 * most need context from earlier events (a completed activity names only the event that scheduled
 * it), which the mapper keeps.
 *
 * Event ids are `<execution>-<history event id>`: the execution counts the runs of a
 * continued-as-new chain from 0, because history event ids restart with every run. Compared as
 * pairs, they only grow.
 */

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Payload = temporal.api.common.v1.IPayload;
type ProtoFailure = temporal.api.failure.v1.IFailure;
type Int64 = { toString(): string } | number | null | undefined;

export const runEventTypes = [
  'run_started',
  'llm_started',
  'llm_finished',
  'tool_started',
  'tool_finished',
  'input_requested',
  'input_received',
  'input_timed_out',
  'paused',
  'resumed',
  'child_started',
  'child_finished',
  'message_received',
  'turn_started',
  'turn_finished',
  'context_summarized',
  'completed',
  'failed',
  'cancelled',
  'terminated',
  'timed_out',
] as const;
export type RunEventType = (typeof runEventTypes)[number];

/** The events after which a run has nothing more to say. */
export const closingRunEventTypes: readonly RunEventType[] = ['completed', 'failed', 'cancelled', 'terminated', 'timed_out'];

export const runEventSchema = z
  .object({
    id: z.string().describe('`<execution>-<history event id>`; send the last one back as Last-Event-ID to resume'),
    type: z.enum(runEventTypes).describe('Also the SSE `event:` name'),
    at: z.string().describe('ISO 8601, when Temporal recorded it'),
    data: z.record(z.string(), z.unknown()).describe('A few small fields per type; long strings are cut'),
  })
  .meta({ id: 'RunEvent' });
export type RunEvent = z.infer<typeof runEventSchema>;

/**
 * Events a stream sends as they happen that history does not hold (a call Temporal is retrying, a
 * workflow task that keeps failing, the deltas of a model reply being written): they have no id,
 * so a reconnect with Last-Event-ID neither skips nor replays anything because of them, and they
 * are best effort.
 */
export const liveRunEventTypes = ['retrying', 'workflow_task_failing', 'llm_delta'] as const;

export const liveRunEventSchema = z
  .object({
    type: z.enum(liveRunEventTypes).describe('Also the SSE `event:` name'),
    at: z.string().describe('ISO 8601, when the stream saw it'),
    data: z
      .record(z.string(), z.unknown())
      .describe(
        'For `retrying`: activity, attempt, maximumAttempts?, lastError, nextAttemptAt?. For `workflow_task_failing`: attempt, message, since?. For `llm_delta`: runId (this run or one below it), activityId, attempt, seq, ' +
          'kind `text` with text, or kind `tool_call` with index, id?, name? and arguments (the next piece of the JSON text)',
      ),
  })
  .meta({ id: 'LiveRunEvent' });
export type LiveRunEvent = z.infer<typeof liveRunEventSchema>;

export interface EventPosition {
  /** Which execution of the continued-as-new chain, from 0. */
  execution: number;
  /** The history event id within that execution. */
  event: number;
}

export function formatEventId(position: EventPosition): string {
  return `${position.execution}-${position.event}`;
}

export function parseEventId(text: string): EventPosition | undefined {
  const match = /^(\d{1,9})-(\d{1,15})$/.exec(text.trim());
  return match ? { execution: Number(match[1]), event: Number(match[2]) } : undefined;
}

/** Where a history event of the chain's `execution`-th run stands in the stream. */
export function positionOf(event: HistoryEvent, execution: number): EventPosition {
  return { execution, event: int(event.eventId) };
}

export function isAfter(position: EventPosition, cursor: EventPosition | undefined): boolean {
  if (!cursor) return true;
  return position.execution !== cursor.execution ? position.execution > cursor.execution : position.event > cursor.event;
}

const PREVIEW_CHARS = 200;

/** A value as at most PREVIEW_CHARS characters of text, so events stay small whatever the payloads hold. */
export function preview(value: unknown, max = PREVIEW_CHARS): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function int(value: Int64): number {
  return typeof value === 'number' ? value : Number(value?.toString() ?? 0);
}

/**
 * `llm openai/gpt-4o · calculator · turn 2` and `planner · turn 1` both name their turn; a
 * conversation's calls name the step within the turn too (`turn 3 · step 2`).
 */
function turnIn(summary: string | undefined): { turn?: number; step?: number } {
  const turn = summary && /\bturn (\d+)\b/.exec(summary);
  const step = summary && /\bstep (\d+)\b/.exec(summary);
  return { ...(turn && { turn: Number(turn[1]) }), ...(step && { step: Number(step[1]) }) };
}

type EventBody = { type: RunEventType; data: Record<string, unknown> };

interface ScheduledActivity {
  /** The activity type, or `summarize` for an llmGenerate call that summarizes a conversation. */
  activityType: string;
  /** What started and finished events of the activity both say about it. */
  facts: Record<string, unknown>;
}

interface InitiatedChild {
  workflowId: string;
  workflowType?: string;
  summary?: string;
}

const activityEventTypes: Record<string, { started?: RunEventType; finished: RunEventType }> = {
  llmGenerate: { started: 'llm_started', finished: 'llm_finished' },
  summarize: { finished: 'context_summarized' },
  mcpCallTool: { started: 'tool_started', finished: 'tool_finished' },
  callFunction: { started: 'tool_started', finished: 'tool_finished' },
};

export interface RunEventMapperOptions {
  payloadConverter?: PayloadConverter;
  failureConverter?: FailureConverter;
}

/**
 * Maps a chain's history events, fed one at a time in order from its first event, to RunEvents.
 * Feed even the events a client has already seen: they are the context of later ones.
 *
 * What comes from where:
 * - llm and tool events: llmGenerate, mcpCallTool and callFunction activities, started when
 *   scheduled (Temporal records an activity's start only once it ends), finished when they
 *   complete, fail, time out or are cancelled. Listing tools and embeddings are not shown.
 * - paused / resumed: the `pause` and `resume` signals that change whether the run is paused.
 * - input_requested, input_received, input_timed_out: the run's input-request markers in its memo
 *   (the prompt and whether an answer was taken are not otherwise in history); input a run could
 *   not use (a signal that is no `{value}`, an approval that is no `{approved}`) makes no event.
 * - message_received, turn_started, turn_finished: `send_message` Updates and the `message`
 *   signals a conversation takes (an `{input}`; a signal to a run that is no conversation, or with
 *   no input, is not used and makes no event), and a conversation's turn markers in its memo.
 * - child events: child workflows (agents and nested patterns of a composed run), each a run with
 *   its own events under its workflow id.
 * - A continued-as-new run's own start and close are not shown: to a client it is one run.
 */
export class RunEventMapper {
  private readonly payloadConverter: PayloadConverter;
  private readonly failureConverter: FailureConverter;
  private readonly activities = new Map<number, ScheduledActivity>();
  private readonly children = new Map<number, InitiatedChild>();
  private readonly updates = new Map<number, string>();
  private paused = false;
  /** Whether the run takes messages (its spec's `conversation`): a message signal to any other run is not used. */
  private conversation = false;
  /** Why the run was asked to cancel: the reason given, or the parent that cancelled it. */
  private cancelReason?: string;

  constructor(options: RunEventMapperOptions = {}) {
    this.payloadConverter = options.payloadConverter ?? defaultPayloadConverter;
    this.failureConverter = options.failureConverter ?? defaultFailureConverter;
  }

  /** The RunEvent of one history event of the chain's `execution`-th run, if it makes one. */
  map(event: HistoryEvent, execution: number): RunEvent | undefined {
    const body = this.body(event, execution);
    if (!body) return undefined;
    return {
      id: formatEventId(positionOf(event, execution)),
      type: body.type,
      at: optionalTsToDate(event.eventTime)?.toISOString() ?? new Date(0).toISOString(),
      data: body.data,
    };
  }

  private body(event: HistoryEvent, execution: number): EventBody | undefined {
    const id = int(event.eventId);
    if (event.workflowExecutionStartedEventAttributes) {
      const argument = this.decode(event.workflowExecutionStartedEventAttributes.input?.payloads?.[0]);
      // Every run of a chain carries the spec; a stream may begin after the first run.
      this.conversation = isRecord(argument) && isRecord(argument.spec) && argument.spec.conversation !== undefined;
      return execution === 0 ? this.runStarted(argument, event.workflowExecutionStartedEventAttributes) : undefined;
    }
    if (event.activityTaskScheduledEventAttributes) return this.activityScheduled(id, event);
    if (event.activityTaskCompletedEventAttributes) {
      const { scheduledEventId, result } = event.activityTaskCompletedEventAttributes;
      return this.activityCompleted(int(scheduledEventId), this.decode(result?.payloads?.[0]));
    }
    if (event.activityTaskFailedEventAttributes) {
      const { scheduledEventId, failure } = event.activityTaskFailedEventAttributes;
      return this.activityEnded(int(scheduledEventId), { error: preview(failure?.message ?? '') });
    }
    if (event.activityTaskTimedOutEventAttributes) {
      return this.activityEnded(int(event.activityTaskTimedOutEventAttributes.scheduledEventId), { error: 'timed out' });
    }
    if (event.activityTaskCanceledEventAttributes) {
      return this.activityEnded(int(event.activityTaskCanceledEventAttributes.scheduledEventId), { cancelled: true });
    }
    if (event.workflowExecutionSignaledEventAttributes) return this.signaled(event.workflowExecutionSignaledEventAttributes);
    if (event.workflowExecutionUpdateAcceptedEventAttributes) {
      const name = event.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest?.input?.name;
      if (name) this.updates.set(id, name);
      return undefined;
    }
    if (event.workflowExecutionUpdateCompletedEventAttributes) {
      return this.updateCompleted(event.workflowExecutionUpdateCompletedEventAttributes);
    }
    if (event.workflowPropertiesModifiedEventAttributes) {
      const fields = event.workflowPropertiesModifiedEventAttributes.upsertedMemo?.fields;
      return this.turnMarker(this.decode(fields?.[TURN_MEMO_KEY])) ?? requestMarker(this.decode(fields?.[REQUEST_MEMO_KEY]));
    }
    return this.childEvent(id, event) ?? this.closeEvent(event);
  }

  private runStarted(argument: unknown, attributes: temporal.api.history.v1.IWorkflowExecutionStartedEventAttributes): EventBody {
    const spec = isRecord(argument) && isRecord(argument.spec) ? argument.spec : {};
    const parent = attributes.parentWorkflowExecution?.workflowId;
    return {
      type: 'run_started',
      data: {
        workflowType: attributes.workflowType?.name,
        ...(isRecord(argument) && typeof argument.name === 'string' && { workflow: argument.name }),
        ...(typeof spec.type === 'string' && { pattern: spec.type }),
        ...(isRecord(argument) && argument.input !== undefined && { input: preview(argument.input) }),
        ...(parent && { parent }),
      },
    };
  }

  private activityScheduled(id: number, event: HistoryEvent): EventBody | undefined {
    const attributes = event.activityTaskScheduledEventAttributes!;
    const input = this.decode(attributes.input?.payloads?.[0]);
    const name = attributes.activityType?.name ?? '';
    const activityType = name === 'llmGenerate' && isRecord(input) && 'summarize' in input ? 'summarize' : name;
    const types = activityEventTypes[activityType];
    if (!types) return undefined;
    const summary = this.decodeString(event.userMetadata?.summary);
    const facts = {
      ...activityFacts(activityType, isRecord(input) ? input : {}, attributes.activityId),
      ...turnIn(summary),
      ...(summary && { summary }),
    };
    this.activities.set(id, { activityType, facts });
    if (!types.started) return undefined;
    const started = activityType === 'mcpCallTool' && isRecord(input) ? { arguments: preview(input.arguments) } : {};
    return { type: types.started, data: { ...facts, ...started } };
  }

  private activityCompleted(scheduledEventId: number, result: unknown): EventBody | undefined {
    const scheduled = this.activities.get(scheduledEventId);
    if (!scheduled) return undefined;
    // A summarize call that found nothing to summarize changed nothing worth an event.
    if (scheduled.activityType === 'summarize' && !(isRecord(result) && isRecord(result.summary))) {
      this.activities.delete(scheduledEventId);
      return undefined;
    }
    return this.activityEnded(scheduledEventId, activityOutcome(scheduled.activityType, isRecord(result) ? result : {}));
  }

  private activityEnded(scheduledEventId: number, outcome: Record<string, unknown>): EventBody | undefined {
    const scheduled = this.activities.get(scheduledEventId);
    const types = scheduled && activityEventTypes[scheduled.activityType];
    if (!scheduled || !types) return undefined;
    this.activities.delete(scheduledEventId);
    const failed = 'error' in outcome || 'cancelled' in outcome;
    const isError = types.finished === 'tool_finished' && failed ? { isError: true } : {};
    return { type: types.finished, data: { ...scheduled.facts, ...outcome, ...isError } };
  }

  private signaled(attributes: temporal.api.history.v1.IWorkflowExecutionSignaledEventAttributes): EventBody | undefined {
    switch (attributes.signalName) {
      case pauseSignal.name:
        if (this.paused) return undefined;
        this.paused = true;
        return { type: 'paused', data: {} };
      case resumeSignal.name:
        if (!this.paused) return undefined;
        this.paused = false;
        return { type: 'resumed', data: {} };
      case messageSignal.name:
        // As workflows/conversation.ts takes one. A signal after the conversation ended is still
        // counted: only the workflow knows when it ended, and it says so nowhere in history.
        if (!this.conversation || !isMessage(this.decode(attributes.input?.payloads?.[0]))) return undefined;
        return { type: 'message_received', data: { via: 'signal' } };
      case closeSignal.name:
        return undefined;
      default:
        return undefined;
    }
  }

  private updateCompleted(
    attributes: temporal.api.history.v1.IWorkflowExecutionUpdateCompletedEventAttributes,
  ): EventBody | undefined {
    const name = this.updates.get(int(attributes.acceptedEventId));
    const success = attributes.outcome?.success;
    if (name === sendMessageUpdate.name && success) {
      const reply = this.decode(success.payloads?.[0]);
      const turn = isRecord(reply) && typeof reply.turn === 'number' ? { turn: reply.turn } : {};
      return { type: 'message_received', data: { ...turn, via: 'update' } };
    }
    return undefined;
  }

  /** A conversation's turn starting or ending, as the workflow marks it in its memo. */
  private turnMarker(marker: unknown): EventBody | undefined {
    if (!isRecord(marker) || typeof marker.turn !== 'number') return undefined;
    const text = typeof marker.text === 'string' ? { text: preview(marker.text) } : {};
    if (marker.state === 'started') return { type: 'turn_started', data: { turn: marker.turn, ...text } };
    if (marker.state === 'finished') {
      return { type: 'turn_finished', data: { turn: marker.turn, ...(typeof marker.outcome === 'string' && { outcome: marker.outcome }), ...text } };
    }
    return undefined;
  }

  private childEvent(id: number, event: HistoryEvent): EventBody | undefined {
    const initiated = event.startChildWorkflowExecutionInitiatedEventAttributes;
    if (initiated) {
      const summary = this.decodeString(event.userMetadata?.summary);
      this.children.set(id, {
        workflowId: initiated.workflowId ?? '',
        workflowType: initiated.workflowType?.name ?? undefined,
        ...(summary && { summary }),
      });
      return undefined;
    }
    const started = event.childWorkflowExecutionStartedEventAttributes;
    if (started) {
      const child = this.children.get(int(started.initiatedEventId));
      return child && { type: 'child_started', data: { ...child } };
    }
    const ended = childOutcome(event);
    if (!ended) return undefined;
    const child = this.children.get(ended.initiatedEventId);
    if (!child) return undefined;
    this.children.delete(ended.initiatedEventId);
    const error = ended.failure ? { error: this.failure(ended.failure) } : {};
    return { type: 'child_finished', data: { ...child, status: ended.status, ...error } };
  }

  private closeEvent(event: HistoryEvent): EventBody | undefined {
    if (event.workflowExecutionCompletedEventAttributes) {
      const result = this.decode(event.workflowExecutionCompletedEventAttributes.result?.payloads?.[0]);
      return { type: 'completed', data: resultFacts(result) };
    }
    if (event.workflowExecutionFailedEventAttributes) {
      return { type: 'failed', data: this.failure(event.workflowExecutionFailedEventAttributes.failure) };
    }
    if (event.workflowExecutionCancelRequestedEventAttributes) {
      this.cancelReason ??= cancelReason(event.workflowExecutionCancelRequestedEventAttributes);
      return undefined;
    }
    if (event.workflowExecutionCanceledEventAttributes) {
      return { type: 'cancelled', data: this.cancelReason ? { reason: this.cancelReason } : {} };
    }
    if (event.workflowExecutionTerminatedEventAttributes) {
      const reason = event.workflowExecutionTerminatedEventAttributes.reason;
      return { type: 'terminated', data: reason ? { reason: preview(reason) } : {} };
    }
    if (event.workflowExecutionTimedOutEventAttributes) return { type: 'timed_out', data: {} };
    return undefined;
  }

  /** The same code and message a Run's `error` has. */
  private failure(failure: ProtoFailure | null | undefined): { code: string; message: string } {
    if (!failure) return { code: 'workflow_failed', message: 'The run failed.' };
    const view = failureView(this.failureConverter.failureToError(failure, this.payloadConverter));
    return { code: view.code, message: preview(view.message) };
  }

  private decode(payload: Payload | null | undefined): unknown {
    if (!payload) return undefined;
    try {
      return this.payloadConverter.fromPayload(payload);
    } catch {
      return undefined;
    }
  }

  private decodeString(payload: Payload | null | undefined): string | undefined {
    const value = this.decode(payload);
    return typeof value === 'string' && value !== '' ? value : undefined;
  }
}

/** What an activity's input says about the call: the model of an LLM turn, the name of a tool. */
function activityFacts(activityType: string, input: Record<string, unknown>, activityId?: string | null): Record<string, unknown> {
  if (activityType === 'summarize') return { provider: input.provider, model: input.model };
  // The activity id is what the call's llm_delta events name it by.
  if (activityType === 'llmGenerate') return { provider: input.provider, model: input.model, ...(activityId && { activityId }) };
  if (activityType === 'mcpCallTool') {
    const server = String(input.server ?? '');
    const tool = String(input.tool ?? '');
    return { tool: namespacedToolName(server, tool), server };
  }
  return { tool: input.name, kind: 'function' };
}

function activityOutcome(activityType: string, result: Record<string, unknown>): Record<string, unknown> {
  if (activityType === 'summarize') {
    const summary = isRecord(result.summary) ? result.summary : {};
    return { messages: summary.messages, ...(typeof summary.text === 'string' && { text: preview(summary.text) }) };
  }
  if (activityType === 'llmGenerate') {
    const usage = isRecord(result.usage) ? result.usage : {};
    const message = isRecord(result.message) ? result.message : {};
    const calls = Array.isArray(message.toolCalls) ? message.toolCalls : [];
    return {
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      ...(typeof usage.costUsd === 'number' && { costUsd: usage.costUsd }),
      stopReason: result.stopReason,
      toolCalls: calls.map((call) => (isRecord(call) ? call.name : undefined)),
      ...(typeof message.content === 'string' && message.content !== '' && { text: preview(message.content) }),
      // A loop's call says how much of the conversation the model was sent, and what was left out.
      ...(isRecord(result.context) && { context: result.context }),
    };
  }
  if (activityType === 'mcpCallTool') return { isError: result.isError === true, result: preview(result.content ?? '') };
  return {
    isError: result.isError === true,
    ...(result.isError === true ? { error: preview(result.error ?? '') } : { result: preview(result.value ?? null) }),
  };
}

/** A closed run's usage and, when it has one, the start of its text answer. */
function resultFacts(result: unknown): Record<string, unknown> {
  if (!isRecord(result)) return result === undefined ? {} : { result: preview(result) };
  return {
    ...(typeof result.text === 'string' && { text: preview(result.text) }),
    ...(isRecord(result.usage) && { usage: result.usage }),
  };
}

/** Why a run was cancelled: the reason its cancel request gave, or its parent's cancellation. */
export function cancelReason(
  attributes: temporal.api.history.v1.IWorkflowExecutionCancelRequestedEventAttributes,
): string | undefined {
  if (attributes.cause) return preview(attributes.cause);
  const parent = attributes.externalWorkflowExecution?.workflowId;
  return parent ? `its parent ${parent} was cancelled` : undefined;
}

interface ChildOutcome {
  initiatedEventId: number;
  status: 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed_out';
  failure?: ProtoFailure | null;
}

function childOutcome(event: HistoryEvent): ChildOutcome | undefined {
  const completed = event.childWorkflowExecutionCompletedEventAttributes;
  if (completed) return { initiatedEventId: int(completed.initiatedEventId), status: 'completed' };
  const failed = event.childWorkflowExecutionFailedEventAttributes;
  if (failed) return { initiatedEventId: int(failed.initiatedEventId), status: 'failed', failure: failed.failure };
  const cancelled = event.childWorkflowExecutionCanceledEventAttributes;
  if (cancelled) return { initiatedEventId: int(cancelled.initiatedEventId), status: 'cancelled' };
  const terminated = event.childWorkflowExecutionTerminatedEventAttributes;
  if (terminated) return { initiatedEventId: int(terminated.initiatedEventId), status: 'terminated' };
  const timedOut = event.childWorkflowExecutionTimedOutEventAttributes;
  if (timedOut) return { initiatedEventId: int(timedOut.initiatedEventId), status: 'timed_out' };
  return undefined;
}

/** An input request's progress, as the workflow marks it in its memo (RunControl). */
function requestMarker(marker: unknown): EventBody | undefined {
  if (!isRecord(marker) || typeof marker.requestId !== 'string') return undefined;
  const { requestId } = marker;
  switch (marker.state) {
    case 'requested':
      return {
        type: 'input_requested',
        data: {
          requestId,
          kind: marker.kind,
          ...(typeof marker.prompt === 'string' && { prompt: preview(marker.prompt) }),
          ...(typeof marker.tool === 'string' && { tool: marker.tool }),
          ...(marker.args !== undefined && { args: preview(marker.args) }),
          ...(isRecord(marker.schema) && { schema: marker.schema }),
        },
      };
    case 'answered':
      return { type: 'input_received', data: { requestId, via: marker.via } };
    case 'timed_out':
      return { type: 'input_timed_out', data: { requestId } };
    default:
      return undefined;
  }
}
