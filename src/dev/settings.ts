import { ConfigError } from '../config/errors';
import type { Config } from '../config/schema';

/** Settings only `npm run dev` reads, from its environment. */
export interface DevSettings {
  /** Port of the Temporal dev server's Prometheus `/metrics`; absent: the CLI picks a free one. */
  metricsPort?: number;
  /** How long the first worker may take to poll the task queue before start-up fails. */
  readyTimeoutMs: number;
}

export const DEFAULT_READY_TIMEOUT_SECONDS = 120;

function wholeNumber(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new ConfigError('environment', [`${name}: must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`]);
  }
  return value;
}

export function devSettings(env: NodeJS.ProcessEnv = process.env): DevSettings {
  const metricsPort = wholeNumber(env, 'MCP_AGENT_DEV_METRICS_PORT', 1, 65_535);
  const readySeconds = wholeNumber(env, 'MCP_AGENT_DEV_READY_TIMEOUT', 1, 24 * 3600) ?? DEFAULT_READY_TIMEOUT_SECONDS;
  return { ...(metricsPort !== undefined && { metricsPort }), readyTimeoutMs: readySeconds * 1000 };
}

/**
 * A warning for a config that can reach no model: no Anthropic or OpenAI key and no base URL (an
 * OpenAI-compatible server such as Ollama needs no key), from the config file, the secrets file or
 * the environment. `npm run dev` then starts the demo model (src/dev/demo-model.ts) and says so.
 */
export function providerWarning(config: Config): string | undefined {
  const { anthropic, openai } = config;
  if (anthropic?.api_key || anthropic?.base_url || openai?.api_key || openai?.base_url) return undefined;
  return (
    'no model provider is configured. Set OPENAI_API_KEY or ANTHROPIC_API_KEY (in the environment, or api_key under ' +
    'openai: or anthropic: in mcp_agent.secrets.yaml), or OPENAI_BASE_URL for an OpenAI-compatible server such as ' +
    'Ollama (e.g. OPENAI_BASE_URL=http://localhost:11434/v1)'
  );
}
