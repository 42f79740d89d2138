import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import {
  CHILD_REQUEST_SEPARATOR,
  Patches,
  REQUEST_MEMO_KEY,
  TURN_MEMO_KEY,
  USAGE_MEMO_KEY,
  type RequestMarker,
  type TurnMarker,
} from '../../workflows/definitions';

/**
 * A replay's nondeterminism error in the user's terms. Temporal's own message names its state
 * machines (`Missing associated machine for LocalActivity(4)`, `Update machine does not handle this
 * event: HistoryEvent(id: 49, WorkflowPropertiesModified)`) or a patch id of this library's
 * (`input-request-markers`) that no user ever wrote; the history being replayed says what was
 * there instead: a model or tool call, an agent resolved, a person asked, a child run, a timer.
 * That comes first, with the way out (`patched()`), and Temporal's message after it, for experts.
 */

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type History = temporal.api.history.v1.IHistory;
type Payload = temporal.api.common.v1.IPayload;
type Int64 = { toString(): string } | number | null | undefined;

const HINT =
  "its calls to agents, models, tools, functions, child runs or people changed since the run was recorded (guard such a change with patched(): README, \"Changing a workflow that is running\")";

/**
 * What the history recorded where a library patch's marker is: the code that calls `patched()`
 * with the id runs only where the run did that. Said as "the run's history <this>".
 */
// Every library patch is explained: the type fails to compile without a new one's wording.
const LIBRARY_PATCHES: Record<(typeof Patches)[keyof typeof Patches], string> & Partial<Record<string, string>> = {
  [Patches.InputRequestMarkers]: 'asked a person for input or an approval',
  [Patches.UsageMemo]: 'ended the run (and recorded its usage)',
  [Patches.CancelWins]: 'ended the run as cancelled',
  [Patches.WithdrawFailedCallRequests]: 'withdrew the questions of a tool call that had failed',
  [Patches.PauseHoldsCompletion]: "held the run's end while it was paused",
  [Patches.AnnounceEveryChildRequest]: "announced a child run's question",
  [Patches.AnnounceChildRequestsWhileOwnWait]: "announced a child run's question while the run waited for an answer of its own",
  [Patches.QuickStepBoundaries]: 'reached its first step boundary (a model or tool call, or an approval)',
  [Patches.OneChildReportPerStep]: 'started reporting to its parent run, once a step',
  [Patches.SearchAttributesOfMalformedRuns]: 'set the search attributes of a run that failed on its malformed argument',
  [Patches.LateMessageSignals]: "waited to answer a message signal that came after the conversation's close, or after it ended while paused",
  [Patches.RefuseConversationWithoutTurns]: 'failed a run whose spec said conversation, of a workflow not made with { conversation: true }',
  [Patches.OverBudgetTurnFails]: 'ended a conversation turn as failed, its run over budget',
};

const ACTIVITY_KINDS: Record<string, string> = {
  llmGenerate: 'a model call',
  mcpCallTool: 'a tool call',
  callFunction: 'a function call',
  mcpListTools: "a listing of an MCP server's tools",
  embed: 'an embedding call',
  mcpGetPrompt: 'a read of an MCP prompt',
  mcpReadResource: 'a read of an MCP resource',
  composeAgentContext: "the composition of an agent's context",
  resolveNode: 'resolving a name from the config',
};

/** Whether this replay failure is Temporal's nondeterminism error (ours, from `sameAsRecorded`, reads well already). */
export function isTemporalNondeterminism(reason: string): boolean {
  return /\[TMPRL1100\]|Nondeterminism error/.test(reason) && !reason.startsWith('Nondeterminism: ');
}

/** An activity (or local activity) of another type where the history has one: Temporal's message names the two types, not the event. */
export interface ActivityTypeMismatch {
  recorded: string;
  now: string;
  local: boolean;
}

