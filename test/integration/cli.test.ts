import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { stringify } from 'yaml';
import { connectClient, type TemporalClient } from '../../client/connection';
import type { Run } from '../../client/run-view';
import { buildApp } from '../../src/api/app';
import type { ConfigInput } from '../../src/config/schema';
import { freePort, stopProcess } from '../../temporal/dev-server';
import { eventually, mcpServers, projectRoot, providerConfig, startAgentEnv, type AgentEnv } from '../support/agent-env';
import { listenForTests, type ApiHttp } from '../support/api-http';
import { toolResultsSeen } from '../support/requests';
import { testTemporalAddress } from '../support/temporal-env';

/**
 * Every command of `mcp-agent` as a user runs it: `node bin/mcp-agent.js ...` in a subprocess,
 * against the HTTP API on a free port and an in-process worker (scripted models, real MCP servers),
 * checking what it prints, on which stream, and its exit code.
 */

const BIN = path.join(projectRoot, 'bin', 'mcp-agent.js');
const TOKEN = 'cli-test-token';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface CliProcess {
  child: ChildProcess;
  /** Everything printed to stdout so far. */
  stdout(): string;
  done: Promise<CliResult>;
}

/** A CLI process reading piped stdin, as a script drives `chat`. */
interface ChatProcess extends CliProcess {
  /** Writes lines to its stdin. */
  type(...lines: string[]): void;
  /** Closes its stdin (Ctrl-D). */
  end(): void;
}

let env: AgentEnv;
let temporal: TemporalClient;
let app: FastifyInstance;
let api: ApiHttp;

function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, MCP_AGENT_API_URL: api.url, MCP_AGENT_API_TOKEN: TOKEN, ...extra };
}

function startCli(args: string[], environment: NodeJS.ProcessEnv = cliEnv(), stdin: 'ignore' | 'pipe' = 'ignore'): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], { env: environment, stdio: [stdin, 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, stdout: () => stdout, done };
}

const cli = (...args: string[]) => startCli(args).done;

function startChat(...args: string[]): ChatProcess {
  const started = startCli(['chat', ...args], cliEnv(), 'pipe');
  return {
    ...started,
    type: (...lines) => started.child.stdin!.write(lines.map((line) => `${line}\n`).join('')),
    end: () => started.child.stdin!.end(),
  };
}

/** Lines that are run events (they start with a clock time), without the time. */
const eventLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => /^\d\d:\d\d:\d\d {2}\w/.test(line))
    .map((line) => line.slice(10));

/** Everything else `chat` printed: what it says itself, and the answers. */
const chatLines = (stdout: string) =>
  stdout
    .trimEnd()
    .split('\n')
    .filter((line) => !/^\d\d:\d\d:\d\d {2}\w/.test(line));

/** The JSON a `--json` command printed, checked to be all it printed. */
function json(result: CliResult) {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}

let counter = 0;
const unique = (label: string) => `${label}-${process.pid}-${Date.now()}-${++counter}`;

function adhocSpec(model: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ agent: { instruction: 'You help.', provider: 'openai', model, ...extra } });
}

/** The API itself, for what a test checks beside the CLI. */
const apiGet = async (route: string) => (await api.get(route, { authorization: `Bearer ${TOKEN}` })).body;
const apiRun = (runId: string): Promise<Run> => apiGet(`/runs/${encodeURIComponent(runId)}`);
const apiPost = async (route: string, json?: unknown) => (await api.request('POST', route, { json, headers: { authorization: `Bearer ${TOKEN}` } })).body;

function configFor(fixtureUrl: string, openaiBaseUrl: string): ConfigInput {
  return {
    default_provider: 'openai',
    openai: { api_key: 'test-key', base_url: openaiBaseUrl },
    mcp: { servers: mcpServers(fixtureUrl) },
    agents: {
      calculator: { instruction: 'You add numbers.', model: 'cli-calc', servers: ['everything'] },
      talker: { instruction: 'You talk and add numbers.', model: 'cli-talk', servers: ['everything'] },
      swarmer: { instruction: 'You answer as a swarm.', model: 'cli-swarm' },
    },
    workflows: {
      calc: { type: 'agent', agent: 'calculator', description: 'Adds numbers' },
      talk: { type: 'agent', agent: 'talker', conversation: true, description: 'Talks' },
      // A swarm's result has a `turns` (its LLM calls) even when it is no conversation.
      crowd: { type: 'swarm', agents: ['swarmer'], description: 'Swarms' },
    },
    api: { tokens: [TOKEN] },
  };
}

beforeAll(async () => {
  env = await startAgentEnv((provider, fixtureUrl) => ({
    ...providerConfig(provider),
    ...configFor(fixtureUrl, provider.openaiBaseUrl),
  }));
  temporal = connectClient(env.worker.config);
  app = await buildApp({ config: env.worker.config, client: temporal.client, storage: temporal.storage, uiUrl: 'http://ui.test', logger: pino({ level: 'silent' }) });
  api = await listenForTests(app);
});

afterAll(async () => {
  await app?.close();
  await temporal?.connection.close();
  await env?.close();
});

