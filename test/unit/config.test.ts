import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, InvalidInputError, SpecError, UnknownWorkflowError } from '../../src/config/errors';
import { loadConfig, runtimeSettings } from '../../src/config/load';
import { checkInput, listWorkflows, MAX_NESTING_DEPTH, resolveAgent, resolveRun } from '../../src/config/resolve';
import { CONFIG_JSON_SCHEMA_PATH, renderConfigJsonSchema } from '../../src/config/write-json-schema';
import type { ResolvedAgent, RunSpec } from '../../src/spec/schema';

function agentOf(spec: RunSpec): ResolvedAgent {
  if (spec.type !== 'agent') throw new Error(`expected an agent spec, got ${spec.type}`);
  return spec.agent;
}

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'config-test-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

function load(yaml: string, env: NodeJS.ProcessEnv = {}) {
  write('mcp_agent.config.yaml', yaml);
  return loadConfig({ cwd: dir, env });
}

function configErrorOf(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function specErrorOf(action: () => unknown): SpecError {
  try {
    action();
  } catch (error) {
    if (error instanceof SpecError) return error;
    throw error;
  }
  throw new Error('expected a SpecError');
}

const everythingServer = `
mcp:
  servers:
    everything:
      command: node
      args: [server.js, stdio]
    fetch:
      url: http://localhost:8000/mcp
`;

describe('loadConfig: files', () => {
  it('gives the defaults when there is no config file', () => {
    const config = loadConfig({ cwd: dir, env: {} });
    expect(config.temporal).toEqual({ address: 'localhost:7233', namespace: 'default', task_queue: 'mcp-agent' });
    expect(config.logger.level).toBe('info');
    expect(config.default_provider).toBe('openai');
    expect(config.openai).toEqual({ default_model: 'gpt-4o-mini', embedding_model: 'text-embedding-3-small' });
    expect(config.anthropic.default_model).toBe('claude-sonnet-4-5');
    expect(config.cohere).toEqual({ embedding_model: 'embed-english-v3.0' });
    expect(config.mcp.servers).toEqual({});
    expect(config.agents).toEqual({});
    expect(config.workflows).toEqual({});
    expect(config.functions).toEqual({});
    expect(config.api.tokens).toEqual([]);
  });

  it('treats an empty file and empty sections as defaults', () => {
    expect(load('').temporal.address).toBe('localhost:7233');
    expect(load('temporal:\nagents:\n').temporal.task_queue).toBe('mcp-agent');
  });

  it('finds the file in a parent of the working directory', () => {
    write('mcp_agent.config.yaml', 'temporal: { task_queue: from-parent }\n');
    const nested = path.join(dir, 'a', 'b');
    mkdirSync(nested, { recursive: true });
    expect(loadConfig({ cwd: nested, env: {} }).temporal.task_queue).toBe('from-parent');
  });

  it('uses MCP_AGENT_CONFIG, relative to the working directory', () => {
    write('mcp_agent.config.yaml', 'temporal: { task_queue: searched }\n');
    write('other/custom.yaml', 'temporal: { task_queue: named }\n');
    const config = loadConfig({ cwd: dir, env: { MCP_AGENT_CONFIG: 'other/custom.yaml' } });
    expect(config.temporal.task_queue).toBe('named');
  });

  it('fails when an explicitly named file is missing', () => {
    const fromEnv = configErrorOf(() => loadConfig({ cwd: dir, env: { MCP_AGENT_CONFIG: 'nope.yaml' } }));
    expect(fromEnv.message).toContain(path.join(dir, 'nope.yaml'));
    expect(fromEnv.problems).toEqual(['the config file named by MCP_AGENT_CONFIG does not exist']);
    const fromOption = configErrorOf(() => loadConfig({ cwd: dir, env: {}, path: 'missing.yaml' }));
    expect(fromOption.problems).toEqual(['the config file given does not exist']);
  });

  it('deep-merges mcp_agent.secrets.yaml over the config: mappings merge, lists and scalars replace', () => {
    write(
      'mcp_agent.secrets.yaml',
      `
openai: { api_key: sk-secret }
mcp:
  servers:
    fetch:
      headers: { Authorization: Bearer t0k }
      allowed_tools: [search]
`,
    );
    const config = load(`
openai: { default_model: gpt-4.1 }
${everythingServer}
      allowed_tools: [fetch, search, crawl]
      headers: { X-Team: blue }
`);
    expect(config.openai.api_key).toBe('sk-secret');
    expect(config.openai.default_model).toBe('gpt-4.1');
    expect(config.mcp.servers.fetch.url).toBe('http://localhost:8000/mcp');
    expect(config.mcp.servers.fetch.headers).toEqual({ 'X-Team': 'blue', Authorization: 'Bearer t0k' });
    expect(config.mcp.servers.fetch.allowed_tools).toEqual(['search']);
    expect(config.mcp.servers.everything.command).toBe('node');
  });

  it('reports a YAML syntax error with file and line', () => {
    const file = write('mcp_agent.config.yaml', 'temporal:\n  address: a\n  address: b\n');
    const error = configErrorOf(() => loadConfig({ cwd: dir, env: {} }));
    expect(error.problems).toEqual([`${file}:3:3: Map keys must be unique`]);
  });

  it('rejects a file whose top level is not a mapping', () => {
    const error = configErrorOf(() => load('- just\n- a list\n'));
    expect(error.problems).toEqual(['the top level must be a mapping of sections (temporal, mcp, agents, ...)']);
  });

  it('resolves stdio working directories and function modules against the config file', () => {
    const functions = 'functions:\n  lookup: { module: ./fns/orders.js, export: lookup }\n';
    write('mcp_agent.config.yaml', `${everythingServer}\n${functions}`);
    const config = loadConfig({ cwd: path.join(dir), env: {}, path: path.join(dir, 'mcp_agent.config.yaml') });
    expect(config.mcp.servers.everything.cwd).toBe(dir);
    expect(config.mcp.servers.fetch.cwd).toBeUndefined();
    expect(config.functions.lookup).toEqual({ module: path.join(dir, 'fns', 'orders.js'), export: 'lookup' });
  });
});

describe('loadConfig: ${VAR} interpolation', () => {
  it('replaces variables, with fallbacks for unset or empty ones', () => {
    const config = load(
      `
temporal:
  address: "\${HOST_NAME}:7233"
  namespace: "\${NS:-fallback-ns}"
  task_queue: "\${QUEUE:-q}"
openai: { api_key: "\${OPENAI_KEY_FOR_TEST}" }
`,
      { HOST_NAME: 'temporal.internal', QUEUE: '', OPENAI_KEY_FOR_TEST: 'sk-1' },
    );
    expect(config.temporal).toEqual({ address: 'temporal.internal:7233', namespace: 'fallback-ns', task_queue: 'q' });
    expect(config.openai.api_key).toBe('sk-1');
  });

  it('leaves a value that is only an unset variable out, so it reads as not configured', () => {
    const config = load(
      `
anthropic: { api_key: "\${MISSING_KEY}" }
openai: { api_key: "\${EMPTY_KEY}", default_model: "\${MISSING_MODEL}" }
api: { tokens: ["\${MISSING_TOKEN}", "fixed-token"] }
`,
      { EMPTY_KEY: '' },
    );
    expect(config.anthropic).not.toHaveProperty('api_key');
    expect(config.openai).not.toHaveProperty('api_key');
    expect(config.openai.default_model).toBe('gpt-4o-mini');
    expect(config.api.tokens).toEqual(['fixed-token']);
  });

  it('reports an unset variable inside a longer string at its key path', () => {
    const error = configErrorOf(() =>
      load(`
mcp:
  servers:
    docs:
      url: http://localhost:8000/mcp
      headers: { Authorization: "Bearer \${DOCS_TOKEN}" }
`),
    );
    expect(error.problems).toEqual([
      'mcp.servers.docs.headers.Authorization: environment variable DOCS_TOKEN is not set ' +
        '(write ${DOCS_TOKEN:-} to allow empty)',
    ]);
  });

  it('keeps $${ as a literal ${', () => {
    const config = load('agents:\n  templ:\n    instruction: "Fill in $${name} for ${WHO}"\n', { WHO: 'me' });
    expect(config.agents.templ.instruction).toBe('Fill in ${name} for me');
  });
});

describe('loadConfig: environment overrides', () => {
  it('lets the environment win over the file', () => {
    const config = load(
      `
temporal: { address: file:7233, namespace: file-ns, task_queue: file-q }
logger: { level: warn }
anthropic: { api_key: file-a, base_url: "http://file-a.example" }
openai: { api_key: file-o, base_url: "http://file-o.example" }
cohere: { api_key: file-c }
`,
      {
        TEMPORAL_ADDRESS: 'env:7233',
        TEMPORAL_NAMESPACE: 'env-ns',
        TEMPORAL_TASK_QUEUE: 'env-q',
        LOG_LEVEL: 'debug',
        ANTHROPIC_API_KEY: 'env-a',
        ANTHROPIC_BASE_URL: 'http://env-a.example',
        OPENAI_API_KEY: 'env-o',
        OPENAI_BASE_URL: 'http://localhost:11434/v1',
        COHERE_API_KEY: 'env-c',
      },
    );
    expect(config.temporal).toEqual({ address: 'env:7233', namespace: 'env-ns', task_queue: 'env-q' });
    expect(config.logger.level).toBe('debug');
    expect(config.anthropic).toMatchObject({ api_key: 'env-a', base_url: 'http://env-a.example' });
    expect(config.openai).toMatchObject({ api_key: 'env-o', base_url: 'http://localhost:11434/v1' });
    expect(config.cohere.api_key).toBe('env-c');
  });

  it('ignores empty override variables', () => {
    expect(load('temporal: { address: file:7233 }\n', { TEMPORAL_ADDRESS: '' }).temporal.address).toBe('file:7233');
  });

  it('names the variable when an override is invalid', () => {
    const error = configErrorOf(() => loadConfig({ cwd: dir, env: { LOG_LEVEL: 'loud' } }));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^logger\.level: .*"info".* \(from LOG_LEVEL\)$/);
  });
});

