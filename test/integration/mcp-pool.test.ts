/**
 * The MCP pool and activities against real servers: server-everything and our fixture over stdio
 * streamable HTTP and legacy HTTP+SSE. No Temporal server needed: MockActivityEnvironment supplies the activity
 * context (heartbeats, cancellation) and the activity functions run for real.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { type McpCallToolInput, type McpCallToolResult } from '../../activities/contracts';
import { FailureTypes } from '../../src/failure-types';
import { freePort } from '../../temporal/dev-server';
import { createMcpActivities } from '../../activities/mcp';
import type { ToolDefinition } from '../../src/llm/messages';
import { McpPool, type McpServerSettings } from '../../src/mcp/pool';
import { scratchConversationStore } from '../support/stores';
import {
  type FixtureHttpServer,
  type FixtureSseServer,
  startFixtureHttpServer,
  startFixtureSseServer,
} from '../fixtures/mcp-fixture-server';

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '../..');
const FIXTURE = path.join(ROOT, 'test/fixtures/mcp-fixture-server.ts');

function fixtureOverStdio(extra: Partial<McpServerSettings> = {}): McpServerSettings {
  return { command: process.execPath, args: ['--import', 'tsx', FIXTURE, 'stdio'], cwd: ROOT, ...extra };
}

function everythingOverStdio(): McpServerSettings {
  const packageJson = require.resolve('@modelcontextprotocol/server-everything/package.json');
  const { bin } = JSON.parse(readFileSync(packageJson, 'utf8')) as { bin: Record<string, string> };
  const entry = path.join(path.dirname(packageJson), bin['mcp-server-everything']);
  return { command: process.execPath, args: [entry, 'stdio'] };
}

/** The failures below are expected; the SDK's default logger would print each as a warning. */
function activityEnvironment(): MockActivityEnvironment {
  return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
}

async function expectFailure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

