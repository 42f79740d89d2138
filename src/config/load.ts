import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from './errors';
import { interpolateEnv } from './interpolate';
import { formatPath, zodIssueProblems, type Problem } from './problems';
import { configSchema, type Config } from './schema';
import { isRecord } from './values';

export const CONFIG_FILE_NAME = 'mcp_agent.config.yaml';
export const SECRETS_FILE_NAME = 'mcp_agent.secrets.yaml';

export interface LoadConfigOptions {
  /** A config file to use; wins over MCP_AGENT_CONFIG. Relative to `cwd`. */
  path?: string;
  env?: NodeJS.ProcessEnv;
  /** Where the search for the config file starts; defaults to the process's working directory. */
  cwd?: string;
}

interface EnvOverride {
  variable: string;
  path: readonly string[];
  /** Applies only when this holds of the config with the overrides listed before it applied. */
  when?: (config: Record<string, unknown>) => boolean;
}

function valueAt(target: unknown, keys: readonly string[]): unknown {
  return keys.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), target);
}

/**
 * Contract section 2, and the storage settings a deployment sets per environment: these variables
 * win over the file. S3 credentials are not among them: without `storage.s3.access_key_id` the AWS
 * SDK reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or a role) itself.
 */
const envOverrides: readonly EnvOverride[] = [
  { variable: 'TEMPORAL_ADDRESS', path: ['temporal', 'address'] },
  { variable: 'TEMPORAL_NAMESPACE', path: ['temporal', 'namespace'] },
  { variable: 'TEMPORAL_TASK_QUEUE', path: ['temporal', 'task_queue'] },
  // The Temporal CLI's own names, so one environment serves both.
  { variable: 'TEMPORAL_API_KEY', path: ['temporal', 'api_key'] },
  { variable: 'TEMPORAL_TLS_CA', path: ['temporal', 'tls', 'ca_file'] },
  { variable: 'TEMPORAL_TLS_CERT', path: ['temporal', 'tls', 'cert_file'] },
  { variable: 'TEMPORAL_TLS_KEY', path: ['temporal', 'tls', 'key_file'] },
  { variable: 'TEMPORAL_TLS_SERVER_NAME', path: ['temporal', 'tls', 'server_name'] },
  { variable: 'ANTHROPIC_API_KEY', path: ['anthropic', 'api_key'] },
  { variable: 'ANTHROPIC_BASE_URL', path: ['anthropic', 'base_url'] },
  { variable: 'OPENAI_API_KEY', path: ['openai', 'api_key'] },
  { variable: 'OPENAI_BASE_URL', path: ['openai', 'base_url'] },
  { variable: 'COHERE_API_KEY', path: ['cohere', 'api_key'] },
  { variable: 'LOG_LEVEL', path: ['logger', 'level'] },
  { variable: 'MCP_AGENT_PROMETHEUS_ADDRESS', path: ['telemetry', 'prometheus_address'] },
  // OpenTelemetry's own name for where traces go, so one environment serves every instrumented process.
  { variable: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', path: ['telemetry', 'tracing', 'endpoint'] },
  // Where workers find the token files `mcp-agent login` wrote (a mounted secret, a shared volume).
  { variable: 'MCP_AGENT_TOKEN_DIR', path: ['mcp', 'token_dir'] },
  { variable: 'MCP_AGENT_NATS_URL', path: ['streaming', 'nats_url'] },
  { variable: 'MCP_AGENT_STORAGE_DRIVER', path: ['storage', 'driver'] },
  { variable: 'MCP_AGENT_STORAGE_PATH', path: ['storage', 'path'] },
  { variable: 'MCP_AGENT_S3_BUCKET', path: ['storage', 's3', 'bucket'] },
  { variable: 'MCP_AGENT_S3_PREFIX', path: ['storage', 's3', 'prefix'] },
  { variable: 'MCP_AGENT_S3_ENDPOINT', path: ['storage', 's3', 'endpoint'] },
  // Set on most AWS machines for other reasons, so it only fills in the region of a bucket that the
  // file or MCP_AGENT_S3_BUCKET names, and never makes an `s3:` section of its own.
  {
    variable: 'AWS_REGION',
    path: ['storage', 's3', 'region'],
    when: (config) => valueAt(config, ['storage', 's3', 'bucket']) !== undefined,
  },
];

/** The variables the config loader reads over the file (for deployment files and their tests). */
export const configOverrideVariables: readonly string[] = envOverrides.map((o) => o.variable);

function findUpwards(start: string, fileName: string): string | undefined {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, fileName);
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The config file in use: `options.path`, else MCP_AGENT_CONFIG, else `mcp_agent.config.yaml` in
 * the working directory or a parent. A file named explicitly must exist; finding none by search is
 * fine and means defaults.
 */
export function locateConfigFile(options: LoadConfigOptions = {}): string | undefined {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const named = options.path ?? (options.env ?? process.env).MCP_AGENT_CONFIG;
  if (!named) return findUpwards(cwd, CONFIG_FILE_NAME);
  const file = path.resolve(cwd, named);
  if (!existsSync(file) || !statSync(file).isFile()) {
    const how = options.path ? 'given' : 'named by MCP_AGENT_CONFIG';
    throw new ConfigError(file, [`the config file ${how} does not exist`]);
  }
  return file;
}

function readYamlMapping(file: string): Record<string, unknown> {
  const doc = parseDocument(readFileSync(file, 'utf8'), { prettyErrors: true, merge: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((error) => {
        const where = error.linePos ? `${file}:${error.linePos[0].line}:${error.linePos[0].col}` : file;
        const message = error.message.split('\n')[0].replace(/ at line \d+, column \d+:$/, '');
        return `${where}: ${message}`;
      }),
    );
  }
  const content: unknown = doc.toJS();
  if (content === null || content === undefined) return {};
  if (!isRecord(content)) {
    throw new ConfigError(file, ['the top level must be a mapping of sections (temporal, mcp, agents, ...)']);
  }
  return content;
}

/** Mappings merge key by key; anything else in `over` (arrays included) replaces what `base` had. */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = merged[key];
    merged[key] = isRecord(current) && isRecord(value) ? deepMerge(current, value) : value;
  }
  return merged;
}

