import { z } from 'zod';
import { codeWorkflowSchema, type CodeWorkflowEntry } from '../spec/code';
import {
  agentDefinitionSchema,
  callPolicySchema,
  patternSpecSchema,
  providerSchema,
  workflowTypeByPattern,
  type PatternSpec,
} from '../spec/schema';
import { agentServerProblems, specReferenceProblems, type KnownNames } from './references';
import { isRecord } from './values';

/**
 * The whole `mcp_agent.config.yaml` (contract section 3). Every section is optional and fills its
 * own defaults, so an empty file, or none at all, is a working config. Objects are strict: a
 * misspelt key is an error rather than a silently ignored setting.
 */

/** Names appear in tool names, URLs and log lines, so they are single words. */
const nameSchema = z.string().regex(/^\S+$/, 'must be non-empty and contain no whitespace');

/** Two settings that mean nothing alone (a certificate and its key): both or neither. */
function together<K extends string>(first: K, second: K) {
  return (value: Partial<Record<K, unknown>>, ctx: z.RefinementCtx): void => {
    if ((value[first] === undefined) !== (value[second] === undefined)) {
      const missing = value[first] === undefined ? first : second;
      ctx.addIssue({ code: 'custom', path: [missing], message: `set ${first} and ${second} together` });
    }
  };
}

const temporalTlsSchema = z.union([
  z.boolean(),
  z
    .object({
      ca_file: z.string().min(1).describe("PEM of the server's CA; absent: the system's roots (Temporal Cloud)").optional(),
      cert_file: z.string().min(1).describe('PEM client certificate, for mTLS').optional(),
      key_file: z.string().min(1).describe("PEM of the client certificate's key").optional(),
      server_name: z.string().min(1).describe('The name the server certificate must carry, when not the address host').optional(),
    })
    .strict()
    .superRefine(together('cert_file', 'key_file')),
]);

const temporalSchema = z
  .object({
    address: z.string().min(1).default('localhost:7233'),
    namespace: z.string().min(1).default('default'),
    task_queue: z.string().min(1).default('mcp-agent'),
    api_key: z.string().min(1).describe('An API key (Temporal Cloud); turns TLS on unless tls is false').optional(),
    tls: temporalTlsSchema
      .describe('true for TLS with the system roots; paths (relative to the config file) for a CA, mTLS or a server name')
      .optional(),
    max_concurrent_activities: z.number().int().positive().optional(),
    max_concurrent_workflow_tasks: z.number().int().positive().optional(),
    sticky_timeout_seconds: z
      .number()
      .positive()
      .max(60)
      .describe(
        "How long a run's next workflow task waits for the worker that ran its last one before any worker may take it; default 3 (temporal/TUNING.md)",
      )
      .optional(),
    heartbeat_throttle_seconds: z
      .number()
      .positive()
      .max(4)
      .describe(
        "At most how often a running call's heartbeat goes to Temporal, which is how soon a cancel reaches it; default 1, at most 4 (0.8 of the calls' 5 s heartbeat timeout). On Temporal Cloud each heartbeat is a billed action",
      )
      .optional(),
  })
  .strict();

const loggerSchema = z
  .object({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  })
  .strict();

/** A provider section's `stream` switch (both providers'). */
const providerStreamSchema = z
  .boolean()
  .describe(
    'With streaming.nats_url set, whether model calls to this provider stream (README, "Streaming"); default true; false for a server that cannot, and its calls are plain requests, without llm_delta events',
  )
  .optional();

const anthropicSchema = z
  .object({
    api_key: z.string().min(1).optional(),
    base_url: z.url().optional(),
    default_model: z.string().min(1).default('claude-sonnet-4-5'),
    stream: providerStreamSchema,
  })
  .strict();

const openaiSchema = z
  .object({
    api_key: z.string().min(1).optional(),
    base_url: z.url().describe('Any OpenAI-compatible server: Ollama, vLLM, LM Studio').optional(),
    default_model: z.string().min(1).default('gpt-4o-mini'),
    embedding_model: z.string().min(1).default('text-embedding-3-small'),
    stream: providerStreamSchema,
  })
  .strict();

const cohereSchema = z
  .object({
    api_key: z.string().min(1).optional(),
    base_url: z.url().describe("Default https://api.cohere.com; a gateway speaking Cohere's v2 API").optional(),
    embedding_model: z.string().min(1).default('embed-english-v3.0'),
  })
  .strict();

export const mcpTransportSchema = z.enum(['stdio', 'streamable_http', 'sse', 'websocket']);
export type McpTransport = z.infer<typeof mcpTransportSchema>;