/** Polls until `condition` holds; the deadline only turns a hang into a clear failure. */
async function waitUntil(condition: () => boolean, what: string, deadlineMs = 20_000): Promise<void> {
  for (const started = Date.now(); !condition(); await sleep(50)) {
    if (Date.now() - started > deadlineMs) throw new Error(`gave up waiting until ${what}`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('MCP pool and activities', () => {
  let http: FixtureHttpServer;
  let sse: FixtureSseServer;
  let pool: McpPool;
  let activities: ReturnType<typeof createMcpActivities>;
  let scratch: string;

  const call = (input: McpCallToolInput): Promise<McpCallToolResult> =>
    activityEnvironment().run(activities.mcpCallTool, input);
  const list = async (server: string): Promise<ToolDefinition[]> => {
    const listed = await activityEnvironment().run(activities.mcpListTools, { server });
    return listed as ToolDefinition[];
  };

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'mcp-pool-test-'));
    http = await startFixtureHttpServer();
    sse = await startFixtureSseServer();
    pool = new McpPool({
      everything: everythingOverStdio(),
      fxstdio: fixtureOverStdio(),
      fxhttp: { url: http.url },
      fxhttp_timeout: { url: http.url, read_timeout_seconds: 1 },
      fxsse: { transport: 'sse', url: sse.url },
      fxstdio_limited: fixtureOverStdio({ allowed_tools: ['add', 'e*'] }),
      missing_binary: { command: path.join(scratch, 'no-such-server') },
      exits_at_start: { command: process.execPath, args: ['-e', 'console.error("bad server config: boom"); process.exit(3)'] },
      // Writes a banner to stdout (the protocol's channel), then never answers.
      not_json: { command: process.execPath, args: ['-e', 'console.log("Weather server listening on stdio"); setInterval(() => {}, 1000)'], read_timeout_seconds: 60 },
      hangs: { command: 'sleep', args: ['1000'], read_timeout_seconds: 1 },
      http_down: { url: `http://127.0.0.1:${await freePort()}/mcp` },
    });
    activities = createMcpActivities(pool, scratchConversationStore());
  });

  afterAll(async () => {
    await pool.close();
    await http.close();
    await sse.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  describe('server-everything over stdio', () => {
    it('lists its tools with the server prefix, descriptions and schemas', async () => {
      const tools = await list('everything');
      expect(tools.length).toBeGreaterThan(5);
      for (const tool of tools) expect(tool.name.startsWith('everything-')).toBe(true);
      const sum = tools.find((t) => t.name === 'everything-get-sum');
      expect(sum?.description).toBe('Returns the sum of two numbers');
      expect(sum?.inputSchema).toMatchObject({ type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } });
    });

    it('calls get-sum', async () => {
      const result = await call({ server: 'everything', tool: 'get-sum', arguments: { a: 2, b: 40 } });
      expect(result).toEqual({ content: 'The sum of 2 and 40 is 42.', isError: false });
    });

    it('summarises an image result instead of passing base64 on', async () => {
      const result = await call({ server: 'everything', tool: 'get-tiny-image', arguments: {} });
      expect(result.isError).toBe(false);
      expect(result.content).toMatch(/\[image image\/png, \d+ bytes\]/);
    });
  });

  // The fixture sends its last progress right before the result; the SDK's own onprogress loses it.
  it.each(['fxstdio', 'fxhttp'])('%s: every progress notification of a call reaches it, the last one too', async (server) => {
    for (let round = 0; round < 5; round++) {
      const seen: unknown[] = [];
      await pool.callTool(server, 'report', { steps: 4, ms: 0 }, { onProgress: (progress) => seen.push(progress) });
      expect(seen).toEqual([1, 2, 3, 4].map((step) => ({ progress: step, total: 4, message: `step ${step}` })));
    }
  });

  describe('fixture over streamable HTTP', () => {
    it('calls a tool', async () => {
      expect(await call({ server: 'fxhttp', tool: 'add', arguments: { a: 2, b: 3 } })).toEqual({
        content: '5',
        isError: false,
      });
    });

    it("returns the tool's own error as an error result", async () => {
      expect(await call({ server: 'fxhttp', tool: 'fail', arguments: { message: 'disk full' } })).toEqual({
        content: 'disk full',
        isError: true,
      });
    });

    it('returns invalid arguments as an error result for the model', async () => {
      const result = await call({ server: 'fxhttp', tool: 'add', arguments: { a: 'two', b: 3 } });
      expect(result.isError).toBe(true);
      expect(result.content).toMatch(/invalid/i);
    });

    it('answers an unknown tool with the tools that exist', async () => {
      const result = await call({ server: 'fxhttp', tool: 'nope', arguments: {} });
      expect(result.isError).toBe(true);
      expect(result.content).toMatch(/^Unknown tool "nope" on server "fxhttp"\. Available: fxhttp-add, fxhttp-echo, /);
    });

    it('reuses one session for every call', async () => {
      const first = await call({ server: 'fxhttp', tool: 'whoami', arguments: {} });
      const second = await call({ server: 'fxhttp', tool: 'echo', arguments: { text: 'hi' } });
      expect(first.content).toBe(String(process.pid));
      expect(second.content).toBe('hi');
      expect(pool.connectCount('fxhttp')).toBe(1);
    });

    it('runs concurrent calls on one session', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => call({ server: 'fxhttp', tool: 'add', arguments: { a: i, b: 1000 } })),
      );
      expect(results.map((r) => r.content)).toEqual(Array.from({ length: 20 }, (_, i) => String(i + 1000)));
      expect(pool.connectCount('fxhttp')).toBe(1);
    });

    it('answers a call slower than read_timeout_seconds with an error result', async () => {
      const result = await call({ server: 'fxhttp_timeout', tool: 'slow', arguments: { ms: 3000 } });
      expect(result).toEqual({
        content: 'Tool "slow" on server "fxhttp_timeout" did not answer within 1 seconds.',
        isError: true,
      });
    });

    it('ends its HTTP session on the server when the pool closes', async () => {
      const separate = new McpPool({ fx: { url: http.url } });
      const sessionsBefore = http.openSessions();
      await separate.callTool('fx', 'whoami', {});
      expect(http.openSessions()).toBe(sessionsBefore + 1);
      await separate.close();
      expect(http.openSessions()).toBe(sessionsBefore);
    });

    it('opens a new session when the server restarted and forgot the old one', async () => {
      await call({ server: 'fxhttp', tool: 'whoami', arguments: {} });
      const connectsBefore = pool.connectCount('fxhttp');
      await http.close();
      // Like a real restart, take a moment: a restart within the same few event-loop turns would
      // meet fetch's pooled keep-alive sockets to the old server before their close is processed.
      await sleep(200);
      http = await startFixtureHttpServer(http.port);
      expect(await call({ server: 'fxhttp', tool: 'add', arguments: { a: 1, b: 1 } })).toEqual({
        content: '2',
        isError: false,
      });
      expect(pool.connectCount('fxhttp')).toBe(connectsBefore + 1);
    });
  });

  describe('fixture over legacy HTTP+SSE', () => {
    it('lists its tools with the server prefix', async () => {
      expect((await list('fxsse')).map((t) => t.name)).toEqual(
        expect.arrayContaining(['fxsse-add', 'fxsse-echo', 'fxsse-fail', 'fxsse-slow', 'fxsse-whoami']),
      );
    });

    it('calls a tool', async () => {
      expect(await call({ server: 'fxsse', tool: 'add', arguments: { a: 2, b: 3 } })).toEqual({
        content: '5',
        isError: false,
      });
    });

    it("returns the tool's own error as an error result", async () => {
      expect(await call({ server: 'fxsse', tool: 'fail', arguments: { message: 'disk full' } })).toEqual({
        content: 'disk full',
        isError: true,
      });
    });

    it('reuses one session for every call', async () => {
      const first = await call({ server: 'fxsse', tool: 'whoami', arguments: {} });
      const second = await call({ server: 'fxsse', tool: 'echo', arguments: { text: 'hi' } });
      expect(first.content).toBe(String(process.pid));
      expect(second.content).toBe('hi');
      expect(pool.connectCount('fxsse')).toBe(1);
      expect(sse.openSessions()).toBe(1);
    });

    it('opens and initialises a new session when the server restarted', async () => {
      await call({ server: 'fxsse', tool: 'whoami', arguments: {} });
      const connectsBefore = pool.connectCount('fxsse');
      await sse.close();
      await sleep(200);
      sse = await startFixtureSseServer(sse.port);
      // Either the pool noticed its stream end, or the SDK's EventSource reconnected on its own to a
      // session of the new server that nobody initialised; the pool must not carry on with that one.
      await waitUntil(
        () => !pool.isConnected('fxsse') || sse.openSessions() > 0,
        'the pool notices the lost SSE stream',
      );

      expect(await call({ server: 'fxsse', tool: 'add', arguments: { a: 1, b: 1 } })).toEqual({
        content: '2',
        isError: false,
      });
      expect(pool.connectCount('fxsse')).toBe(connectsBefore + 1);
      expect(sse.openSessions()).toBe(1);
    });
  });

  describe('fixture over stdio', () => {
    it('reuses one session and one process for every call', async () => {
      const first = await call({ server: 'fxstdio', tool: 'whoami', arguments: {} });
      const second = await call({ server: 'fxstdio', tool: 'whoami', arguments: {} });
      expect(first.isError).toBe(false);
      expect(first.content).toMatch(/^\d+$/);
      expect(second.content).toBe(first.content);
      expect(pool.connectCount('fxstdio')).toBe(1);
    });

    it('reconnects and retries once when the server dies during a call', async () => {
      const before = await call({ server: 'fxstdio', tool: 'whoami', arguments: {} });
      const connectsBefore = pool.connectCount('fxstdio');
      const marker = path.join(scratch, 'die-once-marker');

      const result = await call({ server: 'fxstdio', tool: 'die_once', arguments: { marker } });

      expect(result).toEqual({ content: 'survived', isError: false });
      expect(readFileSync(marker, 'utf8')).toBe(before.content);
      expect(pool.connectCount('fxstdio')).toBe(connectsBefore + 1);
      expect(isAlive(Number(before.content))).toBe(false);
      const after = await call({ server: 'fxstdio', tool: 'whoami', arguments: {} });
      expect(after.content).toMatch(/^\d+$/);
      expect(after.content).not.toBe(before.content);
    });

    it('reconnects when the server died between calls', async () => {
      const before = await call({ server: 'fxstdio', tool: 'whoami', arguments: {} });
      const connectsBefore = pool.connectCount('fxstdio');
      process.kill(Number(before.content), 'SIGKILL');

      const after = await call({ server: 'fxstdio', tool: 'whoami', arguments: {} });

      expect(after.isError).toBe(false);
      expect(after.content).not.toBe(before.content);
      expect(pool.connectCount('fxstdio')).toBe(connectsBefore + 1);
    });

    it('refreshes the cached tool list when the server announces a change', async () => {
      const before = (await list('fxstdio')).map((t) => t.name);
      expect(before).not.toContain('fxstdio-fresh_tool');

      await call({ server: 'fxstdio', tool: 'add_tool', arguments: { name: 'fresh_tool' } });

      expect((await list('fxstdio')).map((t) => t.name)).toContain('fxstdio-fresh_tool');
      expect(await call({ server: 'fxstdio', tool: 'fresh_tool', arguments: {} })).toEqual({
        content: 'fresh_tool ok',
        isError: false,
      });
    });

    it('runs concurrent calls on one session', async () => {
      const connectsBefore = pool.connectCount('fxstdio');
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => call({ server: 'fxstdio', tool: 'echo', arguments: { text: `m${i}` } })),
      );
      expect(results.map((r) => r.content)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
      expect(pool.connectCount('fxstdio')).toBe(connectsBefore);
    });

    it('shares one connecting promise between concurrent first uses', async () => {
      const fresh = new McpPool({ fx: fixtureOverStdio() });
      try {
        const freshActivities = createMcpActivities(fresh, scratchConversationStore());
        const results = await Promise.all(
          Array.from(
            { length: 5 },
            (): Promise<McpCallToolResult> =>
              activityEnvironment().run(freshActivities.mcpCallTool, { server: 'fx', tool: 'whoami', arguments: {} }),
          ),
        );
        expect(new Set(results.map((r) => r.content)).size).toBe(1);
        expect(fresh.connectCount('fx')).toBe(1);
      } finally {
        await fresh.close();
      }
    });

    it('offers and calls only the tools allowed_tools matches', async () => {
      expect((await list('fxstdio_limited')).map((t) => t.name).sort()).toEqual([
        'fxstdio_limited-add',
        'fxstdio_limited-echo',
      ]);
      expect(await call({ server: 'fxstdio_limited', tool: 'add', arguments: { a: 1, b: 2 } })).toEqual({
        content: '3',
        isError: false,
      });
      expect(await call({ server: 'fxstdio_limited', tool: 'whoami', arguments: {} })).toEqual({
        content: 'Unknown tool "whoami" on server "fxstdio_limited". Available: fxstdio_limited-add, fxstdio_limited-echo',
        isError: true,
      });
    });

    it('heartbeats while a call is in flight', async () => {
      const env = activityEnvironment();
      let heartbeats = 0;
      env.on('heartbeat', () => heartbeats++);
      const result: McpCallToolResult = await env.run(activities.mcpCallTool, {
        server: 'fxstdio',
        tool: 'slow',
        arguments: { ms: 2500 },
      });
      expect(result).toEqual({ content: 'slept 2500 ms', isError: false });
      expect(heartbeats).toBeGreaterThanOrEqual(1);
    });

    it('stops a call when the activity is cancelled and keeps the session', async () => {
      const connectsBefore = pool.connectCount('fxstdio');
      const env = activityEnvironment();
      env.once('heartbeat', () => env.cancel());
      const error = await env
        .run(activities.mcpCallTool, { server: 'fxstdio', tool: 'slow', arguments: { ms: 30_000 } })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(CancelledFailure);
      expect(await call({ server: 'fxstdio', tool: 'echo', arguments: { text: 'still here' } })).toEqual({
        content: 'still here',
        isError: false,
      });
      expect(pool.connectCount('fxstdio')).toBe(connectsBefore);
    });
  });

  describe('failures for Temporal', () => {
    it('fails an unknown server without retries', async () => {
      const failure = await expectFailure(call({ server: 'nowhere', tool: 'x', arguments: {} }));
      expect(failure.type).toBe(FailureTypes.UnknownMcpServer);
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toContain('Unknown MCP server "nowhere"');
    });

    it('fails a server whose command is not there without retries: no attempt would find it', async () => {
      const failure = await expectFailure(call({ server: 'missing_binary', tool: 'x', arguments: {} }));
      expect(failure.type).toBe(FailureTypes.McpConnectionFailed);
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toBe(`MCP server "missing_binary": cannot start its command "${path.join(scratch, 'no-such-server')}": no such file (ENOENT)`);
    });

    it("says how a server that exits during start-up ended, and quotes its stderr", async () => {
      const failure = await expectFailure(list('exits_at_start'));
      expect(failure.type).toBe(FailureTypes.McpConnectionFailed);
      expect(failure.nonRetryable).toBe(false);
      expect(failure.message).toBe(
        'MCP server "exits_at_start": could not connect: the server process exited with code 3 before it answered initialize\n' +
          'server stderr:\nbad server config: boom',
      );
    });

    it('fails a stdio server that writes something other than JSON-RPC to stdout within seconds, quoting it', async () => {
      const started = Date.now();
      const failure = await expectFailure(list('not_json'));
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(failure.type).toBe(FailureTypes.McpConnectionFailed);
      expect(failure.message).toBe(
        'MCP server "not_json": could not connect: the server wrote something that is not JSON-RPC to stdout: ' +
          '"Weather server listening on stdio" (a stdio server may write only MCP messages there; its logs belong on stderr)',
      );
    });

    it('says a server that never answers initialize did not within its read timeout, and which setting to raise', async () => {
      const failure = await expectFailure(list('hangs'));
      expect(failure.type).toBe(FailureTypes.McpConnectionFailed);
      expect(failure.message).toBe(
        'MCP server "hangs": could not connect: the server did not answer initialize within 1 s; raise read_timeout_seconds in its config if it needs longer to start',
      );
    });

    it('names the address and the network error of an HTTP server nobody listens for', async () => {
      const failure = await expectFailure(list('http_down'));
      expect(failure.type).toBe(FailureTypes.McpConnectionFailed);
      expect(failure.message).toMatch(/^MCP server "http_down": could not connect: could not reach http:\/\/127\.0\.0\.1:(\d+)\/mcp: connect ECONNREFUSED 127\.0\.0\.1:\1$/);
    });
  });

  it('stops its stdio servers on close', async () => {
    const separate = new McpPool({ fx: fixtureOverStdio() });
    const pid = Number(await whoami(separate));
    expect(isAlive(pid)).toBe(true);
    await separate.close();
    expect(isAlive(pid)).toBe(false);
    expect(separate.isConnected('fx')).toBe(false);
  });
});

async function whoami(pool: McpPool): Promise<string> {
  const result = await pool.callTool('fx', 'whoami', {});
  const [first] = result.content;
  return first.type === 'text' ? first.text : '';
}