function withValueAt(target: Record<string, unknown>, keys: readonly string[], value: string): Record<string, unknown> {
  const [key, ...rest] = keys;
  if (rest.length === 0) return { ...target, [key]: value };
  const child = isRecord(target[key]) ? target[key] : {};
  return { ...target, [key]: withValueAt(child, rest, value) };
}

interface Overridden {
  config: Record<string, unknown>;
  /** The overrides that set a value, for naming them in problems. */
  applied: readonly EnvOverride[];
}

function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Overridden {
  // An empty variable counts as unset, as `FOO= npm run dev` usually means "not this one".
  return envOverrides.reduce<Overridden>(
    ({ config, applied }, override) => {
      const value = env[override.variable];
      if (!value || (override.when && !override.when(config))) return { config, applied };
      return { config: withValueAt(config, override.path, value), applied: [...applied, override] };
    },
    { config: raw, applied: [] },
  );
}

/**
 * A problem with a value that came from the environment names the variable too; one with a value
 * that is missing names the variable that could supply it.
 */
function withOverrideSource(problem: Problem, { config, applied }: Overridden): Problem {
  const at = formatPath(problem.path);
  const override = applied.find((o) => formatPath(o.path) === at);
  if (override) return { ...problem, message: `${problem.message} (from ${override.variable})` };
  const keys = problem.path.map(String);
  const alternative = envOverrides.find((o) => !o.when && formatPath(o.path) === at);
  if (alternative && valueAt(config, keys) === undefined) {
    return { ...problem, message: `${problem.message} (or set ${alternative.variable})` };
  }
  return problem;
}

