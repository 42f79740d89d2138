/**
 * The workflows' MCP server driven by the real MCP SDK client over both transports: stdio (the
 * server as its own process, `node --import tsx src/mcp-server/stdio.ts`, configured the way
 * Claude Desktop would: a YAML file named by MCP_AGENT_CONFIG plus Temporal variables) and
 * streamable HTTP at `/mcp` of the API. An in-process worker with scripted models runs the runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { stringify } from 'yaml';
import type { ConfigInput } from '../../src/config/schema';
import { eventually, projectRoot } from '../support/agent-env';
import { startApi, TEST_UI_URL, type RunningApi } from '../support/api-http';
import { startTestWorker, testConfig, uniqueTaskQueue, type TestWorker } from '../support/harness';
import { startScriptedProvider, type ScriptedProvider } from '../../src/testing/scripted-model';
import { testTemporalAddress } from '../support/temporal-env';

const cliEntry = path.join(projectRoot, 'bin', 'mcp-agent.js');

const TOOL_NAMES = [
  'workflows-list',
  'workflows-run',
  'workflows-get_status',
  'workflows-pause',
  'workflows-resume',
  'workflows-provide_input',
  'workflows-send_message',
  'workflows-close',
  'workflows-cancel',
];

function configFor(openaiBaseUrl: string): ConfigInput {
  return {
    default_provider: 'openai',
    openai: { api_key: 'test-key', base_url: openaiBaseUrl },
    agents: { calculator: { instruction: 'You add numbers.', model: 'mcp-calc' } },
    workflows: { calc: { type: 'agent', agent: 'calculator', description: 'Adds numbers' } },
  };
}

/** An ad-hoc agent with its own scripted model. */
function adhocAgent(model: string, extra: Record<string, unknown> = {}) {
  return { agent: { instruction: 'You help.', provider: 'openai', model, ...extra } };
}

let counter = 0;
const uniqueId = (prefix: string) => `${prefix}-${process.pid}-${Date.now()}-${++counter}`;