export function activityTypeMismatch(reason: string): ActivityTypeMismatch | undefined {
  const found = /Activity type of (scheduled event|recorded marker) '([^']*)' does not match activity type of (?:local )?activity command '([^']*)'/.exec(reason);
  return found ? { recorded: found[2], now: found[3], local: found[1] === 'recorded marker' } : undefined;
}

/**
 * The events that made an activity of the type the history recorded where the code now differs:
 * that place is one of them, and when they are several, only a replay can tell which
 * (replay.ts replays the history cut after each).
 */
export function activityTypeCandidates(mismatch: ActivityTypeMismatch, history: History | undefined): number[] {
  const madeIt = (event: HistoryEvent) =>
    mismatch.local
      ? localActivityMarker(event)?.activity_type === mismatch.recorded
      : event.activityTaskScheduledEventAttributes?.activityType?.name === mismatch.recorded;
  return (history?.events ?? []).filter(madeIt).map((event) => int(event.eventId));
}

/**
 * `reason` (Temporal's message) with a sentence before it that says what the history recorded at
 * the point the code now differs, and how to make such a change safely. `located` is the event a
 * replay found for a message that names none (an activity of another type).
 */
export function explainNondeterminism(reason: string, history: History | undefined, located?: number): string {
  const events = history?.events ?? [];
  const mismatch = activityTypeMismatch(reason);
  if (mismatch) return explainActivityType(reason, mismatch, history, located);
  const found = mismatchedEvent(reason, events);
  if (!found) {
    return `Nondeterminism: the workflow code no longer does what the run's history recorded: ${HINT}. Temporal says: ${reason}`;
  }
  const at = `at event ${int(found.event.eventId)} the run's history`;
  const patch = patchOf(found.event);
  if (patch !== undefined) {
    const library = LIBRARY_PATCHES[patch];
    if (library !== undefined) {
      const next = patch === Patches.InputRequestMarkers ? nextRequest(events, found.event) : '';
      return (
        `Nondeterminism: ${at} ${library}${next}, and the workflow code no longer does that there: ${HINT}. ` +
        `Temporal says: ${reason} ("${patch}" is mcp-agent-temporal's own marker of that, not a patch of yours)`
      );
    }
    return (
      `Nondeterminism: ${at} took the new way of patched("${patch}"), and the workflow code no longer calls patched("${patch}") there: ` +
      'keep a patch until no run from before it is left (deprecatePatch() first; README, "Changing a workflow that is running"). ' +
      `Temporal says: ${reason}`
    );
  }
  return `Nondeterminism: ${at} ${describe(found.event, events)}, and the workflow code now does something else there: ${HINT}. Temporal says: ${reason}`;
}

/** What the history made at the event, and what the code makes there now: both are in Temporal's message, the event is not. */
function explainActivityType(reason: string, mismatch: ActivityTypeMismatch, history: History | undefined, located: number | undefined): string {
  const events = history?.events ?? [];
  const candidates = activityTypeCandidates(mismatch, history);
  const at = located ?? (candidates.length === 1 ? candidates[0] : undefined);
  const event = at === undefined ? undefined : byId(events, at);
  const local = mismatch.local ? ' as a local call' : '';
  const makesNow = `the workflow code now makes ${activityKind(mismatch.now)}${local}`;
  if (!event) {
    const where = candidates.length > 0 ? ` (at one of events ${candidates.join(', ')})` : '';
    return `Nondeterminism: the run's history made ${activityKind(mismatch.recorded)}${local}${where} where ${makesNow}: ${HINT}. Temporal says: ${reason}`;
  }
  return `Nondeterminism: at event ${at} the run's history ${describe(event, events)}, and ${makesNow} there instead: ${HINT}. Temporal says: ${reason}`;
}

/** The event Temporal's message points at, by its id or by what the command was (a local activity's seq, a timer's id, a patch id). */
function mismatchedEvent(reason: string, events: HistoryEvent[]): { event: HistoryEvent } | undefined {
  const byId = (id: number) => events.find((e) => int(e.eventId) === id);
  const match = (pattern: RegExp) => pattern.exec(reason)?.[1];
  const eventId = match(/HistoryEvent\s*(?:\(id: |\{\s*event_id: )(\d+)/);
  if (eventId) return wrap(byId(Number(eventId)));
  const localSeq = match(/LocalActivity\((\d+)\)/) ?? match(/Local activity marker data has sequence number (\d+)/);
  if (localSeq) return wrap(events.find((e) => localActivityMarker(e)?.seq === Number(localSeq)));
  const localId = match(/Activity id of recorded marker '([^']*)'/);
  if (localId) return wrap(events.find((e) => localActivityMarker(e)?.activity_id === localId));
  const patch = match(/patch marker encountered for change ([^,\s]+)/) ?? match(/Change id ([^\s,]+)/);
  if (patch) return wrap(events.find((e) => patchOf(e) === patch));
  const timer = match(/\bTimer\((\d+)\)/);
  if (timer) return wrap(events.find((e) => e.timerStartedEventAttributes?.timerId === timer));
  const activity = match(/\bActivity\((\d+)\)/) ?? match(/Activity id of scheduled event '([^']*)'/);
  if (activity) return wrap(events.find((e) => e.activityTaskScheduledEventAttributes?.activityId === activity));
  const childId = match(/Child workflow id of scheduled event '([^']*)'/);
  if (childId) return wrap(events.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId === childId));
  const childSeq = match(/\bChildWorkflow\((\d+)\)/);
  if (childSeq) return wrap(events.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)[Number(childSeq) - 1]);
  return undefined;
}

