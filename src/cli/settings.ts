import { ConfigError } from '../config/errors';
import { runtimeSettings } from '../config/load';
import { UsageError, type GlobalOptions } from './args';

/**
 * Where the CLI finds the API: `--api`, else MCP_AGENT_API_URL, else the address the API binds to
 * by default (HOST and PORT, contract section 2). A wildcard bind address is reached on loopback.
 */

export interface ApiSettings {
  baseUrl: string;
  token?: string;
}

const WILDCARD_HOSTS: Record<string, string> = { '0.0.0.0': '127.0.0.1', '::': '::1' };

export function defaultApiUrl(env: NodeJS.ProcessEnv): string {
  let settings;
  try {
    settings = runtimeSettings(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`${error.problems.join('; ')} (or pass --api)`);
    throw error;
  }
  const host = WILDCARD_HOSTS[settings.host] ?? settings.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${settings.port}`;
}

export function apiSettings(options: GlobalOptions, env: NodeJS.ProcessEnv): ApiSettings {
  const baseUrl = options.api ?? (env.MCP_AGENT_API_URL || defaultApiUrl(env));
  if (!URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol)) {
    throw new UsageError(`the API URL must be an http(s) URL, got "${baseUrl}"`);
  }
  const token = options.token ?? (env.MCP_AGENT_API_TOKEN || undefined);
  return { baseUrl, ...(token !== undefined && { token }) };
}