const urlSchemesByTransport: Record<Exclude<McpTransport, 'stdio'>, readonly string[]> = {
  streamable_http: ['http:', 'https:'],
  sse: ['http:', 'https:'],
  websocket: ['ws:', 'wss:'],
};

/**
 * OAuth 2.1 for an HTTP server, as the MCP authorization specification defines it (src/mcp/oauth.ts):
 * the authorization server is discovered from the MCP server's protected-resource metadata.
 */
const oauthClientCredentialsSchema = z
  .object({
    grant: z.literal('client_credentials').describe('A service account: every worker gets its own tokens with the client id and secret'),
    client_id: z.string().min(1),
    client_secret: z.string().min(1).describe('Keep it in mcp_agent.secrets.yaml or write "${VAR}"'),
    scope: z.string().min(1).describe('Space-separated scopes to ask for').optional(),
  })
  .strict();

const oauthAuthorizationCodeSchema = z
  .object({
    grant: z
      .literal('authorization_code')
      .describe('A person logs in once with `mcp-agent login <server>` (PKCE); workers use and refresh the stored tokens'),
    client_id: z.string().min(1).describe('A client registered for loopback redirects; absent: dynamic client registration at login').optional(),
    client_secret: z.string().min(1).describe('Only for a confidential client_id').optional(),
    scope: z.string().min(1).describe("Space-separated scopes; absent: the server's advertised scopes").optional(),
    redirect_port: z
      .number()
      .int()
      .min(0)
      .max(65_535)
      .describe('Loopback port login listens on for the redirect (http://127.0.0.1:PORT/callback); 0 or absent: any free port')
      .optional(),
    token_file: z
      .string()
      .min(1)
      .describe('Where login stores the tokens and workers read and renew them; relative to the config file; default <mcp.token_dir>/<server>.json')
      .optional(),
  })
  .strict();

const mcpAuthSchema = z
  .object({
    oauth: z.discriminatedUnion('grant', [oauthClientCredentialsSchema, oauthAuthorizationCodeSchema]),
  })
  .strict();

/** A root the client declares to a server (`roots/list`): where the server may work, by URI. */
const mcpRootSchema = z
  .object({
    uri: z
      .string()
      // The MCP specification: "The uri MUST be a file:// URI"; servers resolve paths against it.
      .refine((uri) => URL.canParse(uri) && new URL(uri).protocol === 'file:', 'roots must be file:// URIs, such as file:///home/me/project')
      .describe('A file:// URI, as the MCP specification asks of roots'),
    name: z.string().min(1).describe('What people and the server call it').optional(),
  })
  .strict();

/** How a server's `sampling/createMessage` requests are answered: a model call of the run that made the tool call. */
const mcpSamplingSchema = z
  .object({
    provider: providerSchema.describe('Default: default_provider').optional(),
    model: z.string().min(1).describe("Default: the provider's default_model").optional(),
    max_tokens: z
      .number()
      .int()
      .positive()
      .describe("The most tokens one request may ask for; a server's larger maxTokens is cut to it (default 4096)")
      .default(4096),
    approve: z
      .boolean()
      .describe('Each request waits for a person\'s approval (pendingInput kind "approval") before the model is called')
      .default(false),
  })
  .strict();

/** How a server's `elicitation/create` requests are answered: they become the run's pending input. */
const mcpElicitationSchema = z
  .object({
    timeout_seconds: z
      .number()
      .positive()
      .describe('How long the run waits for the answer before telling the server "cancel" (default 3600)')
      .default(3600),
  })
  .strict();

const mcpServerFields = z
  .object({
    transport: mcpTransportSchema
      .describe('Inferred when absent: stdio with `command`, streamable_http with `url`')
      .optional(),
    command: z.string().min(1).optional(),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    cwd: z.string().min(1).describe('Relative to the config file; defaults to its folder').optional(),
    url: z.url().optional(),
    headers: z.record(z.string(), z.string()).default({}),
    auth: mcpAuthSchema.describe('OAuth for streamable_http and sse servers; absent: none (or a static header)').optional(),
    description: z.string().describe('What the server offers; routers read it').optional(),
    read_timeout_seconds: z.number().positive().describe('Each MCP request, such as one tool call').default(60),
    calls: callPolicySchema.describe("Timeout and retries of each tool call's activity").optional(),
    local: z
      .boolean()
      .describe(
        'Run its tool calls as Temporal local activities (default false): one round trip less per call, for short calls; ' +
          'retries happen inside the workflow task, no heartbeats, each attempt 30 s unless calls.timeout_seconds says otherwise',
      )
      .optional(),
    allowed_tools: z
      .array(z.string().min(1))
      .describe("Globs of the server's own tool names to offer; all of them by default")
      .default(['*']),
    roots: z.array(mcpRootSchema).describe('Roots the client declares to this server and lists on roots/list').optional(),
    sampling: mcpSamplingSchema
      .describe('Answer the server\'s sampling requests with a model call of the run; absent: sampling is not offered')
      .optional(),
    elicitation: mcpElicitationSchema
      .describe('Settings of its elicitation requests, which always become the run\'s pending input')
      .optional(),
  })
  .strict();