/** Paths in the file are relative to the file, so a config behaves the same from any working directory. */
export function resolveRelativePaths(config: Config, baseDir: string): Config {
  const tokenDir = path.resolve(baseDir, config.mcp.token_dir);
  const servers = Object.fromEntries(
    Object.entries(config.mcp.servers).map(([name, server]) => [
      name,
      server.transport === 'stdio' ? { ...server, cwd: path.resolve(baseDir, server.cwd ?? '.') } : withTokenFile(name, server, baseDir, tokenDir),
    ]),
  );
  const functions = Object.fromEntries(
    Object.entries(config.functions).map(([name, fn]) => [
      name,
      fn.module.startsWith('.') ? { ...fn, module: path.resolve(baseDir, fn.module) } : fn,
    ]),
  );
  const workflows = Object.fromEntries(
    Object.entries(config.workflows).map(([name, entry]) => [
      name,
      entry.type === 'code' && entry.module.startsWith('.') ? { ...entry, module: path.resolve(baseDir, entry.module) } : entry,
    ]),
  );
  const storage = { ...config.storage, path: path.resolve(baseDir, config.storage.path) };
  const tls = config.temporal.tls;
  const temporal =
    typeof tls === 'object'
      ? {
          ...config.temporal,
          tls: {
            ...tls,
            ...(tls.ca_file && { ca_file: path.resolve(baseDir, tls.ca_file) }),
            ...(tls.cert_file && { cert_file: path.resolve(baseDir, tls.cert_file) }),
            ...(tls.key_file && { key_file: path.resolve(baseDir, tls.key_file) }),
          },
        }
      : config.temporal;
  return { ...config, temporal, mcp: { ...config.mcp, token_dir: tokenDir, servers }, functions, workflows, storage };
}

type ServerConfig = Config['mcp']['servers'][string];

/** An authorization-code server's token file, absolute: its own `token_file`, else `<token_dir>/<server>.json`. */
function withTokenFile(name: string, server: ServerConfig, baseDir: string, tokenDir: string): ServerConfig {
  const oauth = server.auth?.oauth;
  if (oauth?.grant !== 'authorization_code') return server;
  const tokenFile = oauth.token_file ? path.resolve(baseDir, oauth.token_file) : path.join(tokenDir, `${name}.json`);
  return { ...server, auth: { oauth: { ...oauth, token_file: tokenFile } } };
}

/**
 * Reads, merges and validates the configuration: defaults, then the config file, then
 * `mcp_agent.secrets.yaml` beside it, then the environment. Throws ConfigError listing every problem.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const file = locateConfigFile({ ...options, env, cwd });

  let raw: Record<string, unknown> = {};
  if (file) {
    raw = readYamlMapping(file);
    const secrets = path.join(path.dirname(file), SECRETS_FILE_NAME);
    if (existsSync(secrets)) raw = deepMerge(raw, readYamlMapping(secrets));
  }

  const interpolated = interpolateEnv(raw, env);
  const overridden = applyEnvOverrides(interpolated.value as Record<string, unknown>, env);
  const parsed = configSchema.safeParse(overridden.config, { reportInput: true });
  const problems = [
    ...interpolated.problems,
    ...(parsed.success ? [] : zodIssueProblems(parsed.error.issues).map((p) => withOverrideSource(p, overridden))),
  ];
  const source = file ?? 'no config file; defaults and environment';
  if (problems.length > 0 || !parsed.success) throw ConfigError.fromProblems(source, problems);
  return resolveRelativePaths(parsed.data, file ? path.dirname(file) : cwd);
}

export interface RuntimeSettings {
  /** API bind address (HOST). */
  host: string;
  /** API port (PORT). */
  port: number;
  /** Base of the Web UI links in API replies (TEMPORAL_UI_URL), without a trailing slash. */
  temporalUiUrl: string;
}

/** Per-process settings that live only in the environment (contract section 2). */
export function runtimeSettings(env: NodeJS.ProcessEnv = process.env): RuntimeSettings {
  const portText = env.PORT || '3000';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535) {
    throw new ConfigError('environment', [
      `PORT: must be a whole number from 0 to 65535, got ${JSON.stringify(portText)}`,
    ]);
  }
  return {
    host: env.HOST || '127.0.0.1',
    port,
    temporalUiUrl: (env.TEMPORAL_UI_URL || 'http://localhost:8233').replace(/\/+$/, ''),
  };
}
