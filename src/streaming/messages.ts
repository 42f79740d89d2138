import type { ReplyDelta } from '../llm/deltas';

/**
 * What workers publish and API processes put on run event streams as `llm_delta` (contract
 * section 11). Best effort and live only: deltas are not in Temporal history, carry no event id
 * and are never replayed; the call's durable result is its `llm_finished` event.
 */
export type LlmDeltaData = ReplyDelta & {
  /** The run (workflow id) of the tree whose LLM call this is: the watched run or one of its children. */
  runId: string;
  /** The LLM activity's id within that run's execution; with `attempt`, which call this belongs to. */
  activityId: string;
  /** A retried call streams again from the start under its next attempt. */
  attempt: number;
  /** Counts this call attempt's deltas from 0, so a client can tell one went missing. */
  seq: number;
};

export interface LlmDeltaEvent {
  type: 'llm_delta';
  /** ISO 8601, when the worker published it. */
  at: string;
  data: LlmDeltaData;
}

/** Which tool call a live tool event is about: the run, the MCP call activity, and the tool. */
interface ToolCallRef {
  runId: string;
  activityId: string;
  attempt: number;
  server: string;
  /** The tool's name on its server. */
  tool: string;
}

/** An MCP server's progress notification for a running tool call (`notifications/progress`). */
export interface ToolProgressEvent {
  type: 'tool_progress';
  at: string;
  data: ToolCallRef & { progress: number; total?: number; message?: string };
}

/** A log message an MCP server sent while a tool call ran (`notifications/message`). */
export interface ToolLogEvent {
  type: 'tool_log';
  at: string;
  data: ToolCallRef & { level: string; logger?: string; message: string };
}

/** What workers publish for API processes to put on event streams as they happen: live only, never replayed. */
export type LiveEvent = LlmDeltaEvent | ToolProgressEvent | ToolLogEvent;

const LIVE_TYPES = new Set<string>(['llm_delta', 'tool_progress', 'tool_log']);

export function encodeLiveEvent(event: LiveEvent): Uint8Array {
  return Buffer.from(JSON.stringify(event), 'utf8');
}

export function decodeLiveEvent(bytes: Uint8Array): LiveEvent | undefined {
  try {
    const value = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<LiveEvent>;
    if (!LIVE_TYPES.has(String(value?.type)) || typeof value.data?.runId !== 'string' || typeof value.at !== 'string') return undefined;
    return value as LiveEvent;
  } catch {
    return undefined;
  }
}