/** Starts an ad-hoc run whose first reply calls a tool that does not exist, and pauses it before its second turn. */
async function pausedRun(model: string): Promise<string> {
  // The first reply comes late enough for the pause (another process) to arrive before the second turn.
  env.provider.script(model, [{ toolCalls: [{ name: 'no_such_tool', arguments: {} }], delayMs: 3000 }, { text: 'finished' }]);
  const started = json(await cli('run', 'agent', 'go', '--spec', adhocSpec(model), '--json'));
  const paused = await cli('pause', started.runId);
  expect(paused).toMatchObject({ code: 0, stderr: '' });
  expect(paused.stdout).toContain('Pause requested: the run stops at its next step boundary.');
  await eventually(async () => (await apiRun(started.runId)).status === 'paused');
  return started.runId;
}

describe('reading', () => {
  it('lists the workflows as columns, or as the API JSON', async () => {
    const readable = await cli('workflows');
    expect(readable).toMatchObject({ code: 0, stderr: '' });
    expect(readable.stdout).toBe('NAME   TYPE   DESCRIPTION\ncalc   agent  Adds numbers\ntalk   agent  Talks\ncrowd  swarm  Swarms\n');
    expect(json(await cli('workflows', '--json'))).toEqual({
      workflows: [
        { name: 'calc', type: 'agent', description: 'Adds numbers' },
        { name: 'talk', type: 'agent', description: 'Talks' },
        { name: 'crowd', type: 'swarm', description: 'Swarms' },
      ],
    });
  });

  it('prints help with the exit codes, and the version', async () => {
    const help = await cli('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: mcp-agent <command>');
    expect(help.stdout).toMatch(/Exit codes:\n {2}0 .*\n {2}1 .*\n {2}2 .*\n {2}3 .*\n[\s\S]* {2}4 /);
    expect((await cli('--version')).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe('MCP servers', () => {
  it("lists the servers, a server's tools, resources and prompts, as columns or the API JSON", async () => {
    const servers = await cli('servers');
    expect(servers).toMatchObject({ code: 0, stderr: '' });
    expect(servers.stdout).toBe('NAME        TRANSPORT        DESCRIPTION\neverything  stdio\nfixture     streamable_http\nlocal       stdio\n');
    expect(json(await cli('servers', '--json')).servers.map((s: { name: string }) => s.name)).toEqual(['everything', 'fixture', 'local']);

    const tools = await cli('tools', 'fixture');
    expect(tools.code).toBe(0);
    expect(tools.stdout).toMatch(/^NAME +DESCRIPTION\nadd +Adds two numbers\necho +Returns its text\n/);

    const resources = await cli('resources', 'fixture');
    expect(resources.code).toBe(0);
    expect(resources.stdout).toContain('fixture://notes/readme      Fixture notes  text/markdown  A short markdown note');
    expect(resources.stdout).toContain('URI TEMPLATE');
    expect(resources.stdout).toContain('fixture://echo/{text}');

    const prompts = await cli('prompts', 'everything');
    expect(prompts.code).toBe(0);
    expect(prompts.stdout).toMatch(/\nargs-prompt +city, \[state\] +A prompt with two arguments, one required and one optional\n/);
  });

  it('reads a resource as text, a binary one as a line (its base64 with --json), and gets a prompt', async () => {
    const readme = await cli('resource', 'fixture', 'fixture://notes/readme');
    expect(readme).toEqual({ code: 0, stdout: '# Fixture notes\n\nThe secret word is pomegranate.\n', stderr: '' });
    const pixel = await cli('resource', 'fixture', 'fixture://images/pixel.png');
    expect(pixel.stdout).toBe('[binary content, image/png, 70 bytes: --json prints its base64]\n');
    expect(json(await cli('resource', 'fixture', 'fixture://images/pixel.png', '--json')).contents[0]).toMatchObject({ mimeType: 'image/png', blob: expect.stringMatching(/^iVBOR/) });
    // server-everything sends this text as a text/plain blob: it is shown as the text it is.
    const textBlob = await cli('resource', 'everything', 'demo://resource/dynamic/blob/7');
    expect(textBlob).toMatchObject({ code: 0, stderr: '' });
    expect(textBlob.stdout).toMatch(/^Resource 7: This is a base64 blob created at [^\n]+\n$/);
    const prompt = await cli('prompt', 'everything', 'args-prompt', '{"city": "Paris"}');
    expect(prompt).toEqual({ code: 0, stdout: "user: What's weather in Paris?\n", stderr: '' });
  });

  it('exits 3 with the API message for an unknown server, resource or prompt, or missing arguments', async () => {
    const server = await cli('tools', 'nope');
    expect(server).toMatchObject({ code: 3, stdout: '' });
    expect(server.stderr).toBe('mcp-agent: Unknown MCP server "nope". Configured: everything, fixture, local. (HTTP 404 server_not_found)\n');
    const resource = await cli('resource', 'fixture', 'fixture://nothing');
    expect(resource.code).toBe(3);
    expect(resource.stderr).toContain('(HTTP 404 resource_not_found)');
    const missing = await cli('prompt', 'fixture', 'review');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toBe('mcp-agent: Prompt "review" of MCP server "fixture" needs the argument topic. (HTTP 400 invalid_prompt_arguments)\n');
    const unknown = await cli('prompt', 'everything', 'args-prompt', '{"city": "Paris", "bogus": "x"}');
    expect(unknown).toEqual({
      code: 3,
      stdout: '',
      stderr: 'mcp-agent: Prompt "args-prompt" of MCP server "everything" has no argument bogus: its arguments are city (required) and state. (HTTP 400 invalid_prompt_arguments)\n',
    });
  });
});

describe('running', () => {
  it('runs a config workflow with --wait: one line per event, then the result, exit 0', async () => {
    env.provider.script('cli-calc', [
      { toolCalls: [{ name: 'everything-get-sum', arguments: { a: 2, b: 3 } }], usage: { input: 20, output: 6 } },
      { text: 'The sum is 5.', usage: { input: 30, output: 4 } },
    ]);
    const id = unique('calc');
    const result = await cli('run', 'calc', 'add 2 and 3', '--id', id, '--wait');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(`Started ${id}; following its events (Ctrl-C stops following, not the run).`);
    const events = lines.filter((line) => /^\d\d:\d\d:\d\d {2}\w/.test(line)).map((line) => line.slice(10));
    expect(events).toEqual([
      'run_started      calc (agent) · input "add 2 and 3"',
      'llm_started      turn 1 · openai/cli-calc',
      'llm_finished     turn 1 · openai/cli-calc · 20 in / 6 out tokens · calls everything-get-sum',
      'tool_started     everything-get-sum · {"a":2,"b":3}',
      'tool_finished    everything-get-sum · → The sum of 2 and 3 is 5.',
      'llm_started      turn 2 · openai/cli-calc',
      'llm_finished     turn 2 · openai/cli-calc · 30 in / 4 out tokens · "The sum is 5."',
      'completed        "The sum is 5." · 50 input + 10 output tokens · 2 LLM calls · 1 tool call',
    ]);
    expect(result.stdout).toContain(`\nrun       ${id}\nworkflow  calc (agent)\nstatus    completed\n`);
    expect(result.stdout).toMatch(/\nresult {4}The sum is 5\.\n$/);
  });

  it('run --wait on a conversation returns once it has answered and is idle, exit 0, leaving it open', async () => {
    const model = unique('m-conv');
    env.provider.script(model, [{ text: 'Hello, how can I help?' }, { text: 'Still here.' }]);
    const spec = (extra: Record<string, unknown> = {}) =>
      JSON.stringify({ conversation: true, agent: { instruction: 'You help.', provider: 'openai', model }, ...extra });
    /** The CLI's result, or exit code null (killed) if it is still following after 30 s. */
    const bounded = async (...args: string[]) => {
      const started = startCli(args);
      const timer = setTimeout(() => started.child.kill(), 30_000);
      return started.done.finally(() => clearTimeout(timer));
    };

    const id = unique('conv');
    const result = await bounded('run', 'agent', 'hi', '--spec', spec(), '--id', id, '--wait');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(eventLines(result.stdout)).toContain('turn_finished    turn 1 · answered · "Hello, how can I help?"');
    expect(result.stdout).toContain('\nstatus    idle\n');
    expect(result.stdout).toMatch(/\nresult {4}Hello, how can I help\?\n$/);

    const jsonId = unique('conv-json');
    const quiet = await bounded('run', 'agent', 'again', '--spec', spec(), '--id', jsonId, '--wait', '--json');
    expect(quiet.code).toBe(0);
    expect(json(quiet)).toMatchObject({ runId: jsonId, status: 'idle', result: { text: 'Still here.' } });

    // A first turn that fails leaves the conversation idle, without an answer: exit 1.
    const failedModel = unique('m-conv-fail');
    env.provider.script(failedModel, [{ status: 400, message: 'bad request' }]);
    const failedId = unique('conv-fail');
    const failed = await bounded('run', 'agent', 'hi', '--spec', JSON.stringify({ conversation: true, agent: { instruction: 'You help.', provider: 'openai', model: failedModel } }), '--id', failedId, '--wait', '--json');
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ runId: failedId, status: 'idle', conversation: { lastTurn: { turn: 1, outcome: 'failed' } } });

    for (const runId of [id, jsonId, failedId]) {
      await apiPost(`/runs/${runId}/close`);
      expect(await apiGet(`/runs/${runId}/result?wait=30`)).toMatchObject({ status: expect.any(String) });
    }
  });

  it('starts an ad-hoc run and answers --json with the Run; status shows it as the API does', async () => {
    const model = unique('m-adhoc');
    env.provider.script(model, [{ text: 'Hello back.' }]);
    const id = unique('adhoc');
    const started = json(await cli('run', 'agent', '{"greeting": "hello"}', '--spec', adhocSpec(model), '--id', id, '--json'));
    expect(started).toMatchObject({ runId: id, workflow: 'agent', pattern: 'agent', input: { greeting: 'hello' } });

    await apiGet(`/runs/${id}/result?wait=30`);
    expect(json(await cli('status', id, '--json'))).toEqual(await apiRun(id));
    const readable = await cli('status', id);
    expect(readable.code).toBe(0);
    expect(readable.stdout).toMatch(/^run {7}\S+\nworkflow {2}agent\nstatus {4}completed\ninput {5}\{"greeting":"hello"\}\n/);
    expect(readable.stdout).toContain('usage     10 input + 5 output tokens · 1 LLM call · 0 tool calls\n');
    expect(readable.stdout).toContain('result    Hello back.\n');
  });

  it('run with no input starts a conversation idle, with no message, and --wait returns at once; another workflow exits 2 saying it needs one, and starts nothing', async () => {
    const id = unique('idle');
    expect(json(await cli('run', 'talk', '--id', id, '--json'))).toMatchObject({ runId: id, workflow: 'talk', input: null });
    await eventually(async () => (await apiRun(id)).status === 'idle');
    expect((await apiGet(`/runs/${id}/messages`)).messages).toEqual([]);
    await apiPost(`/runs/${id}/close`);

    // --wait has no turn to wait for: it prints the Run at once, leaving the conversation idle.
    const waited = unique('idle-wait');
    expect(json(await cli('run', 'talk', '--id', waited, '--wait', '--json'))).toMatchObject({ runId: waited, workflow: 'talk', input: null });
    const readable = unique('idle-wait');
    const shown = await cli('run', 'talk', '--id', readable, '--wait');
    expect(shown).toMatchObject({ code: 0, stderr: '' });
    expect(shown.stdout).toContain(`\n${readable} waits for its first message: mcp-agent chat ${readable}, or POST /runs/${readable}/messages.\n`);
    for (const runId of [waited, readable]) {
      await eventually(async () => (await apiRun(runId)).status === 'idle');
      await apiPost(`/runs/${runId}/close`);
    }

    // An explicit null is an input the user gave: the API's answer, not a missing one.
    const explicit = await cli('run', 'calc', 'null');
    expect(explicit.code).toBe(3);
    expect(explicit.stderr).toContain('(HTTP 400 invalid_spec)');
    expect(explicit.stderr).not.toContain('missing input');

    const single = unique('no-input');
    expect(await cli('run', 'calc', '--id', single)).toEqual({
      code: 2,
      stdout: '',
      stderr: 'mcp-agent: run: missing input: calc is not a conversation, so it needs one (usage: run <name> [input])\nmcp-agent: see "mcp-agent --help"\n',
    });
    expect((await api.get(`/runs/${single}`, { authorization: `Bearer ${TOKEN}` })).status).toBe(404);
  });

  it('reads a spec from a file with --spec @file', async () => {
    const model = unique('m-file');
    env.provider.script(model, [{ text: 'From a file.' }]);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'mcp-agent-cli-')), 'spec.json');
    writeFileSync(file, adhocSpec(model));
    const done = json(await cli('run', 'agent', 'go', '--spec', `@${file}`, '--wait', '--json'));
    expect(done).toMatchObject({ status: 'completed', result: { text: 'From a file.' } });
  });

  it('exits 1 when a waited-for run fails, showing why', async () => {
    const model = unique('m-fail');
    env.provider.script(model, [{ status: 400, message: `The model ${model} does not exist.` }]);
    const result = await cli('run', 'agent', 'hi', '--spec', adhocSpec(model), '--wait');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/\d\d:\d\d:\d\d {2}failed {11}provider_request_rejected: .*does not exist/);
    expect(result.stdout).toMatch(/\nerror {5}provider_request_rejected: .*does not exist\.\n/);
  });

  it('lists runs with filters, as columns or JSON', async () => {
    env.provider.script('cli-calc', [{ text: 'listed' }]);
    const id = unique('listed');
    json(await cli('run', 'calc', 'list me', '--id', id, '--wait', '--json'));
    // Visibility catches up with a run's close a moment later.
    const listed = await eventually(async () => {
      const runs: Run[] = json(await cli('list', '--status', 'completed', '--workflow', 'calc', '--json')).runs;
      return runs.some((run) => run.runId === id) && runs;
    });
    expect(listed.every((run) => run.status === 'completed' && run.workflow === 'calc')).toBe(true);

    const table = await cli('list', '--workflow', 'calc', '--limit', '50');
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^RUN ID +WORKFLOW +STATUS +STARTED +INPUT$/);
    const row = rows.find((line) => line.startsWith(`${id} `));
    expect(row).toMatch(new RegExp(`^${id} +calc +completed +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +list me$`));
    expect(header.indexOf('STATUS')).toBe(row!.indexOf('completed'));
    expect(json(await cli('list', '--limit', '1', '--json')).runs).toHaveLength(1);
  });
});