describe('loadConfig: storage from the environment', () => {
  const minio = {
    MCP_AGENT_STORAGE_DRIVER: 's3',
    MCP_AGENT_S3_BUCKET: 'env-bucket',
    MCP_AGENT_S3_PREFIX: 'env/',
    MCP_AGENT_S3_ENDPOINT: 'http://minio:9000',
    AWS_REGION: 'eu-west-1',
  };

  it('configures S3 storage with no storage section in the file', () => {
    const config = loadConfig({ cwd: dir, env: minio });
    expect(config.storage.driver).toBe('s3');
    expect(config.storage.s3).toEqual({ bucket: 'env-bucket', prefix: 'env/', region: 'eu-west-1', endpoint: 'http://minio:9000' });
  });

  it('wins over the file, key by key, and keeps what the environment does not set', () => {
    const config = load(
      `
storage:
  driver: file
  path: file-blobs
  s3: { bucket: file-bucket, prefix: file/, region: us-west-2, endpoint: "http://file.example", force_path_style: false }
`,
      minio,
    );
    expect(config.storage.driver).toBe('s3');
    expect(config.storage.path).toBe(path.join(dir, 'file-blobs'));
    expect(config.storage.s3).toEqual({
      bucket: 'env-bucket',
      prefix: 'env/',
      region: 'eu-west-1',
      endpoint: 'http://minio:9000',
      force_path_style: false,
    });
  });

  it('resolves MCP_AGENT_STORAGE_PATH against the config file, as a path in the file would be', () => {
    const config = load('storage: { path: file-blobs }\n', { MCP_AGENT_STORAGE_PATH: 'env-blobs' });
    expect(config.storage).toMatchObject({ driver: 'file', path: path.join(dir, 'env-blobs') });
    expect(config.storage.s3).toBeUndefined();
  });

  it('takes AWS_REGION as the region of a bucket named in the file or by MCP_AGENT_S3_BUCKET', () => {
    const fromFile = load('storage: { driver: s3, s3: { bucket: file-bucket } }\n', { AWS_REGION: 'eu-west-1' });
    expect(fromFile.storage.s3).toMatchObject({ bucket: 'file-bucket', region: 'eu-west-1' });
    const fromEnv = loadConfig({ cwd: dir, env: { MCP_AGENT_S3_BUCKET: 'env-bucket', AWS_REGION: 'eu-west-1' } });
    expect(fromEnv.storage.s3).toMatchObject({ bucket: 'env-bucket', region: 'eu-west-1' });
  });

  it('never makes an s3 section from AWS_REGION alone, so a machine on AWS keeps file storage', () => {
    const config = loadConfig({ cwd: dir, env: { AWS_REGION: 'eu-west-1' } });
    expect(config.storage.driver).toBe('file');
    expect(config.storage.s3).toBeUndefined();
    // driver s3 without a bucket is still only that problem, not one about a region.
    const error = configErrorOf(() => load('storage: { driver: s3 }\n', { AWS_REGION: 'eu-west-1' }));
    expect(error.problems).toEqual(['storage.s3: required by driver: s3 (at least s3.bucket)']);
  });

  it('leaves the S3 credentials to the AWS SDK: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY stay out of the config', () => {
    const config = loadConfig({
      cwd: dir,
      env: { ...minio, AWS_ACCESS_KEY_ID: 'minioadmin', AWS_SECRET_ACCESS_KEY: 'minioadmin' },
    });
    expect(config.storage.s3).not.toHaveProperty('access_key_id');
    expect(config.storage.s3).not.toHaveProperty('secret_access_key');
    expect(JSON.stringify(config)).not.toContain('minioadmin');
  });

  it('ignores empty storage variables', () => {
    const config = load('storage: { driver: s3, s3: { bucket: file-bucket } }\n', {
      MCP_AGENT_STORAGE_DRIVER: '',
      MCP_AGENT_S3_BUCKET: '',
      MCP_AGENT_S3_ENDPOINT: '',
      AWS_REGION: '',
    });
    expect(config.storage.driver).toBe('s3');
    expect(config.storage.s3).toEqual({ bucket: 'file-bucket', prefix: 'mcp-agent/', region: 'us-east-1' });
  });

  it('validates the values like the file\'s, naming the variable each bad one came from', () => {
    const error = configErrorOf(() =>
      loadConfig({
        cwd: dir,
        env: { MCP_AGENT_STORAGE_DRIVER: 'gcs', MCP_AGENT_S3_BUCKET: 'b', MCP_AGENT_S3_ENDPOINT: 'minio port 9000' },
      }),
    );
    expect(error.problems).toHaveLength(2);
    expect(error.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^storage\.driver: .*"file".*"s3".* \(from MCP_AGENT_STORAGE_DRIVER\)$/),
        expect.stringMatching(/^storage\.s3\.endpoint: .*URL.* \(from MCP_AGENT_S3_ENDPOINT\)$/i),
      ]),
    );
  });

  it('blames a bad region in the file on the file when AWS_REGION did not apply', () => {
    const error = configErrorOf(() => load('storage: { s3: { region: "" } }\n', { AWS_REGION: 'eu-west-1' }));
    expect(error.problems).toHaveLength(2);
    expect(error.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^storage\.s3\.region: [^(]*$/),
        'storage.s3.bucket: expected string, received undefined (or set MCP_AGENT_S3_BUCKET)',
      ]),
    );
  });

  it('says which variable supplies a bucket that S3 settings from the environment lack', () => {
    const error = configErrorOf(() => loadConfig({ cwd: dir, env: { MCP_AGENT_S3_ENDPOINT: 'http://minio:9000' } }));
    expect(error.problems).toEqual(['storage.s3.bucket: expected string, received undefined (or set MCP_AGENT_S3_BUCKET)']);
  });
});