type McpServerFields = z.output<typeof mcpServerFields>;

function inferTransport(server: McpServerFields): McpTransport | undefined {
  if (server.transport) return server.transport;
  if (server.command && !server.url) return 'stdio';
  if (server.url && !server.command) return 'streamable_http';
  return undefined;
}

/** OAuth needs HTTP, and sets the Authorization header itself. */
function checkAuth(server: McpServerFields, transport: McpTransport, ctx: z.RefinementCtx): void {
  if (!server.auth) return;
  if (transport !== 'streamable_http' && transport !== 'sse') {
    ctx.addIssue({ code: 'custom', path: ['auth'], message: `only the streamable_http and sse transports take OAuth, not ${transport}` });
    return;
  }
  const authorization = Object.keys(server.headers).find((name) => name.toLowerCase() === 'authorization');
  if (authorization) {
    ctx.addIssue({ code: 'custom', path: ['headers', authorization], message: 'set either this header or auth, not both' });
  }
}

function checkMcpServer(server: McpServerFields, ctx: z.RefinementCtx): void {
  const transport = inferTransport(server);
  if (!transport) {
    const message = server.command
      ? 'set either command (stdio) or url (streamable_http), not both, or choose with transport'
      : 'needs command (stdio) or url (streamable_http, sse, websocket)';
    ctx.addIssue({ code: 'custom', path: [], message });
    return;
  }
  checkAuth(server, transport, ctx);
  if (transport === 'stdio') {
    if (!server.command) {
      ctx.addIssue({ code: 'custom', path: ['command'], message: 'required by the stdio transport' });
    }
    if (server.url) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'not used by the stdio transport' });
    }
    return;
  }
  if (server.command) {
    ctx.addIssue({ code: 'custom', path: ['command'], message: `not used by the ${transport} transport` });
  }
  if (!server.url) {
    ctx.addIssue({ code: 'custom', path: ['url'], message: `required by the ${transport} transport` });
  } else if (URL.canParse(server.url) && !urlSchemesByTransport[transport].includes(new URL(server.url).protocol)) {
    const schemes = urlSchemesByTransport[transport].map((s) => s.slice(0, -1)).join(' or ');
    ctx.addIssue({ code: 'custom', path: ['url'], message: `the ${transport} transport needs a ${schemes} URL` });
  }
}

export const mcpServerSchema = mcpServerFields
  .superRefine(checkMcpServer)
  .transform((server) => ({ ...server, transport: inferTransport(server) as McpTransport }));
export type McpServerConfig = z.output<typeof mcpServerSchema>;

const functionSchema = z
  .object({
    module: z.string().min(1).describe('Relative to the config file when it starts with "."'),
    export: z.string().min(1),
    description: z.string().optional(),
    local: z
      .boolean()
      .describe('Run its calls as Temporal local activities (default false): for short functions; each attempt 30 s, no heartbeats')
      .optional(),
  })
  .strict();

const apiSchema = z
  .object({
    tokens: z
      .array(z.string().min(1))
      .describe('Bearer tokens; none means no auth, so keep the API bound to localhost')
      .default([]),
  })
  .strict();

const modelPriceSchema = z
  .object({
    input_per_mtok: z.number().min(0).describe('USD per million input tokens'),
    output_per_mtok: z.number().min(0).describe('USD per million output tokens'),
  })
  .strict();