function wrap(event: HistoryEvent | undefined): { event: HistoryEvent } | undefined {
  return event ? { event } : undefined;
}

/** What the run did at this event, as "the run's history <this>". */
function describe(event: HistoryEvent, events: HistoryEvent[]): string {
  const summary = summaryOf(event);
  const said = summary ? ` ("${summary}")` : '';
  const local = localActivityMarker(event);
  if (local) {
    if (local.activity_type === 'resolveNode') {
      const resolved = decode<{ kind?: string; name?: string }>(event.markerRecordedEventAttributes?.details?.result?.payloads?.[0]);
      const kind = resolved?.kind === 'pattern' || resolved?.kind === 'function' ? resolved.kind : 'agent';
      const name = resolved?.name ?? summary?.replace(/^resolve /, '');
      return `resolved ${name ? `the ${kind} "${name}"` : 'a name from the config'} (a local call${summary ? `: "${summary}"` : ''})`;
    }
    return `made ${activityKind(local.activity_type)} as a local call${said}`;
  }
  const scheduled = event.activityTaskScheduledEventAttributes;
  if (scheduled) return `made ${activityKind(scheduled.activityType?.name)}${said}`;
  const ended = activityEnd(event);
  if (ended) {
    const start = byId(events, ended.scheduled);
    const what = start?.activityTaskScheduledEventAttributes ? activityKind(start.activityTaskScheduledEventAttributes.activityType?.name) : 'an activity';
    const startSaid = start && summaryOf(start) ? ` "${summaryOf(start)}"` : '';
    return `recorded that ${what}${startSaid} (made at event ${ended.scheduled}) ${ended.how}`;
  }
  const child = event.startChildWorkflowExecutionInitiatedEventAttributes;
  if (child) return `started the child run "${child.workflowId}" (${child.workflowType?.name ?? 'a workflow'}${summary ? `, "${summary}"` : ''})`;
  const childEnd = childEndOf(event);
  if (childEnd) {
    const start = byId(events, childEnd.initiated)?.startChildWorkflowExecutionInitiatedEventAttributes;
    return `recorded that the child run "${start?.workflowId ?? '?'}" (started at event ${childEnd.initiated}) ${childEnd.how}`;
  }
  if (event.timerStartedEventAttributes) return `started a timer${said || ` of ${seconds(event.timerStartedEventAttributes.startToFireTimeout)}`}`;
  if (event.timerFiredEventAttributes || event.timerCanceledEventAttributes) {
    const how = event.timerFiredEventAttributes ? 'fired' : 'was cancelled';
    const started = int((event.timerFiredEventAttributes ?? event.timerCanceledEventAttributes)?.startedEventId);
    return `recorded that the timer started at event ${started}${said} ${how}`;
  }
  const memo = event.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields;
  if (memo) return describeMemo(memo, events);
  const attributes = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
  if (attributes) {
    const fields = Object.entries(attributes).map(([key, value]) => `${key} = ${JSON.stringify(decode(value) ?? null)}`);
    return `updated the run's status in its search attributes (${fields.join(', ')})`;
  }
  const signal = event.signalExternalWorkflowExecutionInitiatedEventAttributes;
  if (signal) return `sent the signal "${signal.signalName}" to the run "${signal.workflowExecution?.workflowId ?? '?'}"`;
  const cancel = event.requestCancelExternalWorkflowExecutionInitiatedEventAttributes;
  if (cancel) return `asked the run "${cancel.workflowExecution?.workflowId ?? '?'}" to cancel`;
  const accepted = event.workflowExecutionUpdateAcceptedEventAttributes;
  if (accepted) return `accepted the Update "${accepted.acceptedRequest?.input?.name ?? '?'}" (an answer or a message sent to the run)`;
  if (event.workflowExecutionUpdateCompletedEventAttributes) {
    return `completed the Update accepted at event ${int(event.workflowExecutionUpdateCompletedEventAttributes.acceptedEventId)}`;
  }
  if (event.workflowExecutionSignaledEventAttributes) return `received the signal "${event.workflowExecutionSignaledEventAttributes.signalName}"`;
  if (event.workflowExecutionCompletedEventAttributes) return 'completed the run';
  if (event.workflowExecutionFailedEventAttributes) return 'failed the run';
  if (event.workflowExecutionCanceledEventAttributes) return 'ended the run as cancelled';
  if (event.workflowExecutionContinuedAsNewEventAttributes) return 'continued the run as new';
  return `recorded ${eventTypeName(event)}`;
}

