import { defaultPayloadConverter } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import type { AgentResult } from '../../workflows/agent';
import { stateQuery } from '../../workflows/definitions';
import { MCP_SERVER_REQUEST_UPDATE, type McpServerRequestInput } from '../../src/mcp/server-requests';
import { FIXTURE_PIXEL_PNG } from '../fixtures/mcp-fixture-server';
import { startApi, type RunningApi } from '../support/api-http';
import { eventually, mcpServers, providerConfig, startAgentEnv, type AgentEnv } from '../support/agent-env';
import { toolResultsSeen } from '../support/requests';

/**
 * An MCP server's own requests during a tool call, answered by the run: sampling through an LLM
 * activity of the run (server-everything over stdio, our fixture over streamable HTTP) and
 * elicitation through the run's pending input and the API (the fixture over both transports).
 * Real Temporal dev server, real worker, real MCP servers, the scripted model behind both SDKs.
 */

jest.setTimeout(90_000);

let env: AgentEnv;
let running: RunningApi;

beforeAll(async () => {
  env = await startAgentEnv((provider, fixtureUrl) => {
    const servers = mcpServers(fixtureUrl)!;
    return {
      ...providerConfig(provider),
      mcp: {
        servers: {
          everything: { ...servers.everything, sampling: { provider: 'openai', model: 'sampler-everything', max_tokens: 30 } },
          fixture: { ...servers.fixture, sampling: { provider: 'anthropic', model: 'sampler-fixture' } },
          local: { ...servers.local, sampling: { model: 'sampler-approved', approve: true }, elicitation: { timeout_seconds: 600 } },
          // The fixture over stdio again, sampled by OpenAI (the default provider) after an approval.
          pictured: { ...servers.local, sampling: { model: 'sampler-pictured', approve: true } },
          unsampled: servers.fixture,
          // One attempt of 2 s: a call that asks and is not answered in time fails for good.
          brittle: { ...servers.fixture, calls: { timeout_seconds: 2, max_attempts: 1 } },
          inline: { ...servers.fixture, local: true },
          // stdio with neither sampling nor elicitation configured: its calls share one session.
          plain: servers.local,
        },
      },
    };
  });
  running = await startApi(env.worker.config);
});

afterAll(async () => {
  await running?.close();
  await env?.close();
});

let modelCounter = 0;
const uniqueModel = (label: string) => `${label}-${++modelCounter}-${Date.now()}`;

function agentSpec(model: string, servers: string[]) {
  return { type: 'agent', agent: { instruction: 'You use tools.', provider: 'openai', model, servers } };
}

async function activitySummaries(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e) =>
    e.activityTaskScheduledEventAttributes && e.userMetadata?.summary
      ? [defaultPayloadConverter.fromPayload<string>(e.userMetadata.summary as never)]
      : [],
  );
}

/** Every payload of the run's history as text (JSON payloads decode to their JSON). */
async function historyPayloadTexts(handle: WorkflowHandle): Promise<string[]> {
  const { events: all } = await handle.fetchHistory();
  const texts: string[] = [];
  const walk = (value: unknown): void => {
    if (value instanceof Uint8Array) texts.push(Buffer.from(value).toString('utf8'));
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(all);
  return texts;
}

/** The inputs of the run's `mcp_server_request` Updates, as history recorded them. */
async function serverRequestInputs(handle: WorkflowHandle): Promise<McpServerRequestInput[]> {
  const { events: all } = await handle.fetchHistory();
  return (all ?? []).flatMap((e) => {
    const input = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
    return input?.name === MCP_SERVER_REQUEST_UPDATE ? [defaultPayloadConverter.fromPayload<McpServerRequestInput>(input.args!.payloads![0] as never)] : [];
  });
}

/** The image part of the history's one sampling request: a store reference in place of the base64 the server sent. */
async function expectImageStoredNotInHistory(handle: WorkflowHandle): Promise<void> {
  const [input] = await serverRequestInputs(handle);
  expect(input.request.kind).toBe('sampling');
  const [message] = input.request.kind === 'sampling' ? input.request.params.messages : [];
  expect(message.content).toEqual([
    { type: 'text', text: expect.stringContaining('Summarize:') },
    { type: 'image', mimeType: 'image/png', bytes: 70, ref: { key: expect.stringMatching(/\S/), mimeType: 'image/png', bytes: 70 } },
  ]);
  const texts = await historyPayloadTexts(handle);
  expect(texts.some((text) => text.includes('Summarize:'))).toBe(true);
  expect(texts.filter((text) => text.includes(FIXTURE_PIXEL_PNG))).toEqual([]);
}

async function events(runId: string): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
  const response = await fetch(`${running.api.url}/runs/${encodeURIComponent(runId)}/events`);
  const text = await response.text();
  return text
    .split('\n\n')
    .map((block) => block.split('\n').find((line) => line.startsWith('data: ')))
    .filter((line): line is string => line !== undefined)
    .map((line) => JSON.parse(line.slice('data: '.length)));
}