describe('loadConfig: validation', () => {
  it('takes streaming.nats_url with the schemes the NATS client speaks (nats://, tls://, none), and names them otherwise', () => {
    for (const url of ['nats://127.0.0.1:4222', 'tls://user:secret@nats.example:4443', '127.0.0.1:4222', 'nats://a:4222,tls://b:4222,c:4222']) {
      expect(load(`streaming: { nats_url: "${url}" }\n`).streaming.nats_url).toBe(url);
    }
    // http:// would be taken for TCP to that port; ws:// and wss:// the Node client refuses at connect time.
    for (const url of ['http://127.0.0.1:9', 'ws://127.0.0.1:8080', 'wss://nats.example', 'nats://a:4222,https://b:4222']) {
      const error = configErrorOf(() => load(`streaming: { nats_url: "${url}" }\n`));
      expect(error.problems).toEqual([expect.stringMatching(/^streaming\.nats_url: .*nats:\/\/ or tls:\/\/.*ws:\/\/ and wss:\/\/ are not supported/)]);
    }
    const fromEnv = configErrorOf(() => loadConfig({ cwd: dir, env: { MCP_AGENT_NATS_URL: 'http://127.0.0.1:9' } }));
    expect(fromEnv.problems).toEqual([expect.stringMatching(/^streaming\.nats_url: .*\(from MCP_AGENT_NATS_URL\)$/)]);
  });

  it('lists every problem at once, by key path', () => {
    const file = write(
      'mcp_agent.config.yaml',
      `
temporal: { adress: typo:7233 }
default_provider: mistral
${everythingServer}
agents:
  finder:
    instruction: Find things.
    servers: [everything, fetc]
    max_iterations: 0
workflows:
  find:
    type: agent
    agent: findr
  inline:
    type: agent
    agent: { instruction: Hi, servers: [nowhere] }
  weird:
    type: planner
`,
    );
    const error = configErrorOf(() => loadConfig({ cwd: dir, env: {} }));
    expect(error.problems).toEqual(
      expect.arrayContaining([
        'temporal.adress: unknown key',
        expect.stringMatching(/^default_provider: .*"anthropic"\|"openai"/),
        'agents.finder.max_iterations: too small: expected number to be >=1',
        'agents.finder.servers[1]: unknown MCP server "fetc"',
        'workflows.find.agent: unknown agent "findr"',
        'workflows.inline.agent.servers[0]: unknown MCP server "nowhere"',
        expect.stringMatching(/^workflows\.weird\.type: unknown value "planner"; expected one of "agent", "orchestrator"/),
      ]),
    );
    expect(error.problems).toHaveLength(7);
    expect(error.message.split('\n')).toContain('  agents.finder.servers[1]: unknown MCP server "fetc"');
    expect(error.message.split('\n')[0]).toBe(`Invalid configuration (${file}):`);
  });

  it('rejects unknown keys in every section, including agents and workflows', () => {
    const error = configErrorOf(() =>
      load(`
surprise: 1
logger: { level: info, colour: true }
${everythingServer}
      timeout: 5
agents:
  a: { instruction: x, tools: [everything] }
workflows:
  w: { type: agent, agent: a, retries: 3 }
`),
    );
    expect([...error.problems].sort()).toEqual(
      [
        'surprise: unknown key',
        'logger.colour: unknown key',
        'mcp.servers.fetch.timeout: unknown key',
        'agents.a.tools: unknown key',
        'workflows.w.retries: unknown key',
      ].sort(),
    );
  });

  it('explains an inline agent that is neither a name nor a valid definition', () => {
    const error = configErrorOf(() =>
      load('workflows:\n  w: { type: agent, agent: { instruction: 5 } }\n  v: { type: agent, agent: 7 }\n'),
    );
    expect([...error.problems].sort()).toEqual([
      'workflows.v.agent: expected string or object, received number',
      'workflows.w.agent.instruction: expected string, received number',
    ]);
  });

  it('takes only file:// URIs as roots, as the MCP specification asks', () => {
    const error = configErrorOf(() =>
      load(`
mcp:
  servers:
    r:
      command: node
      roots: [{ uri: "file:///srv/project" }, { uri: "https://example.com/x" }, { uri: "not a uri" }]
`),
    );
    expect(error.problems).toEqual([
      'mcp.servers.r.roots[1].uri: roots must be file:// URIs, such as file:///home/me/project',
      'mcp.servers.r.roots[2].uri: roots must be file:// URIs, such as file:///home/me/project',
    ]);
  });

  it('infers MCP transports and checks each server has what its transport needs', () => {
    const config = load(`
mcp:
  servers:
    local: { command: node }
    remote: { url: "https://example.com/mcp" }
    events: { transport: sse, url: "http://localhost:9000/sse" }
    socket: { transport: websocket, url: "ws://localhost:9001" }
`);
    expect(Object.fromEntries(Object.entries(config.mcp.servers).map(([name, s]) => [name, s.transport]))).toEqual({
      local: 'stdio',
      remote: 'streamable_http',
      events: 'sse',
      socket: 'websocket',
    });
    expect(config.mcp.servers.local).toMatchObject({
      args: [],
      env: {},
      read_timeout_seconds: 60,
      allowed_tools: ['*'],
    });

    const error = configErrorOf(() =>
      load(`
mcp:
  servers:
    empty: { description: nothing to start }
    both: { command: node, url: "http://x.example" }
    sse-with-command: { transport: sse, command: node }
    ws-over-http: { transport: websocket, url: "http://x.example" }
    "has space": { command: node }
`),
    );
    expect([...error.problems].sort()).toEqual(
      [
        'mcp.servers.empty: needs command (stdio) or url (streamable_http, sse, websocket)',
        'mcp.servers.both: set either command (stdio) or url (streamable_http), not both, or choose with transport',
        'mcp.servers.sse-with-command.command: not used by the sse transport',
        'mcp.servers.sse-with-command.url: required by the sse transport',
        'mcp.servers.ws-over-http.url: the websocket transport needs a ws or wss URL',
        'mcp.servers["has space"]: invalid name: must be non-empty and contain no whitespace',
      ].sort(),
    );
  });

  it('keeps pattern type names free for ad-hoc runs', () => {
    const error = configErrorOf(() => load('agents: { a: {} }\nworkflows:\n  agent: { type: agent, agent: a }\n'));
    expect(error.problems).toEqual([
      'workflows.agent: "agent" is a pattern type, kept for ad-hoc runs; choose another workflow name',
    ]);
  });
});