describe('controlling', () => {
  it('pauses and resumes a run; watch follows it to the end, exit 0', async () => {
    const runId = await pausedRun(unique('m-pause'));
    const resumed = await cli('resume', runId);
    expect(resumed).toMatchObject({ code: 0, stderr: '' });
    expect(resumed.stdout).toMatch(/^Resume requested\.\nrun {7}/);

    const watched = await cli('watch', runId);
    expect(watched).toMatchObject({ code: 0, stderr: '' });
    const names = watched.stdout
      .trimEnd()
      .split('\n')
      .map((line) => line.split(/\s+/)[1]);
    expect(names[0]).toBe('run_started');
    expect(names.at(-1)).toBe('completed');
    expect(names.indexOf('paused')).toBeGreaterThan(0);
    expect(names.indexOf('resumed')).toBeGreaterThan(names.indexOf('paused'));
    expect(names.filter((name) => name === 'llm_finished')).toHaveLength(2);
  });

  it('cancels a run: watch then exits 1; controls of a closed run exit 3 with the API message', async () => {
    const runId = await pausedRun(unique('m-cancel'));
    const cancelled = await cli('cancel', runId, '--reason', 'wrong question', '--json');
    expect(json(cancelled).runId).toBe(runId);

    const watched = await cli('watch', runId, '--json');
    expect(watched.code).toBe(1);
    const events = watched.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events[0]).toMatchObject({ type: 'run_started', id: expect.any(String), at: expect.any(String) });
    expect(events.at(-1)).toMatchObject({ type: 'cancelled', data: { reason: 'wrong question' } });

    const status = await cli('status', runId);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('status    cancelled\n');

    const late = await cli('pause', runId);
    expect(late.code).toBe(3);
    expect(late.stdout).toBe('');
    expect(late.stderr).toBe(`mcp-agent: Run "${runId}" has already been cancelled. (HTTP 409 run_closed)\n`);
  });

  it('answers a pending request while run --wait shows it, refusing a wrong request id', async () => {
    const model = unique('m-human');
    env.provider.script(model, [
      { toolCalls: [{ name: 'human_input', arguments: { prompt: 'Which numbers?' } }] },
      { text: 'You said 2 and 3.' },
    ]);
    const id = unique('human');
    const waiting = startCli(['run', 'agent', 'add numbers I give you', '--id', id, '--spec', adhocSpec(model, { human_input: true }), '--wait']);
    const run = await eventually(async () => {
      const current = await apiRun(id).catch(() => undefined);
      return current?.status === 'waiting_for_input' && current;
    });
    const requestId = run.pendingInput!.requestId;
    await eventually(async () => waiting.stdout().includes(`input ${requestId}: Which numbers?`));

    const wrong = await cli('input', id, '2 and 3', '--request-id', 'not-a-request');
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/^mcp-agent: .*\(HTTP 422 wrong_request_id\)\n$/);

    const answered = await cli('input', id, '2 and 3', '--request-id', requestId);
    expect(answered).toMatchObject({ code: 0, stderr: '' });
    expect(answered.stdout).toMatch(/^Input delivered\.\nrun {7}/);

    const result = await waiting.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/input_requested {2}the run waits for an answer\n {27}input \S+: Which numbers\?\n {27}answer: mcp-agent input /);
    expect(result.stdout).toContain(`input_received   request ${requestId}`);
    expect(result.stdout).toMatch(/\nresult {4}You said 2 and 3\.\n$/);
  });
});