const telemetrySchema = z
  .object({
    prometheus_address: z
      .string()
      .regex(/^[^\s:]*:\d{1,5}$/, 'must be host:port, e.g. 0.0.0.0:9464')
      .describe("Where a worker serves Prometheus metrics (the Temporal SDK's and ours) at /metrics; none: no endpoint")
      .optional(),
    tracing: z
      .object({
        endpoint: z
          .url()
          .describe('OTLP over HTTP traces endpoint of a collector or Jaeger, e.g. http://127.0.0.1:4318/v1/traces'),
        service_name: z
          .string()
          .min(1)
          .describe('Spans come from `<service_name>-api`, `<service_name>-worker` and `<service_name>-mcp-server`')
          .default('mcp-agent'),
        headers: z.record(z.string(), z.string()).describe('Sent with every export, e.g. an authorization header').default({}),
        sample_ratio: z
          .number()
          .min(0)
          .max(1)
          .describe('Share of traces recorded where no caller decided (a traceparent header\'s choice is kept)')
          .default(1),
      })
      .strict()
      .describe('OpenTelemetry traces of API requests, workflows, activities, model and tool calls; absent: off')
      .optional(),
  })
  .strict();

/**
 * One server of `streaming.nats_url`: nats:// or tls:// (TLS as the server asks for it), or host:port
 * alone. The Node client (`@nats-io/transport-node`) speaks TCP only: it refuses ws:// and wss:// at
 * connect time, and would take any other scheme (http://) for TCP to that host, so both are config
 * errors here rather than a connection that never comes.
 */
const NATS_SERVER_URL = String.raw`(?:(?:nats|tls):\/\/)?(?:(?!:\/\/)[^\s,])+`;

const streamingSchema = z
  .object({
    nats_url: z
      .string()
      .regex(
        new RegExp(`^${NATS_SERVER_URL}(?:,${NATS_SERVER_URL})*$`),
        'must be a NATS server URL with the scheme nats:// or tls:// (or none: host:port), such as nats://127.0.0.1:4222, or several separated by commas; ws:// and wss:// are not supported (the Node client speaks TCP only)',
      )
      .describe(
        'The NATS server (or a cluster, URLs separated by commas) that carries token deltas from workers to API processes (README, "Streaming"); none: LLM calls do not stream and events have no llm_delta',
      )
      .optional(),
    subject_prefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be NATS subject tokens separated by dots')
      .describe('Deltas go out on <subject_prefix>.<namespace>.<run id parts>; deployments sharing a NATS server use different prefixes')
      .default('mcp-agent.deltas'),
  })
  .strict();

const s3Schema = z
  .object({
    bucket: z.string().min(1),
    prefix: z.string().describe('Put before every key').default('mcp-agent/'),
    region: z.string().min(1).default('us-east-1'),
    endpoint: z.url().describe('An S3-compatible server such as MinIO; absent means AWS').optional(),
    force_path_style: z
      .boolean()
      .describe('Bucket in the path, not the host name; default true when endpoint is set')
      .optional(),
    access_key_id: z.string().min(1).describe("Absent: the AWS SDK's own chain (AWS_ACCESS_KEY_ID, roles)").optional(),
    secret_access_key: z.string().min(1).optional(),
  })
  .strict()
  .superRefine(together('access_key_id', 'secret_access_key'));

const storageSchema = z
  .object({
    driver: z
      .enum(['file', 's3'])
      .describe('file: a folder on this machine (one machine only); s3: a bucket every worker and the API share')
      .default('file'),
    path: z.string().min(1).describe('For the file driver; relative to the config file').default('.temporal/storage'),
    s3: s3Schema.optional(),
    inline_bytes: z
      .number()
      .int()
      .min(0)
      .describe('Tool results longer than this (UTF-8 bytes) are stored once and referenced from history')
      .default(1024),
    payload_threshold_bytes: z
      .number()
      .int()
      .min(1024)
      .describe('Any Temporal payload larger than this leaves history for the store (Temporal external storage)')
      .default(64 * 1024),
    cache_mb: z.number().positive().describe("Each worker's and API's in-memory cache of stored content").default(64),
  })
  .strict()
  .superRefine((storage, ctx) => {
    if (storage.driver === 's3' && !storage.s3) {
      ctx.addIssue({ code: 'custom', path: ['s3'], message: 'required by driver: s3 (at least s3.bucket)' });
    }
  });
export type StorageConfig = z.output<typeof storageSchema>;

function recordKeys(value: unknown, ...path: string[]): Set<string> {
  let node = value;
  for (const key of path) node = isRecord(node) ? node[key] : undefined;
  return new Set(isRecord(node) ? Object.keys(node) : []);
}

function entriesOf(value: unknown, key: string): [string, unknown][] {
  return isRecord(value) && isRecord(value[key]) ? Object.entries(value[key]) : [];
}

/**
 * One discriminated union, so a mistake is reported against the kind of entry its `type` names
 * (and an unknown type lists every kind, `code` too). Zod nests discriminated unions; the pattern
 * union's declared type hides that it is one.
 */