const runnableConfig = `
default_provider: anthropic
anthropic: { default_model: claude-test }
openai: { default_model: gpt-test }
${everythingServer}
agents:
  calculator:
    instruction: You add numbers.
    servers: [everything]
  writer:
    instruction: You write.
    provider: openai
  pinned:
    provider: openai
    model: gpt-pinned
workflows:
  calc: { type: agent, agent: calculator, description: Adds numbers }
  scribe: { type: agent, agent: { instruction: Write notes., servers: [fetch] } }
`;

describe('resolveRun', () => {
  it('resolves a config workflow into a self-contained spec', () => {
    const config = load(runnableConfig, { ANTHROPIC_API_KEY: 'sk-never-in-history' });
    const run = resolveRun(config, 'calc');
    expect(run).toEqual({
      name: 'calc',
      workflowType: 'agentWorkflow',
      description: 'Adds numbers',
      spec: {
        type: 'agent',
        agent: {
          name: 'calculator',
          instruction: 'You add numbers.',
          servers: ['everything'],
          provider: 'anthropic',
          model: 'claude-test',
          max_iterations: 10,
          max_tokens: 4096,
          human_input: false,
          approve_tools: [],
          input_timeout_seconds: 86_400,
          handoffs: [],
          functions: [],
        },
      },
    });
    expect(JSON.stringify(run.spec)).not.toContain('sk-never-in-history');
    expect(JSON.stringify(run.spec)).not.toContain('server.js');
  });

  it('names an inline agent of a config workflow after the workflow', () => {
    const run = resolveRun(load(runnableConfig), 'scribe');
    expect(agentOf(run.spec)).toMatchObject({ name: 'scribe', servers: ['fetch'], instruction: 'Write notes.' });
    expect(run.description).toBeUndefined();
  });

  it('runs an ad-hoc agent spec under its pattern type, with or without the type field', () => {
    const config = load(runnableConfig);
    const run = resolveRun(config, 'agent', { agent: { instruction: 'Echo.', servers: ['everything'], model: 'm1' } });
    expect(run.name).toBe('agent');
    expect(run.workflowType).toBe('agentWorkflow');
    expect(agentOf(run.spec)).toMatchObject({ name: 'agent', instruction: 'Echo.', provider: 'anthropic', model: 'm1' });
    expect(agentOf(resolveRun(config, 'agent', { type: 'agent', agent: 'writer' }).spec).name).toBe('writer');
  });

  it('throws UnknownWorkflowError for a name that is neither a workflow nor a pattern type', () => {
    const config = load(runnableConfig);
    expect(() => resolveRun(config, 'nope')).toThrow(UnknownWorkflowError);
    expect(() => resolveRun(config, 'nope', { agent: 'writer' })).toThrow(
      'No workflow or pattern type is named "nope".',
    );
  });

  it('refuses at start what could only fail later: a router with no routes, nesting too deep, no input', () => {
    const config = load(runnableConfig);
    expect(specErrorOf(() => resolveRun(config, 'router', { method: 'llm' })).problems).toEqual([
      'spec: a router needs at least one route: agents, servers or functions',
    ]);
    // Eleven patterns, each the optimizer of the one above: one level too many.
    let nested: Record<string, unknown> = { type: 'agent', agent: { instruction: 'x' } };
    for (let level = 0; level < MAX_NESTING_DEPTH; level++) nested = { type: 'evaluator_optimizer', optimizer: nested, evaluator: 'Rate it.' };
    const problems = specErrorOf(() => resolveRun(config, 'evaluator_optimizer', nested)).problems;
    expect(problems).toEqual([`spec${'.optimizer'.repeat(MAX_NESTING_DEPTH)}: patterns nest at most ${MAX_NESTING_DEPTH} deep`]);
    expect(() => resolveRun(config, 'evaluator_optimizer', nested.optimizer)).not.toThrow();

    const single = resolveRun(config, 'calc');
    expect(specErrorOf(() => checkInput(single, null)).problems).toEqual([
      'input: required: null starts only a conversation, which waits for its first message',
    ]);
    expect(() => checkInput(single, '')).not.toThrow();
    expect(() => checkInput(resolveRun(config, 'agent', { agent: { instruction: 'x' }, conversation: true }), null)).not.toThrow();
  });

  it('throws SpecError listing what is wrong with an ad-hoc spec', () => {
    const config = load(runnableConfig);
    expect(specErrorOf(() => resolveRun(config, 'agent')).problems).toEqual([
      'spec: required to run the pattern type "agent"',
    ]);
    const malformed = { agent: { instruction: '', servers: ['fetc'], extra: 1 } };
    expect([...specErrorOf(() => resolveRun(config, 'agent', malformed)).problems].sort()).toEqual([
      'spec.agent.extra: unknown key',
      'spec.agent.instruction: too small: expected string to have >=1 characters',
    ]);
    const unknownServer = { agent: { servers: ['everything', 'fetc'] } };
    expect(specErrorOf(() => resolveRun(config, 'agent', unknownServer)).problems).toEqual([
      'spec.agent.servers[1]: unknown MCP server "fetc"',
    ]);
    expect(specErrorOf(() => resolveRun(config, 'agent', { agent: 'ghost' })).problems).toEqual([
      'spec.agent: unknown agent "ghost"',
    ]);
    expect(specErrorOf(() => resolveRun(config, 'agent', 'just text')).problems).toEqual([
      'spec: expected object, received string',
    ]);
    expect(specErrorOf(() => resolveRun(config, 'calc', { agent: 'writer' })).problems).toEqual([
      'spec: not accepted by the configured workflow "calc"; only pattern types take a spec',
    ]);
  });
});

