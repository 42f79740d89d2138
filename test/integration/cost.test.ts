import type { AgentResult } from '../../workflows/agent';
import type { ParallelResult } from '../../workflows/parallel';
import { providerConfig, startAgentEnv, type AgentEnv } from '../support/agent-env';

/**
 * What runs cost: each model call's usage priced by the config's `pricing` (over the defaults),
 * added up per run and over a tree of runs; a model without a price adds tokens but no cost.
 */

let env: AgentEnv;
const stamp = Date.now();
const models = { cheap: `cost-cheap-${stamp}`, dear: `cost-dear-${stamp}`, free: `cost-unpriced-${stamp}` };

beforeAll(async () => {
  env = await startAgentEnv((provider) => ({
    ...providerConfig(provider),
    pricing: {
      [models.cheap]: { input_per_mtok: 1, output_per_mtok: 2 },
      [models.dear]: { input_per_mtok: 10, output_per_mtok: 30 },
    },
  }));
});

afterAll(async () => {
  await env?.close();
});

const agent = (model: string, provider: 'openai' | 'anthropic' = 'openai') => ({ instruction: 'Answer.', provider, model });

test('an agent run costs its calls at the configured prices', async () => {
  env.provider.script(models.cheap, [{ text: 'one', usage: { input: 1000, output: 500 } }]);
  const result = (await (await env.start('agent', 'hi', { type: 'agent', agent: agent(models.cheap) })).result()) as AgentResult;
  // 1000 × $1 + 500 × $2 per million tokens.
  expect(result.usage).toEqual({ inputTokens: 1000, outputTokens: 500, llmCalls: 1, toolCalls: 0, costUsd: 0.002 });
});

test('costs add up over a tree, and a model without a price adds tokens but no cost', async () => {
  env.provider.script(models.cheap, [{ text: 'a', usage: { input: 2000, output: 1000 } }]);
  env.provider.script(models.dear, [{ text: 'b', usage: { input: 1000, output: 1000 } }]);
  env.provider.script(models.free, [{ text: 'c', usage: { input: 5, output: 5 } }]);
  const spec = { type: 'parallel', fan_out: [{ ...agent(models.cheap), name: 'a' }, { ...agent(models.dear, 'anthropic'), name: 'b' }, { ...agent(models.free), name: 'c' }] };
  const result = (await (await env.start('parallel', 'go', spec)).result()) as ParallelResult;
  // a: 2000 × 1 + 1000 × 2 = $0.004; b: 1000 × 10 + 1000 × 30 = $0.04; c: no price.
  expect(result.usage).toEqual({ inputTokens: 3005, outputTokens: 2005, llmCalls: 3, toolCalls: 0, costUsd: 0.044 });

  env.provider.script(models.free, [{ text: 'free', usage: { input: 7, output: 3 } }]);
  const unpriced = (await (await env.start('agent', 'hi', { type: 'agent', agent: agent(models.free) })).result()) as AgentResult;
  expect(unpriced.usage).toEqual({ inputTokens: 7, outputTokens: 3, llmCalls: 1, toolCalls: 0 });
});