/** Our input requests, usage and turns are memo changes: what the history asked, and of whom. */
function describeMemo(fields: Record<string, Payload>, events: HistoryEvent[]): string {
  const request = fields[REQUEST_MEMO_KEY] ? decode<RequestMarker>(fields[REQUEST_MEMO_KEY]) : undefined;
  if (request?.state === 'requested') {
    const child = request.requestId.includes(CHILD_REQUEST_SEPARATOR) ? "passed on a child run's question: it " : '';
    return `${child}${requestPhrase(request)} (request ${request.requestId})`;
  }
  if (request) {
    // Replay compares no memo's content: a request asked otherwise since (an approval where the
    // history asked for input, or one asked before it) goes unnoticed until its answer.
    const asked = askedAt(events, request.requestId);
    const what = asked
      ? `the ${requestKind(asked.request)} "${asked.request.prompt}" (${request.requestId}, asked at event ${int(asked.event.eventId)}; ` +
        'replay does not compare what a request asks, so a request changed since shows first here)'
      : `the request ${request.requestId}`;
    return request.state === 'answered' ? `took the answer to ${what}` : `recorded that nobody answered ${what} in time`;
  }
  if (fields[USAGE_MEMO_KEY]) return 'ended the run (and recorded its usage)';
  const turn = fields[TURN_MEMO_KEY] ? decode<TurnMarker>(fields[TURN_MEMO_KEY]) : undefined;
  if (turn) return `${turn.state === 'started' ? 'started' : 'finished'} conversation turn ${turn.turn}`;
  return `changed the run's memo (${Object.keys(fields).join(', ')})`;
}

function requestKind(request: Extract<RequestMarker, { state: 'requested' }>): string {
  return request.kind === 'approval' ? 'approval request' : request.kind === 'elicitation' ? "MCP server's question" : 'input request';
}

function requestPhrase(request: Extract<RequestMarker, { state: 'requested' }>): string {
  if (request.kind === 'approval') return `asked a person to approve${request.tool ? ` "${request.tool}"` : ''}: "${request.prompt}"`;
  if (request.kind === 'elicitation') return `passed on an MCP server's question: "${request.prompt}"`;
  return `asked a person for input: "${request.prompt}"`;
}

/** After a library patch's input-request marker: the request the run asked next, if any. */
function nextRequest(events: HistoryEvent[], marker: HistoryEvent): string {
  const after = int(marker.eventId);
  for (const event of events) {
    if (int(event.eventId) <= after) continue;
    const field = event.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields?.[REQUEST_MEMO_KEY];
    const request = field ? decode<RequestMarker>(field) : undefined;
    if (request?.state === 'requested') return ` ("${request.prompt}", event ${int(event.eventId)})`;
  }
  return '';
}