describe('chat', () => {
  it('says, as its run completes, that a workflow that is not a conversation answers one message, and leaves piped lines unsent', async () => {
    env.provider.script('cli-calc', [{ text: 'It is 42.' }]);
    const id = unique('single');
    const chat = startChat('calc', '--id', id);
    chat.type('2+40', 'and again?', 'and once more?');
    chat.end();
    const result = await chat.done;
    expect(result.code).toBe(0);
    expect(chatLines(result.stdout).slice(-3)).toEqual([
      'assistant: It is 42.',
      `Run ${id} completed: calc is not a conversation, so it answers one message.`,
      '2 more line(s) not sent: only the first message is answered.',
    ]);
    // Attaching to it now: closed, in words that read right.
    const attached = startChat(id);
    attached.end();
    const closed = await attached.done;
    expect(closed.code).toBe(0);
    expect(closed.stdout.split('\n')[0]).toBe(`${id} has already completed: there is nothing to chat with.`);
  });

  it('tells a swarm that answers one message from a conversation by what the chat saw, not by its result', async () => {
    env.provider.script('cli-swarm', [{ text: 'The swarm says 42.' }]);
    const id = unique('swarm');
    const chat = startChat('crowd', '--id', id);
    chat.type('2+40', 'and again?');
    chat.end();
    const result = await chat.done;
    expect(result.code).toBe(0);
    expect(chatLines(result.stdout).slice(-3)).toEqual([
      'assistant: The swarm says 42.',
      `Run ${id} completed: crowd is not a conversation, so it answers one message.`,
      '1 more line(s) not sent: only the first message is answered.',
    ]);
  });

  it('starts a conversation of a config workflow from piped lines: tool calls, both answers, /close, exit 0', async () => {
    env.provider.script('cli-talk', [
      { toolCalls: [{ name: 'everything-get-sum', arguments: { a: 2, b: 3 } }] },
      { text: 'The sum is 5.' },
      { text: 'Twice that is 10.\nAnything else?' },
    ]);
    const id = unique('talk');
    const chat = startChat('talk', '--id', id);
    // All at once, as a script pipes them: the second message waits for the first answer, and
    // /close, reached while the second turn runs, lets that turn finish.
    // A line after /close is not sent, and chat says so.
    chat.type('add 2 and 3', 'and twice that?', '/close', 'one more?');
    chat.end();
    const result = await chat.done;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(chatLines(result.stdout)).toEqual([
      'Chatting with talk: your first message starts the run. /help lists the commands.',
      `Started ${id}. /help lists the commands.`,
      'assistant: The sum is 5.',
      `Closing ${id}: it completes once its running turn and queued messages are answered.`,
      'assistant: Twice that is 10.',
      '           Anything else?',
      `Run ${id} completed.`,
      '1 more line(s) not sent: the conversation has closed.',
    ]);
    expect(eventLines(result.stdout)).toEqual([
      'tool_started     everything-get-sum · {"a":2,"b":3}',
      'tool_finished    everything-get-sum · → The sum of 2 and 3 is 5.',
      expect.stringMatching(/^completed {8}"Twice that is 10\. Anything else\?" · \d+ input \+ \d+ output tokens · 3 LLM calls · 1 tool call$/),
    ]);
    // The tool lines come before the first answer they led to.
    expect(result.stdout.indexOf('tool_finished')).toBeLessThan(result.stdout.indexOf('assistant: The sum is 5.'));

    const run = await apiRun(id);
    expect(run).toMatchObject({ status: 'completed', workflow: 'talk', result: { text: 'Twice that is 10.\nAnything else?', turns: 2, closedBy: 'close' } });
    // The second message was sent after the first answer, not queued beside the first message.
    const transcript = await apiGet(`/runs/${id}/messages`);
    expect(transcript.messages.map((m: { turn: number; role: string }) => `${m.turn} ${m.role}`)).toEqual([
      '1 user',
      '1 assistant',
      '1 tool',
      '1 assistant',
      '2 user',
      '2 assistant',
    ]);

    // watch shows a conversation's turns and messages too.
    const watched = await cli('watch', id);
    expect(watched).toMatchObject({ code: 0, stderr: '' });
    expect(eventLines(watched.stdout)).toEqual(
      expect.arrayContaining([
        'turn_started     turn 1 · "add 2 and 3"',
        'llm_started      turn 1 step 1 · openai/cli-talk',
        'turn_finished    turn 1 · answered · "The sum is 5."',
        'message_received  turn 2 · by update',
        'turn_started     turn 2 · "and twice that?"',
        'turn_finished    turn 2 · answered · "Twice that is 10. Anything else?"',
      ]),
    );
  });

  it('attaches to a conversation waiting for approval, approves with y, shows /history, and leaves it open at EOF', async () => {
    const model = unique('m-approve');
    env.provider.script(model, [{ toolCalls: [{ name: 'everything-get-sum', arguments: { a: 1, b: 1 } }] }, { text: 'It is 2.' }]);
    const spec = JSON.parse(adhocSpec(model, { servers: ['everything'], approve_tools: ['everything-get-sum'] }));
    const started = await apiPost('/workflows/agent/run', { input: 'add 1 and 1', spec: { ...spec, conversation: true } });
    const runId: string = started.runId;
    const waiting = await eventually(async () => {
      const run = await apiRun(runId);
      return run.status === 'waiting_for_input' && run;
    });
    const requestId = waiting.pendingInput!.requestId;

    const chat = startChat(runId);
    chat.type('y');
    await eventually(async () => chat.stdout().includes('assistant: It is 2.'));
    chat.type('/nope', '/history');
    await eventually(async () => chat.stdout().includes('[1] assistant: It is 2.'));
    chat.end();
    const result = await chat.done;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    const lines = chatLines(result.stdout);
    expect(lines[0]).toBe(`Attached to ${runId} (agent, waiting_for_input, turn 1). /help lists the commands.`);
    expect(lines.slice(1, 3)).toEqual([
      expect.stringMatching(new RegExp(`^approval ${requestId}: .+ · everything-get-sum \\{"a":1,"b":1\\}$`)),
      'answer y or n, optionally followed by a reason (n: not that file)',
    ]);
    expect(lines.slice(3)).toEqual([
      'assistant: It is 2.',
      'unknown command /nope; commands: /close /quit /pause /resume /status /history /help (start a message with // to send a leading /)',
      '[1] user: add 1 and 1',
      '[1] assistant calls everything-get-sum {"a":1,"b":1}',
      '[1] tool everything-get-sum: The sum of 1 and 1 is 2.',
      '[1] assistant: It is 2.',
      `Left ${runId} open. Come back with: npx mcp-agent chat ${runId}`,
    ]);
    // The approval let the call run: a denial would have reached the model as an error, with no tool_started.
    const events = eventLines(result.stdout);
    expect(events).toEqual(
      expect.arrayContaining([
        'turn_started     turn 1 · "add 1 and 1"',
        `input_received   request ${requestId}`,
        'tool_started     everything-get-sum · {"a":1,"b":1}',
        'tool_finished    everything-get-sum · → The sum of 1 and 1 is 2.',
      ]),
    );
    expect(events.indexOf(`input_received   request ${requestId}`)).toBeLessThan(events.indexOf('tool_started     everything-get-sum · {"a":1,"b":1}'));

    // Detaching left the conversation open, ready for the next message.
    expect(await apiRun(runId)).toMatchObject({ status: 'idle', result: { text: 'It is 2.' } });
    await apiPost(`/runs/${runId}/close`);
    expect(await apiGet(`/runs/${runId}/result?wait=30`)).toMatchObject({ status: 'completed' });
  });

  it('prints one JSON line per Run and event with --json, making an ad-hoc --spec a conversation', async () => {
    const model = unique('m-chat-json');
    env.provider.script(model, [{ text: 'Hi there.' }]);
    const chat = startChat('agent', 'hello', '--spec', adhocSpec(model), '--json');
    chat.type('/close');
    chat.end();
    const result = await chat.done;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(lines[0]).toMatchObject({ workflow: 'agent', pattern: 'agent', input: 'hello' });
    const types = lines.filter((line) => typeof line.type === 'string').map((line) => line.type);
    expect(types).toEqual(expect.arrayContaining(['run_started', 'turn_started', 'llm_finished', 'turn_finished', 'completed']));
    // A result that counts turns is a conversation's.
    expect(lines.at(-1)).toMatchObject({ runId: lines[0].runId, status: 'completed', result: { text: 'Hi there.', turns: 1, closedBy: 'close' } });
  });
});

