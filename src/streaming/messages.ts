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

export function encodeDelta(event: LlmDeltaEvent): Uint8Array {
  return Buffer.from(JSON.stringify(event), 'utf8');
}

export function decodeDelta(bytes: Uint8Array): LlmDeltaEvent | undefined {
  try {
    const value = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<LlmDeltaEvent>;
    if (value?.type !== 'llm_delta' || typeof value.data?.runId !== 'string' || typeof value.at !== 'string') return undefined;
    return value as LlmDeltaEvent;
  } catch {
    return undefined;
  }
}