function askedAt(events: HistoryEvent[], requestId: string): { event: HistoryEvent; request: Extract<RequestMarker, { state: 'requested' }> } | undefined {
  for (const event of events) {
    const field = event.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields?.[REQUEST_MEMO_KEY];
    const request = field ? decode<RequestMarker>(field) : undefined;
    if (request?.state === 'requested' && request.requestId === requestId) return { event, request };
  }
  return undefined;
}

function activityKind(type: string | null | undefined): string {
  return ACTIVITY_KINDS[type ?? ''] ?? `a call of the activity ${type ?? '?'}`;
}

function activityEnd(event: HistoryEvent): { scheduled: number; how: string } | undefined {
  const ends: Array<[{ scheduledEventId?: Int64 } | null | undefined, string]> = [
    [event.activityTaskStartedEventAttributes, 'started'],
    [event.activityTaskCompletedEventAttributes, 'completed'],
    [event.activityTaskFailedEventAttributes, 'failed'],
    [event.activityTaskTimedOutEventAttributes, 'timed out'],
    [event.activityTaskCanceledEventAttributes, 'was cancelled'],
    [event.activityTaskCancelRequestedEventAttributes, 'was asked to cancel'],
  ];
  const found = ends.find(([attributes]) => attributes);
  return found ? { scheduled: int(found[0]?.scheduledEventId), how: found[1] } : undefined;
}

function childEndOf(event: HistoryEvent): { initiated: number; how: string } | undefined {
  const ends: Array<[{ initiatedEventId?: Int64 } | null | undefined, string]> = [
    [event.childWorkflowExecutionStartedEventAttributes, 'started'],
    [event.childWorkflowExecutionCompletedEventAttributes, 'completed'],
    [event.childWorkflowExecutionFailedEventAttributes, 'failed'],
    [event.childWorkflowExecutionCanceledEventAttributes, 'was cancelled'],
    [event.childWorkflowExecutionTimedOutEventAttributes, 'timed out'],
    [event.childWorkflowExecutionTerminatedEventAttributes, 'was terminated'],
    [event.startChildWorkflowExecutionFailedEventAttributes, 'could not start'],
  ];
  const found = ends.find(([attributes]) => attributes);
  return found ? { initiated: int(found[0]?.initiatedEventId), how: found[1] } : undefined;
}

interface LocalActivityMarker {
  seq?: number;
  activity_id?: string;
  activity_type?: string;
}

function localActivityMarker(event: HistoryEvent): LocalActivityMarker | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_local_activity') return undefined;
  return decode<LocalActivityMarker>(marker.details?.data?.payloads?.[0]) ?? {};
}

function patchOf(event: HistoryEvent): string | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_patch') return undefined;
  return decode<{ id?: string }>(marker.details?.['patch-data']?.payloads?.[0])?.id;
}

function summaryOf(event: HistoryEvent): string | undefined {
  const summary = decode<unknown>(event.userMetadata?.summary);
  return typeof summary === 'string' && summary.length > 0 ? summary : undefined;
}

function byId(events: HistoryEvent[], id: number): HistoryEvent | undefined {
  return events.find((e) => int(e.eventId) === id);
}

/** A JSON payload's value; anything else (binary, encrypted, stored elsewhere) is not described. */
function decode<T>(payload: Payload | null | undefined): T | undefined {
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload<T>(payload as Parameters<typeof defaultPayloadConverter.fromPayload>[0]);
  } catch {
    return undefined;
  }
}

/** `EVENT_TYPE_WORKFLOW_TASK_FAILED` → `a "workflow task failed" event`. */
function eventTypeName(event: HistoryEvent): string {
  const name = temporal.api.enums.v1.EventType[event.eventType ?? 0] ?? 'EVENT_TYPE_UNSPECIFIED';
  return `a "${name.replace(/^EVENT_TYPE_/, '').toLowerCase().replace(/_/g, ' ')}" event`;
}

function seconds(duration: { seconds?: Int64 } | null | undefined): string {
  return `${Number(duration?.seconds?.toString() ?? 0)} s`;
}

function int(value: Int64): number {
  return typeof value === 'number' ? value : Number(value?.toString() ?? 0);
}