describe('resolveAgent', () => {
  it('falls back to the default provider and that provider’s default model', () => {
    const config = load(runnableConfig);
    expect(resolveAgent(config, 'calculator', 'unused')).toMatchObject({
      name: 'calculator',
      provider: 'anthropic',
      model: 'claude-test',
    });
    expect(resolveAgent(config, 'writer', 'unused')).toMatchObject({ provider: 'openai', model: 'gpt-test' });
    expect(resolveAgent(config, 'pinned', 'unused')).toMatchObject({ provider: 'openai', model: 'gpt-pinned' });
  });

  it('fills an inline definition’s defaults and names it after the fallback', () => {
    const config = loadConfig({ cwd: dir, env: {} });
    expect(resolveAgent(config, { instruction: 'Hi.' } as never, 'helper')).toEqual({
      name: 'helper',
      instruction: 'Hi.',
      servers: [],
      provider: 'openai',
      model: 'gpt-4o-mini',
      max_iterations: 10,
      max_tokens: 4096,
      human_input: false,
      approve_tools: [],
      input_timeout_seconds: 86_400,
      handoffs: [],
      functions: [],
    });
  });

  it('rejects unknown agents and servers', () => {
    const config = load(runnableConfig);
    expect(specErrorOf(() => resolveAgent(config, 'ghost', 'x')).problems).toEqual(['unknown agent "ghost"']);
    expect(
      specErrorOf(() => resolveAgent(config, { instruction: 'Hi.', servers: ['fetc'] } as never, 'x')).problems,
    ).toEqual(['servers[0]: unknown MCP server "fetc"']);
  });
});

