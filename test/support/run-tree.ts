import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import type { RecordedRequest } from '../../src/testing/scripted-model';

/** A composed run as its histories show it: the run, then its child workflows, depth first. */

export interface RunNode {
  workflowId: string;
  /** The workflow's static summary (for children: `<role> · <node name>`). */
  summary?: string;
  /** Summaries of the activities it scheduled, in order. */
  activities: string[];
  children: RunNode[];
  /** Activity and child events in order (others as `other`), for checks on what overlapped. */
  events: string[];
}

export async function runTree(client: Client, handle: WorkflowHandle): Promise<RunNode> {
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const activities = events.flatMap((e) =>
    e.activityTaskScheduledEventAttributes && e.userMetadata?.summary
      ? [defaultPayloadConverter.fromPayload<string>(e.userMetadata.summary as never)]
      : [],
  );
  const childIds = events.flatMap((e) => {
    const id = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    return id ? [id] : [];
  });
  const children = await Promise.all(childIds.map((id) => runTree(client, client.workflow.getHandle(id))));
  const summary = await (await handle.describe()).staticSummary();
  return {
    workflowId: handle.workflowId,
    summary,
    activities,
    children,
    events: events.map((e) => eventName(e as Record<string, unknown>)),
  };
}

const TRACKED = [
  'activityTaskScheduled',
  'activityTaskCompleted',
  'startChildWorkflowExecutionInitiated',
  'childWorkflowExecutionCompleted',
] as const;

/** The tracked kinds of event, by their attributes; others are `other`. */
function eventName(event: Record<string, unknown>): string {
  return TRACKED.find((kind) => event[`${kind}EventAttributes`]) ?? 'other';
}

/** Every node of the tree, the run itself first. */
export function flatten(node: RunNode): RunNode[] {
  return [node, ...node.children.flatMap(flatten)];
}

/** Activities scheduled by the run and all its descendants. */
export function activityCount(node: RunNode): number {
  return flatten(node).reduce((sum, n) => sum + n.activities.length, 0);
}

/** The failure a run ended with, as the lifecycle made it readable. */
export async function runFailure(result: Promise<unknown>): Promise<{ type?: string; message: string }> {
  const err = await result.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure) {
    return { type: err.cause.type ?? undefined, message: err.cause.message };
  }
  throw new Error(`the run did not fail with an application failure: ${String(err)}`);
}

type Json = Record<string, unknown>;

function text(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((c) => ((c as Json).type === 'text' ? String((c as Json).text) : '')).join('');
  return '';
}

/** The system prompt a model was given. */
export function systemSeen(request: RecordedRequest): string {
  if (request.provider === 'anthropic') return text(request.body.system);
  const messages = request.body.messages as Json[];
  return text(messages.find((m) => m.role === 'system')?.content);
}

/** The first user message a model was given: what a pattern asked it. */
export function promptSeen(request: RecordedRequest): string {
  const messages = request.body.messages as Json[];
  return text(messages.find((m) => m.role === 'user')?.content);
}

/** All user messages, the repair turn's included. */
export function userMessagesSeen(request: RecordedRequest): string[] {
  const messages = request.body.messages as Json[];
  return messages.filter((m) => m.role === 'user').map((m) => text(m.content));
}

/** The structured output a request asked for, by name (OpenAI response_format or Anthropic forced tool). */
export function outputAskedFor(request: RecordedRequest): string | undefined {
  if (request.provider === 'openai') {
    const format = request.body.response_format as { json_schema?: { name?: string } } | undefined;
    return format?.json_schema?.name;
  }
  const choice = request.body.tool_choice as { name?: string } | undefined;
  return choice?.name;
}
