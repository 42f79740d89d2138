import { configSchema } from '../../src/config/schema';
import { knownModels } from '../../src/telemetry/activity-metrics';

/**
 * The `model` label of the worker's metrics takes the models the config names; anything else is
 * `other`. A model the config names only in a workflow or a server's sampling settings is as much
 * the operator's choice as an agent's, so it gets its own series too.
 */
describe('knownModels', () => {
  const config = configSchema.parse({
    mcp: {
      servers: {
        docs: { url: 'http://127.0.0.1:1/mcp', sampling: { provider: 'anthropic', model: 'sampling-model' } },
      },
    },
    agents: {
      writer: { instruction: 'You write.', model: 'agent-model' },
      reader: { instruction: 'You read.' },
    },
    workflows: {
      // A configured agent on another model, for this workflow only.
      fast_writer: { type: 'agent', agent: { agent: 'writer', model: 'override-model' } },
      inline: { type: 'agent', agent: { instruction: 'You help.', model: 'inline-model' } },
      nested: {
        type: 'router',
        model: 'router-model',
        agents: [
          'reader',
          { type: 'parallel', fan_out: [{ instruction: 'Deep down.', model: 'nested-model' }, { agent: 'reader', model: 'nested-override-model' }] },
        ],
      },
    },
    pricing: { 'priced-model': { input_per_mtok: 1, output_per_mtok: 2 } },
  });

  it('names every model the config names, anywhere', () => {
    const models = knownModels(config);
    for (const model of [
      'agent-model',
      'override-model',
      'inline-model',
      'router-model',
      'nested-model',
      'nested-override-model',
      'sampling-model',
      'priced-model',
      config.openai.default_model,
      config.anthropic.default_model,
    ]) {
      expect({ model, known: models.has(model) }).toEqual({ model, known: true });
    }
  });

  it('knows no model the config does not name', () => {
    expect(knownModels(config).has('made-up-model')).toBe(false);
  });
});