const workflowEntrySchema = z.discriminatedUnion('type', [
  patternSpecSchema as unknown as z.ZodDiscriminatedUnion<z.ZodObject[], 'type'>,
  codeWorkflowSchema,
]) as unknown as z.ZodType<PatternSpec | CodeWorkflowEntry, unknown>;

const builtInWorkflowTypes = new Set(Object.values(workflowTypeByPattern));

/**
 * Code workflows share one bundle with the built-ins, where each is known by its export's name,
 * which may not be a built-in's (that one name is taken from two modules is checked by the worker,
 * which can tell whether two paths are the same file). An input_schema must be one the API can use.
 */
function codeWorkflowProblems(workflows: [string, unknown][]): { path: PropertyKey[]; message: string }[] {
  const problems: { path: PropertyKey[]; message: string }[] = [];
  for (const [name, entry] of workflows) {
    const parsed = codeWorkflowSchema.safeParse(entry);
    if (!parsed.success) continue;
    const { export: exported, input_schema: inputSchema } = parsed.data;
    if (builtInWorkflowTypes.has(exported)) {
      problems.push({ path: ['workflows', name, 'export'], message: `"${exported}" is a built-in workflow type; export the workflow under another name` });
    }
    if (inputSchema) {
      try {
        z.fromJSONSchema(inputSchema as Parameters<typeof z.fromJSONSchema>[0]);
      } catch (error) {
        problems.push({ path: ['workflows', name, 'input_schema'], message: `not a JSON Schema the API can check input with: ${(error as Error).message}` });
      }
    }
  }
  return problems;
}

/** Cross-references between sections, which no single field's schema can see. */
function checkReferences(config: unknown, ctx: z.RefinementCtx): void {
  const known: KnownNames = {
    servers: recordKeys(config, 'mcp', 'servers'),
    agents: recordKeys(config, 'agents'),
    functions: recordKeys(config, 'functions'),
  };
  const agents = entriesOf(config, 'agents');
  const workflows = entriesOf(config, 'workflows');
  const problems = [
    ...agents.flatMap(([name, agent]) => agentServerProblems(agent, ['agents', name], known)),
    ...workflows.flatMap(([name, spec]) => specReferenceProblems(spec, ['workflows', name], known)),
  ];
  for (const [name] of workflows) {
    if (Object.hasOwn(workflowTypeByPattern, name)) {
      problems.push({
        path: ['workflows', name],
        message: `"${name}" is a pattern type, kept for ad-hoc runs; choose another workflow name`,
      });
    }
  }
  problems.push(...codeWorkflowProblems(workflows));
  for (const problem of problems) ctx.addIssue({ code: 'custom', path: [...problem.path], message: problem.message });
}

export const configSchema = z
  .object({
    temporal: temporalSchema.prefault({}),
    logger: loggerSchema.prefault({}),
    default_provider: providerSchema.describe('Used by agents that name no provider').default('openai'),
    anthropic: anthropicSchema.prefault({}),
    openai: openaiSchema.prefault({}),
    cohere: cohereSchema.prefault({}),
    mcp: z
      .object({
        servers: z.record(nameSchema, mcpServerSchema).default({}),
        token_dir: z
          .string()
          .min(1)
          .describe('Where `mcp-agent login` stores OAuth tokens, one 0600 file per server; relative to the config file')
          .default('.mcp-agent/tokens'),
      })
      .strict()
      .prefault({}),
    agents: z.record(nameSchema, agentDefinitionSchema).default({}),
    workflows: z
      .record(nameSchema, workflowEntrySchema)
      .describe('Runnable by name: a pattern spec, or a TypeScript workflow (type: code)')
      .default({}),
    functions: z
      .record(nameSchema, functionSchema)
      .describe('Plain TypeScript functions the worker loads and runs as activities')
      .default({}),
    api: apiSchema.prefault({}),
    telemetry: telemetrySchema.prefault({}),
    streaming: streamingSchema.prefault({}),
    pricing: z
      .record(z.string().min(1), modelPriceSchema)
      .describe('Prices by model name (a dated snapshot of a model takes its price), over the defaults for current OpenAI and Anthropic models')
      .default({}),
    storage: storageSchema.prefault({}),
  })
  .strict()
  .superRefine(checkReferences, { when: () => true })
  .meta({ title: 'mcp-agent-temporal configuration (mcp_agent.config.yaml)' });

export type Config = z.output<typeof configSchema>;
/** What may be written in the file: every default still optional. */
export type ConfigInput = z.input<typeof configSchema>;