describe('two children asking at once', () => {
  /** A parallel run of two agents, first and second, that each ask a question at once; `spec` starts it. */
  function askingPair() {
    const models = { first: unique('m-first'), second: unique('m-second') };
    for (const m of Object.values(models)) {
      env.provider.script(m, [{ toolCalls: [{ name: 'human_input', arguments: { prompt: `Question of ${m}?` } }] }, { text: `${m} done` }]);
    }
    const member = (name: string, model: string) => ({ name, instruction: 'You ask.', provider: 'openai', model, human_input: true });
    const spec = { type: 'parallel', fan_out: [member('first', models.first), member('second', models.second)] };
    /** Which of the two a line or request id is about. */
    const whose = (text: string): 'first' | 'second' => (text.includes(models.first) || /\/first-\d+::/.test(text) ? 'first' : 'second');
    /** What each child's model got back from its human_input call. */
    const answersSeen = () => ({
      first: toolResultsSeen(env.provider.requests(models.first)[1])[0].content,
      second: toolResultsSeen(env.provider.requests(models.second)[1])[0].content,
    });
    return { models, spec, whose, answersSeen };
  }

  /** The question lines a chat printed (`input <requestId>: Question of ...?`), in order. */
  const askedLines = (stdout: string) => chatLines(stdout).filter((line) => /^input \S+: Question of /.test(line));

  async function startPair(pair: ReturnType<typeof askingPair>): Promise<string> {
    const started = await apiPost('/workflows/parallel/run', { input: 'go', spec: pair.spec });
    expect(started.runId).toEqual(expect.any(String));
    return started.runId;
  }

  it('run --wait shows both questions, each once with how to answer it, while both wait', async () => {
    const pair = askingPair();
    const id = unique('pair-wait');
    const waiting = startCli(['run', 'parallel', 'go', '--id', id, '--spec', JSON.stringify(pair.spec), '--wait']);
    const run = await eventually(async () => {
      const current = await apiRun(id).catch(() => undefined);
      return current?.pendingInputs?.length === 2 && current;
    });
    const requests = run.pendingInputs!;
    // Both are shown before either is answered.
    await eventually(async () => requests.every((request) => waiting.stdout().includes(`answer: mcp-agent input ${id} '<answer>' --request-id ${request.requestId}`)));
    for (const request of requests) {
      await cli('input', id, `for ${pair.whose(request.requestId)}`, '--request-id', request.requestId);
    }
    const result = await waiting.done;
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.split('\n');
    const questions = lines.filter((line) => /^ +input \S+: Question of /.test(line)).map((line) => line.trim());
    // Each once, in the order the run announced them (not necessarily the order of pendingInputs).
    expect(questions.sort()).toEqual(requests.map((request) => `input ${request.requestId}: ${request.prompt}`).sort());
    for (const request of requests) {
      const at = lines.findIndex((line) => line.trim() === `input ${request.requestId}: ${request.prompt}`);
      expect(lines[at - 1]).toMatch(/input_requested {2}the run waits for an answer$/);
      expect(lines[at + 1].trim()).toBe(`answer: mcp-agent input ${id} '<answer>' --request-id ${request.requestId}`);
      expect(request.prompt).toBe(`Question of ${pair.models[pair.whose(request.requestId)]}?`);
    }
    expect(pair.answersSeen()).toEqual({ first: 'for first', second: 'for second' });
  });

  it('chat asks both questions in turn and answers each by its own request id', async () => {
    const pair = askingPair();
    const runId = await startPair(pair);
    const chat = startChat(runId);
    // Before anything is answered: the first question asked, the second named as coming next.
    const [first] = await eventually(async () => askedLines(chat.stdout()).length > 0 && askedLines(chat.stdout()));
    const next = await eventually(async () => chatLines(chat.stdout()).find((line) => line.endsWith(' waits too; it is asked after the one before it is answered.')));
    expect(pair.whose(next)).not.toBe(pair.whose(first));
    expect(askedLines(chat.stdout())).toEqual([first]);
    chat.type(`for ${pair.whose(first)}`);
    const [, second] = await eventually(async () => askedLines(chat.stdout()).length === 2 && askedLines(chat.stdout()));
    expect(next).toBe(`${/^(input \S+):/.exec(second)![1]} waits too; it is asked after the one before it is answered.`);
    chat.type(`for ${pair.whose(second)}`);
    const result = await chat.done;
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const asked = askedLines(result.stdout);
    expect(asked.map(pair.whose).sort()).toEqual(['first', 'second']);
    for (const line of asked) expect(line).toMatch(new RegExp(`^input ${runId}/${pair.whose(line)}-\\d+::input-1: Question of ${pair.models[pair.whose(line)]}\\?$`));
    expect(chatLines(result.stdout).at(-1)).toBe(`Run ${runId} completed.`);
    expect(pair.answersSeen()).toEqual({ first: 'for first', second: 'for second' });
  });

  it('chat goes on to the next question when the one it asks was answered elsewhere, and never asks it again', async () => {
    const pair = askingPair();
    const runId = await startPair(pair);
    const chat = startChat(runId);
    const [line] = await eventually(async () => askedLines(chat.stdout()).length > 0 && askedLines(chat.stdout()));
    const requestId = /^input (\S+):/.exec(line)![1];
    const asker = pair.whose(line);
    const other = asker === 'first' ? 'second' : 'first';
    // Answered on the child run itself: the parent's events say nothing of it, its state no longer lists it.
    const [childId, inner] = requestId.split('::');
    await apiPost(`/runs/${encodeURIComponent(childId)}/input`, { requestId: inner, value: 'from elsewhere' });
    await eventually(async () => (await apiRun(runId)).pendingInputs?.length === 1);
    chat.type('too late');
    await eventually(async () => askedLines(chat.stdout()).length === 2);
    chat.type(`for ${other}`);
    const result = await chat.done;
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = chatLines(result.stdout);
    const notTaken = lines.find((text) => text.startsWith(`Not taken: input ${requestId} no longer waits for an answer (`));
    expect(notTaken).toMatch(/\(HTTP (409 nothing_pending|422 wrong_request_id)\)\)\.$/);
    expect(askedLines(result.stdout).map(pair.whose)).toEqual([asker, other]);
    expect(pair.answersSeen()).toEqual({ [asker]: 'from elsewhere', [other]: `for ${other}` });
  });
});

