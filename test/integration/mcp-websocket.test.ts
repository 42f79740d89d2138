/**
 * A websocket MCP server configured as a user writes it (YAML through the real config schema, so
 * with the schema's defaults such as `headers: {}`), served by the fixture in its own process: the
 * worker's pool and the MCP activities list and call its tools, and an agent on a real Temporal
 * worker calls one and answers with its result. A second fixture process wants a bearer token: the
 * server whose `headers` carry it connects, the one with a wrong token is refused with HTTP 401.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import YAML from 'yaml';
import { createMcpActivities } from '../../activities/mcp';
import type { ToolDefinition } from '../../src/llm/messages';
import { stopProcess } from '../../temporal/dev-server';
import type { AgentResult } from '../../workflows/agent';
import { projectRoot, providerConfig, startAgentEnv, type AgentEnv } from '../support/agent-env';
import { toolNamesOffered, toolResultsSeen } from '../support/requests';
import { scratchConversationStore } from '../support/stores';

const MODEL = `websocket-adder-${Date.now()}`;
const TOKEN = `fixture-token-${Date.now()}`;

const fixtures: ChildProcess[] = [];
let env: AgentEnv | undefined;

async function startWebSocketFixture(...args: string[]): Promise<number> {
  const script = path.join(projectRoot, 'test', 'fixtures', 'mcp-websocket-server.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  fixtures.push(child);
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /listening (\d+)/.exec(chunk.toString());
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`the websocket MCP fixture exited (${code})`)));
  });
  return Number(port);
}

function configYaml(port: number, guardedPort: number): string {
  return `
mcp:
  servers:
    sockets:
      transport: websocket
      url: ws://127.0.0.1:${port}
    guarded:
      transport: websocket
      url: ws://127.0.0.1:${guardedPort}
      headers:
        Authorization: "Bearer ${TOKEN}"
    guarded_wrong_token:
      transport: websocket
      url: ws://127.0.0.1:${guardedPort}
      headers:
        Authorization: "Bearer not-${TOKEN}"
agents:
  adder:
    instruction: Add numbers with your tools.
    servers: [sockets]
    provider: openai
    model: ${MODEL}
workflows:
  add: { type: agent, agent: adder }
`;
}

// Called directly rather than through Temporal, the activities need a context from the mock.
const activityEnvironment = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });

beforeAll(async () => {
  const [port, guardedPort] = await Promise.all([startWebSocketFixture(), startWebSocketFixture('--token', TOKEN)]);
  env = await startAgentEnv((provider) => ({ ...providerConfig(provider), ...YAML.parse(configYaml(port, guardedPort)) }));
});

afterAll(async () => {
  await env?.close();
  await Promise.all(fixtures.map((fixture) => stopProcess(fixture)));
});

test("the worker's MCP pool lists a configured websocket server's tools and calls one", async () => {
  const { config, pool } = env!.worker;
  expect(config.mcp.servers.sockets).toMatchObject({ transport: 'websocket', headers: {} });
  const activities = createMcpActivities(pool, scratchConversationStore());

  const listed = await activityEnvironment().run(activities.mcpListTools, { server: 'sockets' });
  const tools = listed as ToolDefinition[];
  expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['sockets-add', 'sockets-echo']));
  expect(tools.find((tool) => tool.name === 'sockets-add')?.description).toBe('Adds two numbers');

  const result = await activityEnvironment().run(activities.mcpCallTool, { server: 'sockets', tool: 'add', arguments: { a: 2, b: 3 } });
  expect(result).toEqual({ content: '5', isError: false });
});

test("an agent on a Temporal worker calls the websocket server's tool and answers with its result", async () => {
  env!.provider.script(MODEL, [
    { toolCalls: [{ name: 'sockets-add', arguments: { a: 20, b: 22 } }] },
    (request) => ({ text: `The sum is ${toolResultsSeen(request).map((r) => r.content).join(', ')}.` }),
  ]);
  const handle = await env!.start('add', 'What is 20 + 22?');
  const result = (await handle.result()) as AgentResult;

  expect(result).toMatchObject({ text: 'The sum is 42.', stopReason: 'final_answer' });
  expect(result.usage.toolCalls).toBe(1);
  const [first] = env!.provider.requests(MODEL);
  expect(toolNamesOffered(first)).toContain('sockets-add');
});

test('a websocket server that wants a bearer token gets it from the configured headers on the opening request', async () => {
  const { config, pool } = env!.worker;
  expect(config.mcp.servers.guarded.headers).toEqual({ Authorization: `Bearer ${TOKEN}` });
  const activities = createMcpActivities(pool, scratchConversationStore());

  const listed = await activityEnvironment().run(activities.mcpListTools, { server: 'guarded' });
  const tools = listed as ToolDefinition[];
  expect(tools.map((tool) => tool.name)).toContain('guarded-add');
  const result = await activityEnvironment().run(activities.mcpCallTool, { server: 'guarded', tool: 'add', arguments: { a: 1, b: 2 } });
  expect(result).toEqual({ content: '3', isError: false });
});

test('a wrong token fails the activity with a message naming the server and the HTTP status it refused with', async () => {
  const activities = createMcpActivities(env!.worker.pool, scratchConversationStore());
  const listing = activityEnvironment().run(activities.mcpListTools, { server: 'guarded_wrong_token' });
  await expect(listing).rejects.toMatchObject({
    type: 'McpConnectionFailed',
    // Refused credentials are not retried: the same token would be refused again.
    nonRetryable: true,
    message: expect.stringMatching(
      /^MCP server "guarded_wrong_token": could not connect: the server at ws:\/\/127\.0\.0\.1:\d+ refused the websocket connection: HTTP 401 Unauthorized$/,
    ),
  });
  expect(env!.worker.pool.isConnected('guarded_wrong_token')).toBe(false);
});
