import { costOf, DEFAULT_PRICES, priceOf } from '../../src/llm/pricing';
import { addUsage } from '../../src/patterns/usage';
import { usageLine } from '../../src/patterns/usage';

describe('pricing', () => {
  it('prices a model by its name, or by the entry its dated snapshot extends, the longest first', () => {
    expect(priceOf('gpt-4o-mini')).toEqual(DEFAULT_PRICES['gpt-4o-mini']);
    expect(priceOf('gpt-4o-mini-2024-07-18')).toEqual(DEFAULT_PRICES['gpt-4o-mini']);
    expect(priceOf('gpt-4o-2024-08-06')).toEqual(DEFAULT_PRICES['gpt-4o']);
    expect(priceOf('claude-sonnet-4-20250514')).toEqual(DEFAULT_PRICES['claude-sonnet-4']);
    expect(priceOf('claude-3-5-haiku-latest')).toEqual(DEFAULT_PRICES['claude-3-5-haiku']);
    // Another model that merely shares a prefix is not priced as it.
    expect(priceOf('gpt-4o-audio-preview')).toBeUndefined();
    expect(priceOf('llama3.1')).toBeUndefined();
  });

  it('takes the config over the defaults', () => {
    const configured = { 'gpt-4o': { input_per_mtok: 1, output_per_mtok: 1 }, 'my-model': { input_per_mtok: 3, output_per_mtok: 4 } };
    expect(priceOf('gpt-4o', configured)).toEqual({ input_per_mtok: 1, output_per_mtok: 1 });
    expect(priceOf('my-model', configured)).toEqual({ input_per_mtok: 3, output_per_mtok: 4 });
    expect(priceOf('gpt-4o-mini', configured)).toEqual(DEFAULT_PRICES['gpt-4o-mini']);
  });

  it('costs tokens to a millionth of a cent, and adds costs without float dust', () => {
    expect(costOf({ inputTokens: 1000, outputTokens: 500 }, { input_per_mtok: 0.15, output_per_mtok: 0.6 })).toBe(0.00045);
    const usage = (costUsd?: number) => ({ inputTokens: 1, outputTokens: 1, llmCalls: 1, toolCalls: 0, ...(costUsd !== undefined && { costUsd }) });
    expect(addUsage(usage(0.1), usage(0.2)).costUsd).toBe(0.3);
    expect(addUsage(usage(0.1), usage()).costUsd).toBe(0.1);
    expect(addUsage(usage(), usage())).not.toHaveProperty('costUsd');
  });

  it('shows the cost in the CLI usage line when there is one', () => {
    expect(usageLine({ inputTokens: 10, outputTokens: 5, llmCalls: 1, toolCalls: 0, costUsd: 0.0042 })).toBe(
      '10 input + 5 output tokens · 1 LLM call · 0 tool calls · $0.0042',
    );
    expect(usageLine({ inputTokens: 10, outputTokens: 5, llmCalls: 1, toolCalls: 0, costUsd: 1.5 })).toMatch(/ · \$1\.50$/);
    expect(usageLine({ inputTokens: 10, outputTokens: 5, llmCalls: 1, toolCalls: 0 })).not.toContain('$');
  });
});