describe('errors and exit codes', () => {
  it('exits 2 on bad arguments, before calling the API', async () => {
    const result = await startCli(['status'], cliEnv({ MCP_AGENT_API_URL: 'http://127.0.0.1:9' })).done;
    expect(result).toEqual({ code: 2, stdout: '', stderr: 'mcp-agent: status: missing runId (usage: status <runId>)\nmcp-agent: see "mcp-agent --help"\n' });
  });

  it('exits 3 with the API message for an unknown run or workflow', async () => {
    expect(await cli('status', 'no-such-run')).toEqual({
      code: 3,
      stdout: '',
      stderr: 'mcp-agent: No run has the id "no-such-run". (HTTP 404 run_not_found)\n',
    });
    const unknown = await cli('run', 'no-such-workflow', 'x');
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('(HTTP 404 workflow_not_found)');
    const watch = await cli('watch', 'no-such-run');
    expect(watch.code).toBe(3);
    expect(watch.stderr).toContain('(HTTP 404 run_not_found)');
    // chat takes a name that is no workflow as a run id: one that is neither says so.
    expect(await cli('chat', 'nosuch')).toEqual({
      code: 3,
      stdout: '',
      stderr: 'mcp-agent: chat: no workflow and no run is named "nosuch" (mcp-agent workflows lists the workflows, mcp-agent list the runs)\n',
    });
    // A pattern type runs only with --spec: chat says so rather than that nothing has the name.
    expect(await cli('chat', 'agent')).toEqual({
      code: 3,
      stdout: '',
      stderr: 'mcp-agent: chat: "agent" is a pattern type, which runs only with a spec: add --spec JSON|@file (and no run is named "agent")\n',
    });
  });

  it('sends the token from --token or MCP_AGENT_API_TOKEN, and exits 3 without one', async () => {
    const withoutToken = await startCli(['workflows'], cliEnv({ MCP_AGENT_API_TOKEN: '' })).done;
    expect(withoutToken.code).toBe(3);
    expect(withoutToken.stderr).toContain('(HTTP 401 unauthorized)');
    const withFlag = await startCli(['workflows', '--token', TOKEN], cliEnv({ MCP_AGENT_API_TOKEN: '' })).done;
    expect(withFlag.code).toBe(0);
  });

  it('exits 4 when nothing answers at the API address', async () => {
    const port = await freePort();
    const result = await startCli(['list', '--api', `http://127.0.0.1:${port}`]).done;
    expect(result).toEqual({ code: 4, stdout: '', stderr: `mcp-agent: cannot reach the API at http://127.0.0.1:${port}: ECONNREFUSED\n` });
  });
});

