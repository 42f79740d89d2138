import type { ContextSettings } from './context';
import type { LoggedMessage } from './entry';
import { messagesTokens } from './tokens';

/**
 * What a loop knows about its context budget between LLM calls: the summary in force, how big the
 * conversation was at the last call, and how often context was cut. It decides when a `summarize`
 * agent (a swarm's active one) asks for a new summary. Pure: workflows use it; it survives
 * continue-as-new.
 */

export interface ContextSummaryState {
  upTo: string;
  key: string;
}

export interface ContextState {
  summary?: ContextSummaryState;
  /** Estimated tokens of the whole conversation (after the summary) at the last call, its reply included. */
  lastFullTokens: number;
  /** Estimated tokens the last call sent. */
  lastTokens: number;
  /** Calls that sent less than the whole conversation. */
  trimmedCalls: number;
  summaries: number;
  /** Messages the summaries cover. */
  summarizedMessages: number;
}

export interface ContextUse {
  tokens: number;
  fullTokens: number;
  dropped: number;
  stubbed: number;
}

/** A summary keeps the most recent half of the budget as it is. */
export const SUMMARY_KEEPS_SHARE = 0.5;

export class ContextTracker {
  readonly state: ContextState;

  constructor(carry?: ContextState) {
    this.state = carry ? { ...carry } : { lastFullTokens: 0, lastTokens: 0, trimmedCalls: 0, summaries: 0, summarizedMessages: 0 };
  }

  /** True when the next call, with `pending` added, would go over a `summarize` agent's budget. */
  wantsSummary(settings: ContextSettings | undefined, pending: readonly LoggedMessage[]): boolean {
    if (settings?.strategy !== 'summarize' || this.state.lastFullTokens === 0) return false;
    return this.state.lastFullTokens + messagesTokens(pending) > settings.max_tokens;
  }

  keepTokens(settings: ContextSettings): number {
    return Math.floor(settings.max_tokens * SUMMARY_KEEPS_SHARE);
  }

  called(use: ContextUse): void {
    this.state.lastFullTokens = use.fullTokens;
    this.state.lastTokens = use.tokens;
    if (use.dropped > 0 || use.stubbed > 0) this.state.trimmedCalls++;
  }

  /** Nothing could be summarized yet; the next call's figures decide again. */
  nothingToSummarize(): void {
    this.state.lastFullTokens = 0;
  }

  summarized(summary: ContextSummaryState, messages: number): void {
    this.state.summary = summary;
    this.state.summaries++;
    this.state.summarizedMessages += messages;
    // Until the next call says otherwise: the summary took the covered part out.
    this.state.lastFullTokens = 0;
  }
}
