import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/config/errors';
import { loadConfig } from '../../src/config/load';
import { resolveRun } from '../../src/config/resolve';
import { runsLocally } from '../../src/spec/local-calls';
import type { ResolvedAgent } from '../../src/spec/schema';

/** `local: true` on an MCP server or a function: what the config accepts and what a run carries. */

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'local-calls-test-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function load(yaml: string) {
  writeFileSync(path.join(dir, 'mcp_agent.config.yaml'), yaml);
  writeFileSync(path.join(dir, 'fns.js'), 'exports.lookup = () => 1; exports.slow = () => 2;');
  return loadConfig({ cwd: dir, env: {} });
}

const config = `
mcp:
  servers:
    quick:
      url: http://localhost:8000/mcp
      headers: { Authorization: Bearer sk-secret-header }
      local: true
    quickstdio:
      command: node
      args: [server.js]
      env: { TOKEN: sk-secret-env }
      local: true
      calls: { timeout_seconds: 5 }
    plain:
      url: http://localhost:8001/mcp
    explicit:
      url: http://localhost:8002/mcp
      local: false
functions:
  lookup: { module: ./fns.js, export: lookup, local: true }
  slow: { module: ./fns.js, export: slow }
agents:
  helper:
    instruction: Help.
    servers: [quick, plain, quickstdio, explicit]
    functions: [lookup, slow]
  plainer:
    instruction: Help plainly.
    servers: [plain]
    functions: [slow]
workflows:
  help: { type: agent, agent: helper }
  team: { type: swarm, agents: [helper, plainer] }
`;

function agentOf(run: ReturnType<typeof resolveRun>): ResolvedAgent {
  if (run.spec.type !== 'agent') throw new Error(`expected an agent spec, got ${run.spec.type}`);
  return run.spec.agent;
}

describe('local: true in the config', () => {
  it('is accepted on MCP servers of any transport and on functions, and left unset by default', () => {
    const loaded = load(config);
    expect(loaded.mcp.servers.quick.local).toBe(true);
    expect(loaded.mcp.servers.quickstdio).toMatchObject({ local: true, calls: { timeout_seconds: 5 } });
    expect(loaded.mcp.servers.plain.local).toBeUndefined();
    expect(loaded.mcp.servers.explicit.local).toBe(false);
    expect(loaded.functions.lookup.local).toBe(true);
    expect(loaded.functions.slow.local).toBeUndefined();
  });

  it('must be a boolean', () => {
    let error: unknown;
    try {
      load(`
mcp:
  servers:
    quick: { url: http://localhost:8000/mcp, local: "yes" }
functions:
  lookup: { module: ./fns.js, export: lookup, local: 1 }
`);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect([...(error as ConfigError).problems].sort()).toEqual([
      'functions.lookup.local: expected boolean, received number',
      'mcp.servers.quick.local: expected boolean, received string',
    ]);
  });
});

describe('a resolved agent', () => {
  it('names its local servers and functions, in its own order, and nothing else of their config', () => {
    const agent = agentOf(resolveRun(load(config), 'help'));
    expect(agent.local_servers).toEqual(['quick', 'quickstdio']);
    expect(agent.local_functions).toEqual(['lookup']);
    expect(agent.server_calls).toEqual({ quickstdio: { timeout_seconds: 5 } });
    // A server the agent only reads resources or a prompt from brings its `calls` settings too.
    const reader = agentOf(resolveRun(load(config), 'agent', { agent: { resources: ['quickstdio:file:///a.md'] } }));
    expect(reader.server_calls).toEqual({ quickstdio: { timeout_seconds: 5 } });
    const carried = JSON.stringify(agent);
    for (const secret of ['sk-secret-header', 'sk-secret-env', 'localhost:8000', 'server.js', 'fns.js']) {
      expect(carried).not.toContain(secret);
    }
  });

  it('carries no local fields when none of its servers or functions is local, as before the option existed', () => {
    const agent = agentOf(resolveRun(load(config), 'agent', { agent: 'plainer' }));
    expect(agent).not.toHaveProperty('local_servers');
    expect(agent).not.toHaveProperty('local_functions');
  });

  it('has them in an ad-hoc inline agent and in each swarm member', () => {
    const loaded = load(config);
    const inline = agentOf(resolveRun(loaded, 'agent', { agent: { instruction: 'x', servers: ['plain', 'quick'], functions: ['lookup'] } }));
    expect(inline).toMatchObject({ local_servers: ['quick'], local_functions: ['lookup'] });
    const team = resolveRun(loaded, 'team').spec;
    if (team.type !== 'swarm') throw new Error('expected a swarm');
    expect(team.agents.map((a) => [a.name, a.local_servers, a.local_functions])).toEqual([
      ['helper', ['quick', 'quickstdio'], ['lookup']],
      ['plainer', undefined, undefined],
    ]);
  });
});

describe('runsLocally', () => {
  const agent = { local_servers: ['quick'], local_functions: ['lookup'] } as ResolvedAgent;

  it('is true only for the servers and functions the agent names as local', () => {
    expect(runsLocally(agent, { server: 'quick' })).toBe(true);
    expect(runsLocally(agent, { server: 'plain' })).toBe(false);
    expect(runsLocally(agent, { function: 'lookup' })).toBe(true);
    expect(runsLocally(agent, { function: 'quick' })).toBe(false);
    expect(runsLocally(agent, { server: 'lookup' })).toBe(false);
  });

  it('is false for an agent resolved before the option existed', () => {
    expect(runsLocally({} as ResolvedAgent, { server: 'quick' })).toBe(false);
    expect(runsLocally({} as ResolvedAgent, { function: 'lookup' })).toBe(false);
  });
});