interface ToolAnswer {
  isError: boolean;
  /** The JSON text content, parsed. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- runs and error bodies alike
  structured: unknown;
}

async function callTool(client: Client, name: string, args: Record<string, unknown>): Promise<ToolAnswer> {
  const result = await client.callTool({ name, arguments: args });
  const [first] = result.content as { type: string; text: string }[];
  expect(first.type).toBe('text');
  return { isError: result.isError === true, body: JSON.parse(first.text), structured: result.structuredContent };
}

interface McpConnection {
  client: Client;
  close(): Promise<void>;
}


async function connectHttp(url: string, headers: Record<string, string> = {}): Promise<McpConnection> {
  const client = new Client({ name: 'mcp-server-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }));
  return { client, close: () => client.close() };
}

/**
 * The stdio server as the README's Claude Desktop snippet starts it: `node <absolute path>/bin/mcp-agent.js
 * serve` from a working directory outside the checkout, with a config file and a few variables.
 */
async function connectStdio(config: ConfigInput, taskQueue: string): Promise<McpConnection> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-agent-serve-'));
  const configFile = path.join(dir, 'mcp_agent.config.yaml');
  writeFileSync(configFile, stringify(config));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cliEntry, 'serve'],
    cwd: dir,
    env: {
      MCP_AGENT_CONFIG: configFile,
      TEMPORAL_ADDRESS: testTemporalAddress(),
      TEMPORAL_TASK_QUEUE: taskQueue,
      TEMPORAL_UI_URL: TEST_UI_URL,
    },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'mcp-server-test', version: '1.0.0' });
  try {
    await client.connect(transport);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`the stdio server did not start: ${String(error)}\n--- its stderr ---\n${stderr}`, { cause: error });
  }
  return {
    client,
    async close() {
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('MCP server', () => {
  let provider: ScriptedProvider;
  let worker: TestWorker;
  let running: RunningApi;
  let configInput: ConfigInput;
  let taskQueue: string;

  beforeAll(async () => {
    provider = await startScriptedProvider();
    configInput = configFor(provider.openaiBaseUrl);
    taskQueue = uniqueTaskQueue('mcp-server');
    const config = testConfig(configInput, taskQueue);
    worker = await startTestWorker(config);
    running = await startApi(config);
  });

  afterAll(async () => {
    await running?.close();
    await worker?.stop();
    await provider?.close();
  });

  const transports: [string, () => Promise<McpConnection>][] = [
    ['stdio', () => connectStdio(configInput, taskQueue)],
    ['streamable HTTP', () => connectHttp(running.api.url)],
  ];

  describe.each(transports)('over %s', (_transport, connect) => {
    let connection: McpConnection;
    let client: Client;

    beforeAll(async () => {
      connection = await connect();
      client = connection.client;
    });

    afterAll(async () => {
      await connection?.close();
    });

    /** Starts an ad-hoc run and pauses it; its first reply asks for a tool that does not exist, so it stops at turn 2. */
    async function startPausedRun(model: string): Promise<string> {
      provider.script(model, [{ toolCalls: [{ name: 'no_such_tool', arguments: {} }] }, { text: 'finished' }]);
      const started = await callTool(client, 'workflows-run', { name: 'agent', input: 'go', spec: adhocAgent(model) });
      expect(started.isError).toBe(false);
      const runId: string = started.body.runId;
      const paused = await callTool(client, 'workflows-pause', { run_id: runId });
      expect(paused).toMatchObject({ isError: false, body: { runId } });
      await eventually(async () => {
        await provider.waitForRequest(model, 1);
        return (await callTool(client, 'workflows-get_status', { run_id: runId })).body.status === 'paused';
      });
      return runId;
    }

    it('lists the tools with their input schemas', async () => {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual([...TOOL_NAMES].sort());
      const byName = new Map(tools.map((tool) => [tool.name, tool]));

      const run = byName.get('workflows-run')!;
      expect(Object.keys(run.inputSchema.properties ?? {}).sort()).toEqual(['id', 'input', 'name', 'spec', 'wait_seconds']);
      expect(run.inputSchema.required).toEqual(expect.arrayContaining(['name', 'input']));
      expect(run.outputSchema?.properties).toHaveProperty('status');

      const provideInput = byName.get('workflows-provide_input')!;
      expect(Object.keys(provideInput.inputSchema.properties ?? {}).sort()).toEqual(['request_id', 'run_id', 'value']);
      // A generic client sees that an approval is an object with a boolean `approved`.
      const value = (provideInput.inputSchema.properties as Record<string, { anyOf?: Record<string, unknown>[] }>).value;
      expect(value.anyOf).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ type: 'object', properties: expect.objectContaining({ approved: { type: 'boolean' } }), required: ['approved'] }),
          expect.objectContaining({ type: 'string' }),
        ]),
      );
      for (const name of ['workflows-get_status', 'workflows-pause', 'workflows-resume', 'workflows-cancel']) {
        expect(byName.get(name)!.inputSchema).toMatchObject({ properties: { run_id: { type: 'string' } }, required: ['run_id'] });
      }
      expect(byName.get('workflows-list')!.annotations?.readOnlyHint).toBe(true);
    });

    it('lists the config workflows', async () => {
      const listed = await callTool(client, 'workflows-list', {});
      expect(listed.isError).toBe(false);
      expect(listed.body).toEqual({ workflows: [{ name: 'calc', type: 'agent', description: 'Adds numbers' }] });
      expect(listed.structured).toEqual(listed.body);
    });

    it('runs a configured agent to completion within wait_seconds, and reads it back', async () => {
      provider.script('mcp-calc', [{ text: 'The sum is 5.', usage: { input: 12, output: 4 } }]);
      const id = uniqueId('mcp-calc');
      const ran = await callTool(client, 'workflows-run', { name: 'calc', input: 'add 2 and 3', id, wait_seconds: 30 });
      expect(ran.isError).toBe(false);
      expect(ran.body).toMatchObject({
        runId: id,
        workflow: 'calc',
        pattern: 'agent',
        status: 'completed',
        input: 'add 2 and 3',
        result: { text: 'The sum is 5.' },
        usage: { inputTokens: 12, outputTokens: 4, llmCalls: 1, toolCalls: 0 },
        links: { self: `/runs/${id}`, ui: `${TEST_UI_URL}/namespaces/default/workflows/${id}` },
      });
      expect(ran.structured).toEqual(ran.body);

      const status = await callTool(client, 'workflows-get_status', { run_id: id });
      expect(status).toEqual({ isError: false, body: ran.body, structured: ran.body });
    });

    it('waits no longer than needed: a conversation until idle, a run until it asks; send_message with its turn\'s own answer', async () => {
      const model = uniqueId('mcp-conv');
      provider.script(model, [{ text: 'Hello.' }, { text: 'answer to A', delayMs: 1500 }, { text: 'answer to B' }]);
      let started = Date.now();
      const ran = await callTool(client, 'workflows-run', { name: 'agent', input: 'hi', spec: { conversation: true, ...adhocAgent(model) }, wait_seconds: 20 });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(ran.body).toMatchObject({ status: 'idle', result: { text: 'Hello.' }, conversation: { finishedTurns: 1 } });
      const runId: string = ran.body.runId;

      const waited = callTool(client, 'workflows-send_message', { run_id: runId, input: 'A', wait_seconds: 20 });
      await eventually(async () => (await callTool(client, 'workflows-get_status', { run_id: runId })).body.conversation.turn === 2);
      expect((await callTool(client, 'workflows-send_message', { run_id: runId, input: 'B' })).body.turn).toBe(3);
      const a = await waited;
      expect(a.isError).toBe(false);
      expect(a.body).toMatchObject({ turn: 2, answer: { turn: 2, outcome: 'answered', text: 'answer to A' } });
      expect(a.structured).toEqual(a.body);
      await callTool(client, 'workflows-close', { run_id: runId });

      const asking = uniqueId('mcp-asks');
      provider.script(asking, [{ toolCalls: [{ name: 'human_input', arguments: { prompt: 'Which city?' } }] }]);
      started = Date.now();
      const asked = await callTool(client, 'workflows-run', { name: 'agent', input: 'plan', spec: adhocAgent(asking, { human_input: true }), wait_seconds: 20 });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(asked.body).toMatchObject({ status: 'waiting_for_input', pendingInput: { kind: 'input', prompt: 'Which city?' } });
      await callTool(client, 'workflows-cancel', { run_id: asked.body.runId });
    });

    it('send_message with a message_id is the same message sent again, and refused with a different input', async () => {
      const model = uniqueId('mcp-key');
      provider.script(model, [{ text: 'Hello.' }, { text: 'Once.' }]);
      const ran = await callTool(client, 'workflows-run', { name: 'agent', input: 'hi', spec: { conversation: true, ...adhocAgent(model) }, wait_seconds: 20 });
      const runId: string = ran.body.runId;
      const first = await callTool(client, 'workflows-send_message', { run_id: runId, input: 'A', message_id: 'm1' });
      const again = await callTool(client, 'workflows-send_message', { run_id: runId, input: 'A', message_id: 'm1' });
      expect([first.body.turn, again.body.turn]).toEqual([2, 2]);
      const reused = await callTool(client, 'workflows-send_message', { run_id: runId, input: 'B', message_id: 'm1' });
      expect(reused).toMatchObject({ isError: true, body: { error: { code: 'idempotency_key_reused' } } });
      await callTool(client, 'workflows-close', { run_id: runId });
    });

    it('pauses and resumes a run', async () => {
      const runId = await startPausedRun(uniqueId('mcp-pause'));
      const resumed = await callTool(client, 'workflows-resume', { run_id: runId });
      expect(resumed).toMatchObject({ isError: false, body: { runId } });
      const completed = await eventually(async () => {
        const status = await callTool(client, 'workflows-get_status', { run_id: runId });
        return status.body.status === 'completed' && status.body;
      });
      expect(completed).toMatchObject({ result: { text: 'finished' }, usage: { llmCalls: 2 } });
    });

    it('delivers input to a run waiting for it, refusing a wrong request id', async () => {
      const model = uniqueId('mcp-human');
      provider.script(model, [
        { toolCalls: [{ name: 'human_input', arguments: { prompt: 'Which numbers?' } }] },
        { text: 'You said 2 and 3.' },
      ]);
      const started = await callTool(client, 'workflows-run', {
        name: 'agent',
        input: 'add numbers I give you',
        spec: adhocAgent(model, { human_input: true }),
      });
      const runId: string = started.body.runId;
      const waiting = await eventually(async () => {
        const status = await callTool(client, 'workflows-get_status', { run_id: runId });
        return status.body.status === 'waiting_for_input' && status.body;
      });
      expect(waiting.pendingInput).toMatchObject({ kind: 'input', prompt: 'Which numbers?' });

      const wrong = await callTool(client, 'workflows-provide_input', { run_id: runId, value: '2 and 3', request_id: 'not-a-request' });
      expect(wrong.isError).toBe(true);
      expect(wrong.body.error.code).toBe('wrong_request_id');

      const accepted = await callTool(client, 'workflows-provide_input', {
        run_id: runId,
        value: '2 and 3',
        request_id: waiting.pendingInput.requestId,
      });
      expect(accepted.isError).toBe(false);
      expect(accepted.body.pendingInput).toBeUndefined();

      const completed = await eventually(async () => {
        const status = await callTool(client, 'workflows-get_status', { run_id: runId });
        return status.body.status === 'completed' && status.body;
      });
      expect(completed.result).toMatchObject({ text: 'You said 2 and 3.' });
      expect(JSON.stringify((await provider.waitForRequest(model, 2)).body.messages)).toContain('2 and 3');
    });

    it('cancels a run', async () => {
      const runId = await startPausedRun(uniqueId('mcp-cancel'));
      const cancelled = await callTool(client, 'workflows-cancel', { run_id: runId, reason: 'asked by the assistant' });
      expect(cancelled).toMatchObject({ isError: false, body: { runId } });
      const closed = await eventually(async () => {
        const status = await callTool(client, 'workflows-get_status', { run_id: runId });
        return status.body.status === 'cancelled' && status.body;
      });
      expect(closed.error.code).toBe('cancelled');
      const history = await worker.client.workflow.getHandle(runId).fetchHistory();
      const requested = history.events!.find((e) => e.workflowExecutionCancelRequestedEventAttributes);
      expect(requested?.workflowExecutionCancelRequestedEventAttributes?.cause).toBe('asked by the assistant');
    });

    it('answers with the API error codes and messages as tool errors', async () => {
      for (const tool of ['workflows-get_status', 'workflows-pause', 'workflows-resume', 'workflows-cancel']) {
        const unknown = await callTool(client, tool, { run_id: 'no-such-run' });
        expect(unknown).toEqual({
          isError: true,
          body: { error: { code: 'run_not_found', message: 'No run has the id "no-such-run".' } },
          structured: undefined,
        });
      }
      const unknownInput = await callTool(client, 'workflows-provide_input', { run_id: 'no-such-run', value: 'hi' });
      expect(unknownInput.body.error.code).toBe('run_not_found');

      const noWorkflow = await callTool(client, 'workflows-run', { name: 'no-such-workflow', input: 'hi' });
      expect(noWorkflow.isError).toBe(true);
      expect(noWorkflow.body.error.code).toBe('workflow_not_found');

      const badSpec = await callTool(client, 'workflows-run', { name: 'agent', input: 'hi', spec: { agent: { servers: 'none' } } });
      expect(badSpec.isError).toBe(true);
      expect(badSpec.body.error.code).toBe('invalid_spec');

      provider.script('mcp-calc', [{ text: 'done' }]);
      const done = await callTool(client, 'workflows-run', { name: 'calc', input: 'quick', wait_seconds: 30 });
      expect(done.body.status).toBe('completed');
      const closed = await callTool(client, 'workflows-pause', { run_id: done.body.runId });
      expect(closed.body.error).toEqual({ code: 'run_closed', message: `Run "${done.body.runId}" has already completed.` });
    });

    it('refuses input when nothing is pending', async () => {
      const runId = await startPausedRun(uniqueId('mcp-nothing'));
      const nothing = await callTool(client, 'workflows-provide_input', { run_id: runId, value: 'unasked' });
      expect(nothing.isError).toBe(true);
      expect(nothing.body.error.code).toBe('nothing_pending');
      await callTool(client, 'workflows-cancel', { run_id: runId });
    });

    it("refuses arguments that do not match a tool's input schema with the API's error body, for every tool", async () => {
      const invalid = (tool: string, problems: [string, string][]) => ({
        isError: true,
        body: {
          error: {
            code: 'invalid_request',
            message: `The arguments of ${tool} are not valid: ${problems.map(([path, message]) => `${path}: ${message}`).join('; ')}.`,
            details: problems.map(([path, message]) => ({ path, message })),
          },
        },
        structured: undefined,
      });
      const cases: [string, Record<string, unknown>, [string, string][]][] = [
        ['workflows-provide_input', { run_id: 'no-such-run' }, [['value', 'required']]],
        ['workflows-run', { name: 'calc' }, [['input', 'required']]],
        ['workflows-run', { name: 'calc', input: 'hi', wait_seconds: -1 }, [['wait_seconds', 'too small: expected number to be >=0']]],
        ['workflows-send_message', { run_id: 'no-such-run', input: null }, [['input', 'must be text or JSON other than null']]],
        ['workflows-list', { verbose: true }, [['verbose', 'unknown key']]],
        ...['workflows-get_status', 'workflows-pause', 'workflows-resume', 'workflows-close', 'workflows-cancel'].map(
          (tool): [string, Record<string, unknown>, [string, string][]] => [tool, { runId: 'x' }, [['run_id', 'required'], ['runId', 'unknown key']]],
        ),
      ];
      for (const [tool, args, problems] of cases) {
        expect({ tool, args, answer: await callTool(client, tool, args) }).toEqual({ tool, args, answer: invalid(tool, problems) });
      }
      const unknownTool = await callTool(client, 'workflows-nope', {});
      expect(unknownTool).toMatchObject({ isError: true, body: { error: { code: 'tool_not_found', message: expect.stringMatching(/^There is no tool "workflows-nope"; the tools are workflows-list, /) } } });
    });
  });

  describe('over streamable HTTP only', () => {
    it('sends progress while it waits for a slow run, so clients keep waiting', async () => {
      const model = uniqueId('mcp-slow');
      provider.script(model, [{ text: 'slowly done', delayMs: 6000 }]);
      const connection = await connectHttp(running.api.url);
      try {
        const progress: Progress[] = [];
        const result = await connection.client.callTool(
          { name: 'workflows-run', arguments: { name: 'agent', input: 'take your time', spec: adhocAgent(model), wait_seconds: 30 } },
          undefined,
          { onprogress: (update) => progress.push(update), resetTimeoutOnProgress: true },
        );
        expect(result.structuredContent).toMatchObject({ status: 'completed', result: { text: 'slowly done' } });
        expect(progress.length).toBeGreaterThan(0);
        expect(progress[0].message).toContain('waiting for run');
      } finally {
        await connection.close();
      }
    });

    it('answers GET and DELETE with 405, as a stateless server', async () => {
      for (const method of ['GET', 'DELETE']) {
        const reply = await running.api.request(method, '/mcp', { headers: { accept: 'text/event-stream' } });
        expect(reply.status).toBe(405);
        expect(reply.headers.get('allow')).toBe('POST');
      }
    });

    it('answers a body that is not JSON with JSON-RPC error -32700', async () => {
      const reply = await running.api.request('POST', '/mcp', {
        body: '{"jsonrpc": "2.0", "method": ',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      });
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error: the body is not JSON.' }, id: null });
    });
  });
});

describe('MCP server over HTTP with api.tokens', () => {
  let running: RunningApi;

  beforeAll(async () => {
    running = await startApi(testConfig({ api: { tokens: ['mcp-secret'] } }, uniqueTaskQueue('mcp-auth')));
  });

  afterAll(async () => {
    await running?.close();
  });

  it('needs a configured bearer token, like every API route', async () => {
    await expect(connectHttp(running.api.url)).rejects.toThrow(/unauthorized/);
    await expect(connectHttp(running.api.url, { authorization: 'Bearer wrong' })).rejects.toThrow(/unauthorized/);

    const connection = await connectHttp(running.api.url, { authorization: 'Bearer mcp-secret' });
    try {
      expect((await connection.client.listTools()).tools).toHaveLength(TOOL_NAMES.length);
    } finally {
      await connection.close();
    }
  });
});
