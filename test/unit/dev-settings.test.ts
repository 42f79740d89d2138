import { ConfigError } from '../../src/config/errors';
import { configSchema } from '../../src/config/schema';
import { devSettings, providerWarning } from '../../src/dev/settings';
import { devServerArgs } from '../../temporal/dev-server';

/** What `npm run dev` reads from its environment, and the start-up warning for a config that reaches no model. */

describe('the Temporal metrics port', () => {
  test('MCP_AGENT_DEV_METRICS_PORT becomes the dev server\'s --metrics-port', () => {
    const { metricsPort } = devSettings({ MCP_AGENT_DEV_METRICS_PORT: '9091' });
    expect(metricsPort).toBe(9091);
    expect(devServerArgs({ cliPath: 't', port: 7233, metricsPort }).join(' ')).toContain('--metrics-port 9091');
  });

  test('unset, the CLI picks a free port', () => {
    const { metricsPort } = devSettings({});
    expect(metricsPort).toBeUndefined();
    expect(devServerArgs({ cliPath: 't', port: 7233, metricsPort })).not.toContain('--metrics-port');
  });

  test.each(['abc', '0', '70000', '-1', '1.5'])('%s is refused with the variable named', (value) => {
    expect(() => devSettings({ MCP_AGENT_DEV_METRICS_PORT: value })).toThrow(ConfigError);
    expect(() => devSettings({ MCP_AGENT_DEV_METRICS_PORT: value })).toThrow(/MCP_AGENT_DEV_METRICS_PORT: must be a whole number/);
  });
});

test('the wait for the first worker is 120 s unless MCP_AGENT_DEV_READY_TIMEOUT says otherwise', () => {
  expect(devSettings({}).readyTimeoutMs).toBe(120_000);
  expect(devSettings({ MCP_AGENT_DEV_READY_TIMEOUT: '300' }).readyTimeoutMs).toBe(300_000);
  expect(() => devSettings({ MCP_AGENT_DEV_READY_TIMEOUT: 'soon' })).toThrow(/MCP_AGENT_DEV_READY_TIMEOUT/);
});

describe('the warning when no provider is configured', () => {
  test('no key and no base URL: the warning says what to set', () => {
    const warning = providerWarning(configSchema.parse({}));
    expect(warning).toMatch(/no model provider is configured/);
    for (const name of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'OPENAI_BASE_URL', 'mcp_agent.secrets.yaml']) {
      expect(warning).toContain(name);
    }
  });

  test.each([
    ['an OpenAI key', { openai: { api_key: 'sk-test' } }],
    ['an Anthropic key', { anthropic: { api_key: 'sk-ant-test' } }],
    ['an OpenAI-compatible base URL', { openai: { base_url: 'http://localhost:11434/v1' } }],
    ['an Anthropic base URL', { anthropic: { base_url: 'http://localhost:8080' } }],
  ])('none with %s', (_, input) => {
    expect(providerWarning(configSchema.parse(input))).toBeUndefined();
  });
});