describe('code workflows (type: code)', () => {
  const codeConfig = `
workflows:
  triage:
    type: code
    module: ./flows/triage.ts
    export: triageTicket
    description: Triage a ticket
    input_schema: { type: object, properties: { ticket: { type: string } }, required: [ticket] }
`;

  it('resolves the module next to the config file and runs under the export as its workflow type', () => {
    const config = load(codeConfig);
    expect(config.workflows.triage).toMatchObject({ type: 'code', module: path.join(dir, 'flows', 'triage.ts') });
    const run = resolveRun(config, 'triage');
    expect(run).toMatchObject({ name: 'triage', workflowType: 'triageTicket', spec: { type: 'code', workflow: 'triageTicket' } });
    expect(listWorkflows(config)).toEqual([{ name: 'triage', type: 'code', description: 'Triage a ticket' }]);
  });

  it('checks the input against input_schema, every problem by key path', () => {
    const run = resolveRun(load(codeConfig), 'triage');
    expect(() => checkInput(run, { ticket: 'The app crashes.' })).not.toThrow();
    let error: unknown;
    try {
      checkInput(run, { ticket: 42 });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).problems).toEqual(['input.ticket: expected string, received number']);
  });

  it("takes an agent's conversation keys: conversation: true makes its runs carry the settings, and null starts one idle", () => {
    const config = load(`${codeConfig}
  chat:
    type: code
    module: ./flows/chat.ts
    export: chat
    conversation: true
    on_message_while_busy: reject
  oneShot: { type: code, module: ./flows/chat.ts, export: chat, idle_timeout_seconds: 60 }
  longChat: { type: code, module: ./flows/chat.ts, export: chat, conversation: true, history_limit_bytes: 65536 }
`);
    const chat = resolveRun(config, 'chat');
    expect(chat.spec).toEqual({ type: 'code', workflow: 'chat', conversation: { on_message_while_busy: 'reject', idle_timeout_seconds: 86_400 } });
    // Where its turns hand over to a new run, as on an agent entry.
    expect(resolveRun(config, 'longChat').spec).toMatchObject({ history_limit_bytes: 65_536 });
    expect(configErrorOf(() => load(`${codeConfig}\n  tiny: { type: code, module: ./flows/chat.ts, export: chat, history_limit_bytes: 1000 }\n`)).problems).toEqual([
      'workflows.tiny.history_limit_bytes: too small: expected number to be >=16384',
    ]);
    expect(() => checkInput(chat, null)).not.toThrow();
    // Settings without conversation: true tune nothing, as on an agent entry.
    const oneShot = resolveRun(config, 'oneShot');
    expect(oneShot.spec).toEqual({ type: 'code', workflow: 'chat' });
    expect(specErrorOf(() => checkInput(oneShot, null)).problems).toEqual([
      'input: required: null starts only a conversation, which waits for its first message',
    ]);
    // The input_schema is for a first message; a conversation started idle has none to check.
    const idleTriage = { ...resolveRun(load(codeConfig), 'triage'), spec: chat.spec };
    expect(() => checkInput(idleTriage, null)).not.toThrow();
    expect(() => checkInput(idleTriage, { ticket: 42 })).toThrow(InvalidInputError);
  });

  it('refuses a built-in workflow type and an input_schema it cannot use', () => {
    const error = configErrorOf(() =>
      load(`
workflows:
  a: { type: code, module: ./a.ts, export: agentWorkflow }
  d: { type: code, module: ./d.ts, export: ok, input_schema: { type: bogus } }
  e: { type: code, module: ./e.ts, export: not-an-identifier }
`),
    );
    expect([...error.problems].sort()).toEqual([
      'workflows.a.export: "agentWorkflow" is a built-in workflow type; export the workflow under another name',
      'workflows.d.input_schema: not a JSON Schema the API can check input with: Unsupported type: bogus',
      'workflows.e.export: must be a JavaScript identifier',
    ]);
  });
});