describe('processes', () => {
  it('serve: the MCP server over stdio', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-agent-cli-serve-'));
    const configFile = path.join(dir, 'mcp_agent.config.yaml');
    const { temporal: temporalConfig } = env.worker.config;
    writeFileSync(
      configFile,
      stringify({
        temporal: { address: temporalConfig.address, namespace: temporalConfig.namespace, task_queue: temporalConfig.task_queue },
        logger: { level: 'warn' },
        openai: { api_key: 'test-key', base_url: env.provider.openaiBaseUrl },
        workflows: { calc: { type: 'agent', agent: 'calculator', description: 'Adds numbers' } },
        agents: { calculator: { instruction: 'You add numbers.', provider: 'openai', model: 'cli-calc' } },
      }),
    );
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'serve'],
      env: { ...(process.env as Record<string, string>), MCP_AGENT_CONFIG: configFile },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'cli-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const tools = (await client.listTools()).tools.map((tool) => tool.name);
      expect(tools).toEqual(expect.arrayContaining(['workflows-list', 'workflows-run', 'workflows-get_status']));
      const listed = await client.callTool({ name: 'workflows-list', arguments: {} });
      expect(JSON.stringify(listed.structuredContent ?? listed.content)).toContain('Adds numbers');
    } finally {
      await client.close();
    }
  });

  it('dev: the API and a worker on an existing Temporal server; SIGINT stops them, exit 0', async () => {
    const port = await freePort();
    const { API_TOKEN: _unset, ...environment } = process.env;
    const dev = startCli(['dev'], {
      ...environment,
      MCP_AGENT_CONFIG: path.join(projectRoot, 'mcp_agent.config.yaml'),
      TEMPORAL_ADDRESS: testTemporalAddress(),
      TEMPORAL_TASK_QUEUE: unique('cli-dev'),
      PORT: String(port),
      OPENAI_API_KEY: 'test-key',
      LOG_LEVEL: 'warn',
    });
    try {
      await eventually(async () => {
        if (dev.child.exitCode !== null) throw new Error(`mcp-agent dev exited early:\n${dev.stdout()}`);
        return (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.status === 200;
      }, 90_000);
      const workflows = await startCli(['workflows', '--api', `http://127.0.0.1:${port}`]).done;
      expect(workflows.code).toBe(0);
      expect(workflows.stdout).toMatch(/^calc +agent /m);

      dev.child.kill('SIGINT');
      const stopped = await dev.done;
      expect(stopped.code).toBe(0);
      expect(stopped.stdout).toContain('stopping');
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    } finally {
      if (dev.child.exitCode === null) await stopProcess(dev.child, 30_000);
    }
  });
});
