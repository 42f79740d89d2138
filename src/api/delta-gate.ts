import { parseEventId, type RunEvent } from '../../client/run-events';
import type { LlmDeltaEvent } from '../streaming/messages';

/**
 * Keeps a stream's `llm_delta` events of the watched run's own LLM calls between that call's
 * `llm_started` and `llm_finished`. Deltas travel faster than history (a worker may stream its
 * first bytes before the API has read the event that scheduled the call), so a delta of a call not
 * yet started on this stream waits for it; one of a call already finished is dropped. Deltas of
 * runs below the watched one pass as they come: their llm events are in their own streams.
 *
 * Activity ids start again from 1 in each execution of a continued-as-new run, so a finished call
 * is remembered only until the stream reaches the next execution, and for FINISHED_MEMORY_MS at
 * most: a new execution's first calls, streaming before the stream has read that far, are held,
 * not taken for old ones.
 */
const FINISHED_MEMORY_MS = 10_000;

export class DeltaGate {
  private readonly open = new Set<string>();
  /** Finished calls, and when they finished on this stream. */
  private readonly finished = new Map<string, number>();
  private readonly waiting = new Map<string, LlmDeltaEvent[]>();
  private execution = 0;

  constructor(
    private readonly runId: string,
    /** Deltas held per call that has not started on the stream yet; more are dropped. */
    private readonly maxWaiting = 2000,
    private readonly now: () => number = Date.now,
  ) {}

  /** A durable event the stream has written (or, before a Last-Event-ID, passed over); returns deltas to write after it. */
  durable(event: RunEvent): LlmDeltaEvent[] {
    const execution = parseEventId(event.id)?.execution ?? this.execution;
    if (execution > this.execution) {
      this.execution = execution;
      this.open.clear();
      this.finished.clear();
    }
    const activityId = typeof event.data.activityId === 'string' ? event.data.activityId : undefined;
    if (!activityId) return [];
    if (event.type === 'llm_started') {
      this.finished.delete(activityId);
      this.open.add(activityId);
      const waiting = this.waiting.get(activityId) ?? [];
      this.waiting.delete(activityId);
      return waiting;
    }
    if (event.type === 'llm_finished') {
      this.open.delete(activityId);
      this.waiting.delete(activityId);
      this.finished.set(activityId, this.now());
    }
    return [];
  }

  /** A delta from the feed; returns what to write now (it, or nothing yet). */
  live(delta: LlmDeltaEvent): LlmDeltaEvent[] {
    if (delta.data.runId !== this.runId) return [delta];
    const { activityId } = delta.data;
    if (this.open.has(activityId)) return [delta];
    const finishedAt = this.finished.get(activityId);
    if (finishedAt !== undefined) {
      if (this.now() - finishedAt < FINISHED_MEMORY_MS) return [];
      this.finished.delete(activityId);
    }
    const waiting = this.waiting.get(activityId) ?? [];
    if (waiting.length < this.maxWaiting) waiting.push(delta);
    this.waiting.set(activityId, waiting);
    return [];
  }
}
