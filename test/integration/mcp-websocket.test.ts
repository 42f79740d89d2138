/**
 * A websocket MCP server configured as a user writes it (YAML through the real config schema, so
 * with the schema's defaults such as `headers: {}`), served by the fixture in its own process: the
 * worker's pool and the MCP activities list and call its tools, and an agent on a real Temporal
 * worker calls one and answers with its result.
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

let fixture: ChildProcess | undefined;
let env: AgentEnv | undefined;

async function startWebSocketFixture(): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'test', 'fixtures', 'mcp-websocket-server.ts')], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  fixture = child;
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /listening (\d+)/.exec(chunk.toString());
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`the websocket MCP fixture exited (${code})`)));
  });
  return Number(port);
}

function configYaml(port: number): string {
  return `
mcp:
  servers:
    sockets:
      transport: websocket
      url: ws://127.0.0.1:${port}
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

beforeAll(async () => {
  const port = await startWebSocketFixture();
  env = await startAgentEnv((provider) => ({ ...providerConfig(provider), ...YAML.parse(configYaml(port)) }));
});

afterAll(async () => {
  await env?.close();
  if (fixture) await stopProcess(fixture);
});

test("the worker's MCP pool lists a configured websocket server's tools and calls one", async () => {
  const { config, pool } = env!.worker;
  expect(config.mcp.servers.sockets).toMatchObject({ transport: 'websocket', headers: {} });
  const activities = createMcpActivities(pool, scratchConversationStore());
  // Called directly rather than through Temporal, the activities need a context from the mock.
  const environment = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });

  const tools: ToolDefinition[] = await environment().run(activities.mcpListTools, { server: 'sockets' });
  expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['sockets-add', 'sockets-echo']));
  expect(tools.find((tool) => tool.name === 'sockets-add')?.description).toBe('Adds two numbers');

  const result = await environment().run(activities.mcpCallTool, { server: 'sockets', tool: 'add', arguments: { a: 2, b: 3 } });
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