describe('sampling', () => {
  test("server-everything's sampling request (stdio) is answered by an LLM activity of the run, its maxTokens capped", async () => {
    const model = uniqueModel('agent');
    env.provider.script(model, [
      { toolCalls: [{ name: 'everything-trigger-sampling-request', arguments: { prompt: 'name a colour', maxTokens: 100 } }] },
      { text: 'The server got its answer.' },
    ]);
    env.provider.script('sampler-everything', [{ text: 'Vermilion.', usage: { input: 17, output: 3 } }]);
    const handle = await env.start('agent', 'Try sampling.', agentSpec(model, ['everything']));
    const result = (await handle.result()) as AgentResult;

    expect(result.text).toBe('The server got its answer.');
    const [sampled] = env.provider.requests('sampler-everything');
    expect(sampled.body.max_tokens).toBe(30);
    expect(JSON.stringify(sampled.body.messages)).toContain('name a colour');
    expect(JSON.stringify(sampled.body.messages)).toContain('You are a helpful test server.');
    const [seen] = toolResultsSeen(env.provider.requests(model)[1]);
    expect(seen.content).toContain('LLM sampling result');
    expect(seen.content).toContain('Vermilion.');
    expect(seen.content).toContain('"model": "sampler-everything"');
    // Counted in the run's usage: two turns of the agent and the sampling call.
    expect(result.usage).toMatchObject({ llmCalls: 3, toolCalls: 1 });
    expect(result.usage.inputTokens).toBeGreaterThanOrEqual(17);
    expect(await activitySummaries(handle)).toContain(
      'llm openai/sampler-everything · sampling for everything-trigger-sampling-request',
    );
    const llmEvents = (await events(handle.workflowId)).filter((e) => e.type === 'llm_finished');
    expect(llmEvents.map((e) => e.data.model)).toContain('sampler-everything');
  });

  test("the fixture's sampling request over streamable HTTP goes to the server's configured provider (Anthropic)", async () => {
    const model = uniqueModel('agent');
    env.provider.script(model, [
      { toolCalls: [{ name: 'fixture-summarize', arguments: { text: 'a long story about durable runs', maxTokens: 20 } }] },
      { text: 'done' },
    ]);
    env.provider.script('sampler-fixture', [{ text: 'Runs survive.', usage: { input: 9, output: 2 } }]);
    const handle = await env.start('agent', 'Summarize.', agentSpec(model, ['fixture']));
    await handle.result();

    const [sampled] = env.provider.requests('sampler-fixture');
    expect(sampled.provider).toBe('anthropic');
    expect(sampled.body.max_tokens).toBe(20);
    expect(sampled.body.system).toBe('You summarize in one line.');
    const [seen] = toolResultsSeen(env.provider.requests(model)[1]);
    expect(JSON.parse(seen.content)).toEqual({
      role: 'assistant',
      content: { type: 'text', text: 'Runs survive.' },
      model: 'sampler-fixture',
      stopReason: 'endTurn',
    });
  });

  test("sampling with tools (HTTP, Anthropic): the model is offered the server's tools, its calls go back as tool_use, and the results the server sends reach it", async () => {
    const model = uniqueModel('agent');
    env.provider.script(model, [{ toolCalls: [{ name: 'fixture-forecast', arguments: { city: 'Oslo', tool_choice: 'required' } }] }, { text: 'done' }]);
    env.provider.script('sampler-fixture', [{ toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }, { text: 'Sunny in Oslo.' }]);
    const before = env.provider.requests('sampler-fixture').length;
    const handle = await env.start('agent', 'Weather?', agentSpec(model, ['fixture']));
    await handle.result();

    const [first, second] = env.provider.requests('sampler-fixture').slice(before);
    expect(first.body.tools).toEqual([
      { name: 'get_weather', description: 'The weather in a city', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
    ]);
    expect(first.body.tool_choice).toEqual({ type: 'any' });
    expect(second.body.tool_choice).toBeUndefined();
    const [result] = toolResultsSeen(second);
    expect(result.content).toBe('Sunny and 21 °C in Oslo');
    const [seen] = toolResultsSeen(env.provider.requests(model)[1]);
    expect(JSON.parse(seen.content)).toEqual([
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: result.toolCallId, name: 'get_weather', input: { city: 'Oslo' } }],
        model: 'sampler-fixture',
        stopReason: 'toolUse',
      },
      { role: 'assistant', content: { type: 'text', text: 'Sunny in Oslo.' }, model: 'sampler-fixture', stopReason: 'endTurn' },
    ]);
  });

  test('an image in a sampling request (HTTP, Anthropic) reaches the model as an image block; history holds its store reference, not its base64', async () => {
    const model = uniqueModel('agent');
    env.provider.script(model, [
      { toolCalls: [{ name: 'fixture-summarize', arguments: { text: 'this picture', with_image: true } }] },
      { text: 'done' },
    ]);
    env.provider.script('sampler-fixture', [{ text: 'A transparent dot.' }]);
    const handle = await env.start('agent', 'Summarize the picture.', agentSpec(model, ['fixture']));
    await handle.result();

    const sampled = env.provider.requests('sampler-fixture').at(-1)!;
    expect(sampled.provider).toBe('anthropic');
    expect(sampled.body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Summarize: this picture' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: FIXTURE_PIXEL_PNG } },
        ],
      },
    ]);
    expect(JSON.parse(toolResultsSeen(env.provider.requests(model)[1])[0].content).content.text).toBe('A transparent dot.');
    await expectImageStoredNotInHistory(handle);
  });

  test('an image in a sampling request (stdio, OpenAI) reaches the model as a data URL, and its approval shows the reference, not the base64', async () => {
    const model = uniqueModel('agent');
    env.provider.script(model, [{ toolCalls: [{ name: 'pictured-summarize', arguments: { text: 'the pixel', with_image: true } }] }, { text: 'ok' }]);
    env.provider.script('sampler-pictured', [{ text: 'One pixel.' }]);
    const handle = await env.start('agent', 'Summarize the pixel.', agentSpec(model, ['pictured']));

    const pending = await eventually(async () => (await handle.query(stateQuery)).pendingInput);
    expect(pending.kind).toBe('approval');
    expect(JSON.stringify(pending)).not.toContain(FIXTURE_PIXEL_PNG);
    expect(pending.args?.messages).toEqual([
      { role: 'user', content: 'Summarize: the pixel', images: [{ key: expect.stringMatching(/\S/), mimeType: 'image/png', bytes: 70 }] },
    ]);
    const viaApi = await running.api.get(`/runs/${handle.workflowId}`);
    expect(JSON.stringify(viaApi.body)).not.toContain(FIXTURE_PIXEL_PNG);
    await running.api.post(`/runs/${handle.workflowId}/input`, { value: { approved: true } });
    await handle.result();

    const sampled = env.provider.requests('sampler-pictured');
    expect(sampled).toHaveLength(1);
    expect(sampled[0].provider).toBe('openai');
    expect(sampled[0].body.messages).toContainEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'Summarize: the pixel' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${FIXTURE_PIXEL_PNG}` } },
      ],
    });
    expect(toolResultsSeen(env.provider.requests(model)[1])[0].content).toContain('One pixel.');
    await expectImageStoredNotInHistory(handle);
  });

  test('a server without sampling in its config is not offered it: its request fails inside the tool', async () => {
    const model = uniqueModel('agent');
    env.provider.script(model, [{ toolCalls: [{ name: 'unsampled-summarize', arguments: { text: 'x' } }] }, { text: 'ok' }]);
    const handle = await env.start('agent', 'Summarize.', agentSpec(model, ['unsampled']));
    await handle.result();
    const [seen] = toolResultsSeen(env.provider.requests(model)[1]);
    expect(seen.content).toContain('Method not found');
    expect(await activitySummaries(handle)).not.toContainEqual(expect.stringContaining('sampling for'));
  });

  test('sampling that the config wants approved waits for the approval, and a denial reaches the server', async () => {
    const model = uniqueModel('agent');
    env.provider.script(model, [
      { toolCalls: [{ name: 'local-summarize', arguments: { text: 'first' } }] },
      { toolCalls: [{ name: 'local-summarize', arguments: { text: 'second' } }] },
      { text: 'ok' },
    ]);
    env.provider.script('sampler-approved', [{ text: 'Approved summary.' }]);
    const handle = await env.start('agent', 'Summarize twice.', agentSpec(model, ['local']));

    const first = await eventually(async () => (await handle.query(stateQuery)).pendingInput);
    expect(first).toMatchObject({ kind: 'approval', tool: 'local-summarize' });
    expect(first.prompt).toContain('asks for a model completion (openai/sampler-approved)');
    expect((await running.api.post(`/runs/${handle.workflowId}/input`, { value: { approved: true } })).status).toBe(202);
    const second = await eventually(async () => {
      const pending = (await handle.query(stateQuery)).pendingInput;
      return pending && pending.requestId !== first.requestId ? pending : undefined;
    });
    await running.api.post(`/runs/${handle.workflowId}/input`, { value: { approved: false, reason: 'not now' } });
    await handle.result();

    const [approved, denied] = toolResultsSeen(env.provider.requests(model)[2]);
    expect(approved.content).toContain('Approved summary.');
    // Once prefixed, with the code the MCP specification gives a user's rejection in its example (-1).
    expect(denied.content).toContain('MCP error -1: User rejected sampling request: not now');
    expect(denied.content).not.toMatch(/MCP error -?\d+: MCP error/);
    expect(second.kind).toBe('approval');
    expect(env.provider.requests('sampler-approved')).toHaveLength(1);
  });
});

describe('elicitation', () => {
  test('becomes the pending input with its schema, is checked against it (422) and its answer reaches the tool result (HTTP)', async () => {
    const model = uniqueModel('agent');
    env.provider.script(model, [{ toolCalls: [{ name: 'fixture-ask', arguments: { question: 'Your name and age?' } }] }, { text: 'Thanks.' }]);
    const handle = await env.start('agent', 'Ask me.', agentSpec(model, ['fixture']));
    const runId = handle.workflowId;

    const run = await eventually(async () => {
      const reply = await running.api.get(`/runs/${runId}`);
      return reply.body.pendingInput ? reply.body : undefined;
    });
    expect(run.status).toBe('waiting_for_input');
    expect(run.pendingInput).toMatchObject({
      kind: 'elicitation',
      prompt: 'Your name and age?',
      tool: 'fixture-ask',
      schema: { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name'] },
    });

    for (const value of [
      { action: 'accept', content: { age: 36 } },
      { action: 'accept', content: { name: 'Ada', age: 'old' } },
      { action: 'accept', content: { name: 'Ada', shoe: 9 } },
      { action: 'maybe' },
      'Ada',
    ]) {
      const refused = await running.api.post(`/runs/${runId}/input`, { value });
      expect(refused.status).toBe(422);
    }
    const missing = await running.api.post(`/runs/${runId}/input`, { value: { action: 'accept', content: { age: 36 } } });
    expect(missing.body.error.message).toContain('content.name is required');

    const accepted = await running.api.post(`/runs/${runId}/input`, {
      requestId: run.pendingInput.requestId,
      value: { action: 'accept', content: { name: 'Ada', age: 36 } },
    });
    expect(accepted.status).toBe(202);
    expect(((await handle.result()) as AgentResult).text).toBe('Thanks.');
    const [seen] = toolResultsSeen(env.provider.requests(model)[1]);
    expect(seen.content).toContain('answer: {"action":"accept","content":{"name":"Ada","age":36}}');

    const types = (await events(runId)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['input_requested', 'input_received']));
    const requested = (await events(runId)).find((e) => e.type === 'input_requested');
    expect(requested?.data).toMatchObject({ kind: 'elicitation', tool: 'fixture-ask', schema: { required: ['name'] } });
  });

  test('a decline over stdio reaches the server as a decline', async () => {
    const model = uniqueModel('agent');
    env.provider.script(model, [{ toolCalls: [{ name: 'local-ask', arguments: {} }] }, { text: 'Fine.' }]);
    const handle = await env.start('agent', 'Ask me.', agentSpec(model, ['local']));
    await eventually(async () => (await handle.query(stateQuery)).pendingInput?.kind === 'elicitation');
    expect((await running.api.post(`/runs/${handle.workflowId}/input`, { value: { action: 'decline' } })).status).toBe(202);
    await handle.result();
    const [seen] = toolResultsSeen(env.provider.requests(model)[1]);
    expect(seen.content).toContain('answer: {"action":"decline"}');
  });

  test('a cancel through the API (HTTP) reaches the server as a cancel, its tool result reaches the model, and the run goes on', async () => {
    const model = uniqueModel('agent');
    env.provider.script(model, [
      { toolCalls: [{ name: 'fixture-ask', arguments: { question: 'Your name?' } }] },
      { toolCalls: [{ name: 'fixture-echo', arguments: { text: 'after the cancel' } }] },
      { text: 'Carrying on without it.' },
    ]);
    const handle = await env.start('agent', 'Ask me.', agentSpec(model, ['fixture']));
    const pending = await eventually(async () => (await handle.query(stateQuery)).pendingInput);
    expect(pending.kind).toBe('elicitation');
    // A cancel carries no content, as a decline does.
    expect((await running.api.post(`/runs/${handle.workflowId}/input`, { value: { action: 'cancel', content: { name: 'Ada' } } })).status).toBe(422);
    expect((await running.api.post(`/runs/${handle.workflowId}/input`, { value: { action: 'cancel' } })).status).toBe(202);

    const result = (await handle.result()) as AgentResult;
    expect(result).toMatchObject({ text: 'Carrying on without it.', stopReason: 'final_answer' });
    expect(result.usage.toolCalls).toBe(2);
    const [seen] = toolResultsSeen(env.provider.requests(model)[1]);
    expect(seen).toMatchObject({ isError: false, content: expect.stringContaining('answer: {"action":"cancel"}') });
    expect(toolResultsSeen(env.provider.requests(model)[2]).map((r) => r.content)).toEqual([seen.content, expect.stringContaining('after the cancel')]);
    expect((await handle.query(stateQuery)).pendingInput).toBeUndefined();
    const types = (await events(handle.workflowId)).map((e) => e.type);
    expect(types).toContain('input_received');
    expect(types).not.toContain('input_timed_out');
  });

  test('a server that gives up waiting (its own timeout) withdraws the question: the run stops asking and goes on', async () => {
    const model = uniqueModel('agent');
    env.provider.script(model, [{ toolCalls: [{ name: 'fixture-ask', arguments: { timeout_ms: 1500 } }] }, { text: 'No answer then.' }]);
    const handle = await env.start('agent', 'Ask me.', agentSpec(model, ['fixture']));
    const pending = await eventually(async () => (await handle.query(stateQuery)).pendingInput);
    expect(pending.kind).toBe('elicitation');
    expect(((await handle.result()) as AgentResult).text).toBe('No answer then.');
    const [seen] = toolResultsSeen(env.provider.requests(model)[1]);
    expect(seen.content).toMatch(/timed out/i);
    const types = (await events(handle.workflowId)).map((e) => e.type);
    expect(types).toContain('input_timed_out');
    expect(types).not.toContain('input_received');
  });

  test('a tool call that fails for good while its question waits withdraws the question: the conversation goes on without it', async () => {
    const model = uniqueModel('agent');
    env.provider.script(model, [{ toolCalls: [{ name: 'brittle-ask', arguments: { question: 'Never answered?' } }] }, { text: 'Next answer.' }]);
    const handle = await env.start('agent', 'Ask me.', { ...agentSpec(model, ['brittle']), conversation: true });
    const runId = handle.workflowId;
    const asked = await eventually(async () => (await handle.query(stateQuery)).pendingInput);
    expect(asked).toMatchObject({ kind: 'elicitation', prompt: 'Never answered?' });

    // The call's one attempt times out: the turn fails, the conversation stays open, nobody is asked any more.
    const idle = await eventually(async () => {
      const run = (await running.api.get(`/runs/${runId}`)).body;
      return run.conversation?.lastTurn?.outcome === 'failed' && run;
    });
    expect(idle).toMatchObject({ status: 'idle', conversation: { lastTurn: { turn: 1, error: { message: expect.stringMatching(/timed out/i) } } } });
    expect(idle.pendingInput).toBeUndefined();

    const next = await running.api.post(`/runs/${runId}/messages?wait=30`, { input: 'And now?' });
    expect(next.body).toMatchObject({ status: 'idle', conversation: { lastTurn: { turn: 2, outcome: 'answered' } } });
    expect((await running.api.post(`/runs/${runId}/close`)).status).toBe(202);
    await handle.result();
    const marks = (await events(runId)).filter((e) => e.type.startsWith('input_')).map((e) => [e.type, e.data.requestId]);
    expect(marks).toEqual([
      ['input_requested', asked.requestId],
      ['input_timed_out', asked.requestId],
    ]);
  });

  test('two runs asking at once over one HTTP session: each question goes to the run whose call asked it', async () => {
    const [modelA, modelB] = [uniqueModel('agent'), uniqueModel('agent')];
    env.provider.script(modelA, [{ toolCalls: [{ name: 'fixture-ask', arguments: { question: 'First?' } }] }, { text: 'A done.' }]);
    env.provider.script(modelB, [{ toolCalls: [{ name: 'fixture-ask', arguments: { question: 'Second?' } }] }, { text: 'B done.' }]);
    const runA = await env.start('agent', 'Ask.', agentSpec(modelA, ['fixture']));
    const runB = await env.start('agent', 'Ask.', agentSpec(modelB, ['fixture']));
    const [pendingA, pendingB] = await Promise.all(
      [runA, runB].map((handle) => eventually(async () => (await handle.query(stateQuery)).pendingInput)),
    );
    // Both calls are in flight on the worker's one session with the fixture at this point.
    expect(pendingA.prompt).toBe('First?');
    expect(pendingB.prompt).toBe('Second?');
    await running.api.post(`/runs/${runB.workflowId}/input`, { value: { action: 'accept', content: { name: 'Two' } } });
    await running.api.post(`/runs/${runA.workflowId}/input`, { value: { action: 'accept', content: { name: 'One' } } });
    await Promise.all([runA.result(), runB.result()]);
    expect(toolResultsSeen(env.provider.requests(modelA)[1])[0].content).toContain('"content":{"name":"One"}');
    expect(toolResultsSeen(env.provider.requests(modelB)[1])[0].content).toContain('"content":{"name":"Two"}');
  });

  test('over stdio, a server that may ask gets a session per call in flight: a question during parallel calls reaches its own', async () => {
    const model = uniqueModel('agent');
    env.provider.script(model, [
      {
        toolCalls: [
          { name: 'local-slow', arguments: { ms: 1500 } },
          { name: 'local-ask', arguments: { question: 'Whose?' } },
          { name: 'local-whoami', arguments: {} },
        ],
      },
      { text: 'ok' },
    ]);
    const handle = await env.start('agent', 'Go.', agentSpec(model, ['local']));
    const pending = await eventually(async () => (await handle.query(stateQuery)).pendingInput);
    expect(pending).toMatchObject({ kind: 'elicitation', prompt: 'Whose?' });
    await running.api.post(`/runs/${handle.workflowId}/input`, { value: { action: 'accept', content: { name: 'Mine' } } });
    await handle.result();
    const results = toolResultsSeen(env.provider.requests(model)[1]);
    expect(results[0].content).toBe('slept 1500 ms');
    expect(results[1].content).toContain('"content":{"name":"Mine"}');
    // Calls at once run on sessions of their own: here, different server processes.
    const pids = new Set([results[1].content.match(/pid (\d+)/)![1], results[2].content]);
    expect(pids.size).toBe(2);
  });

  test('over stdio, a server with neither sampling nor elicitation configured shares one session: a question asked while two calls are in flight is refused', async () => {
    const model = uniqueModel('agent');
    env.provider.script(model, [
      {
        toolCalls: [
          { name: 'plain-slow', arguments: { ms: 1500 } },
          { name: 'plain-ask', arguments: { question: 'Whose?' } },
        ],
      },
      { text: 'ok' },
    ]);
    const handle = await env.start('agent', 'Go.', agentSpec(model, ['plain']));
    await handle.result();
    const results = toolResultsSeen(env.provider.requests(model)[1]);
    expect(results[0].content).toBe('slept 1500 ms');
    expect(results[1].content).toContain(
      'MCP error -32600: mcp-agent-temporal answers elicitation/create only during a tool call; it came while 2 tool calls were in flight on one session',
    );
    expect(results[1].content).not.toMatch(/MCP error -?\d+: MCP error/);
  });

  test("a child agent's question is the parent run's pending input, answered and checked through the parent", async () => {
    const model = uniqueModel('child');
    env.provider.script(model, [{ toolCalls: [{ name: 'fixture-ask', arguments: { question: 'Child asks?' } }] }, { text: 'Child done.' }]);
    const spec = { type: 'parallel', fan_out: [{ name: 'asker', instruction: 'You ask.', provider: 'openai', model, servers: ['fixture'] }] };
    const handle = await env.start('parallel', 'Go.', spec);
    const run = await eventually(async () => {
      const reply = await running.api.get(`/runs/${handle.workflowId}`);
      return reply.body.pendingInput ? reply.body : undefined;
    });
    expect(run.pendingInput).toMatchObject({ kind: 'elicitation', prompt: 'Child asks?', schema: { required: ['name'] } });
    expect((await running.api.post(`/runs/${handle.workflowId}/input`, { value: { action: 'accept', content: {} } })).status).toBe(422);
    const accepted = await running.api.post(`/runs/${handle.workflowId}/input`, { value: { action: 'accept', content: { name: 'Kid' } } });
    expect(accepted.status).toBe(202);
    await handle.result();
    expect(toolResultsSeen(env.provider.requests(model)[1])[0].content).toContain('"content":{"name":"Kid"}');
  });

  test('a server whose calls run as local activities is refused: the workflow task waits on the call, so the run cannot answer', async () => {
    const model = uniqueModel('agent');
    env.provider.script(model, [{ toolCalls: [{ name: 'inline-ask', arguments: {} }] }, { text: 'ok' }]);
    const handle = await env.start('agent', 'Ask.', agentSpec(model, ['inline']));
    await handle.result();
    const [refused] = toolResultsSeen(env.provider.requests(model)[1]);
    expect(refused.content).toContain('MCP error -32600: mcp-agent-temporal cannot answer elicitation/create for this call (a local activity');
    expect(refused.content).not.toMatch(/MCP error -?\d+: MCP error/);
  });
});