describe('listWorkflows', () => {
  it('lists config workflows with type and description', () => {
    expect(listWorkflows(load(runnableConfig))).toEqual([
      { name: 'calc', type: 'agent', description: 'Adds numbers' },
      { name: 'scribe', type: 'agent', description: '' },
    ]);
  });
});

describe('runtimeSettings', () => {
  it('reads HOST, PORT and TEMPORAL_UI_URL with defaults', () => {
    expect(runtimeSettings({})).toEqual({ host: '127.0.0.1', port: 3000, temporalUiUrl: 'http://localhost:8233' });
    expect(runtimeSettings({ HOST: '0.0.0.0', PORT: '8080', TEMPORAL_UI_URL: 'https://ui.example/' })).toEqual({
      host: '0.0.0.0',
      port: 8080,
      temporalUiUrl: 'https://ui.example',
    });
  });

  it('rejects a PORT that is not a port number', () => {
    expect(configErrorOf(() => runtimeSettings({ PORT: 'http' })).problems).toEqual([
      'PORT: must be a whole number from 0 to 65535, got "http"',
    ]);
    expect(() => runtimeSettings({ PORT: '70000' })).toThrow(ConfigError);
  });
});

describe('mcp_agent.config.schema.json', () => {
  it('matches the zod schema (run `npm run schema` after changing it)', () => {
    expect(readFileSync(CONFIG_JSON_SCHEMA_PATH, 'utf8')).toBe(renderConfigJsonSchema());
  });

  it('lets every section default, so an empty file is valid', () => {
    const schema = JSON.parse(renderConfigJsonSchema()) as { required?: string[]; additionalProperties: boolean };
    expect(schema.required).toBeUndefined();
    expect(schema.additionalProperties).toBe(false);
  });
});

describe('mcp_agent.config.yaml (the shipped config)', () => {
  it('is a valid config', () => {
    const example = path.resolve(__dirname, '..', '..', 'mcp_agent.config.yaml');
    const config = loadConfig({ path: example, env: {} });
    expect(agentOf(resolveRun(config, 'calc').spec).servers).toEqual(['everything']);
  });
});
