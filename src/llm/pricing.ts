import type { TokenUsage } from './messages';

/**
 * What model calls cost: a price per million input and output tokens for each model, from the
 * config's `pricing` first and these defaults after. The defaults are the providers' published list
 * prices for their current models when this was written (USD, no batch or cache discounts): set
 * `pricing` for a model that is missing, a price that changed, or a gateway that bills otherwise.
 * A model with no price has no cost, rather than a wrong one.
 */

export interface ModelPrice {
  /** USD per million input tokens. */
  input_per_mtok: number;
  /** USD per million output tokens. */
  output_per_mtok: number;
}

export const DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = {
  'gpt-5': { input_per_mtok: 1.25, output_per_mtok: 10 },
  'gpt-5-mini': { input_per_mtok: 0.25, output_per_mtok: 2 },
  'gpt-5-nano': { input_per_mtok: 0.05, output_per_mtok: 0.4 },
  'gpt-4.1': { input_per_mtok: 2, output_per_mtok: 8 },
  'gpt-4.1-mini': { input_per_mtok: 0.4, output_per_mtok: 1.6 },
  'gpt-4.1-nano': { input_per_mtok: 0.1, output_per_mtok: 0.4 },
  'gpt-4o': { input_per_mtok: 2.5, output_per_mtok: 10 },
  'gpt-4o-mini': { input_per_mtok: 0.15, output_per_mtok: 0.6 },
  o3: { input_per_mtok: 2, output_per_mtok: 8 },
  'o4-mini': { input_per_mtok: 1.1, output_per_mtok: 4.4 },
  'claude-opus-4-1': { input_per_mtok: 15, output_per_mtok: 75 },
  'claude-opus-4': { input_per_mtok: 15, output_per_mtok: 75 },
  'claude-sonnet-4-5': { input_per_mtok: 3, output_per_mtok: 15 },
  'claude-sonnet-4': { input_per_mtok: 3, output_per_mtok: 15 },
  'claude-3-7-sonnet': { input_per_mtok: 3, output_per_mtok: 15 },
  'claude-haiku-4-5': { input_per_mtok: 1, output_per_mtok: 5 },
  'claude-3-5-haiku': { input_per_mtok: 0.8, output_per_mtok: 4 },
};

/**
 * A model's price: an entry named exactly as the model, or one the model's name extends with a
 * dated or versioned suffix (`claude-sonnet-4-20250514`, `gpt-4o-2024-08-06`, `...-latest`); the
 * longest such entry wins, so `gpt-4o-mini` is not priced as `gpt-4o`. The config's entries come first.
 */
export function priceOf(model: string, configured: Readonly<Record<string, ModelPrice>> = {}): ModelPrice | undefined {
  for (const table of [configured, DEFAULT_PRICES]) {
    if (Object.hasOwn(table, model)) return table[model];
    const matches = Object.keys(table).filter((name) => model.startsWith(`${name}-`) && /^(\d{4}-?\d{2}-?\d{2}|\d{8}|latest|preview)$/.test(model.slice(name.length + 1)));
    if (matches.length > 0) return table[matches.sort((a, b) => b.length - a.length)[0]];
  }
  return undefined;
}

/** USD for one call's tokens, to a millionth of a cent. */
export function costOf(usage: TokenUsage, price: ModelPrice): number {
  const dollars = (usage.inputTokens * price.input_per_mtok + usage.outputTokens * price.output_per_mtok) / 1_000_000;
  return Math.round(dollars * 1e8) / 1e8;
}
