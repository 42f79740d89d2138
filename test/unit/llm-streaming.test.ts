import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createLlmActivities, type LlmActivityDeps } from '../../activities/llm';
import type { RunEvent } from '../../client/run-events';
import { DeltaGate } from '../../src/api/delta-gate';
import type { LlmDeltaEvent } from '../../src/streaming/messages';
import { AnthropicStreamAssembler } from '../../src/llm/anthropic-stream';
import { mergeDeltas, type ReplyDelta } from '../../src/llm/deltas';
import type { LlmRequest, LlmResponse } from '../../src/llm/messages';
import { OpenAiStreamAssembler } from '../../src/llm/openai-stream';
import type { CallIdentity, DeltaPublisher } from '../../src/streaming/nats';
import { natsServers } from '../../src/streaming/nats';
import { inTree, runSubject, treeSubjects } from '../../src/streaming/subjects';
import { startScriptedProvider, type ScriptedProvider, type ScriptedReply } from '../../src/testing/scripted-model';
import { scratchConversationStore, singleRequest } from '../support/stores';

/**
 * Delta assembly: a streamed reply, event by event, becomes the reply the non-streaming call
 * returns, and says what each event added. Then the real activity through the real SDK clients
 * against the scripted provider's streams: the same result as without streaming, and the deltas.
 */

describe('Anthropic stream assembly', () => {
  it('assembles text and tool calls, with usage from both ends of the stream', () => {
    const assembler = new AnthropicStreamAssembler();
    const deltas: ReplyDelta[] = [];
    const events = [
      { type: 'message_start', message: { usage: { input_tokens: 12, output_tokens: 1, cache_read_input_tokens: 3 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Let me ' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'add.' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'thinking', thinking: '' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'thinking_delta', thinking: 'hmm' } },
      { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_1', name: 'sum', input: {} } },
      { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"a": 1,' } },
      { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: ' "b": 2}' } },
      { type: 'content_block_start', index: 3, content_block: { type: 'tool_use', id: 'toolu_2', name: 'noargs', input: {} } },
      { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 17 } },
      { type: 'message_stop' },
    ];
    for (const event of events.slice(0, -1)) deltas.push(...assembler.push(event));
    // A clean end of the connection before message_stop is not a whole reply.
    expect(assembler.complete).toBe(false);
    deltas.push(...assembler.push(events.at(-1)!));
    expect(assembler.complete).toBe(true);
    expect(assembler.reply()).toEqual({
      content: [
        { type: 'text', text: 'Let me add.' },
        { type: 'tool_use', id: 'toolu_1', name: 'sum', input: { a: 1, b: 2 } },
        { type: 'tool_use', id: 'toolu_2', name: 'noargs', input: {} },
      ],
      stop_reason: 'tool_use',
      usage: { input_tokens: 12, output_tokens: 17, cache_read_input_tokens: 3 },
    });
    expect(deltas).toEqual([
      { kind: 'text', text: 'Let me ' },
      { kind: 'text', text: 'add.' },
      { kind: 'tool_call', index: 0, id: 'toolu_1', name: 'sum', arguments: '' },
      { kind: 'tool_call', index: 0, arguments: '{"a": 1,' },
      { kind: 'tool_call', index: 0, arguments: ' "b": 2}' },
      { kind: 'tool_call', index: 1, id: 'toolu_2', name: 'noargs', arguments: '' },
    ]);
  });
});

describe('OpenAI stream assembly', () => {
  it('assembles content and tool calls split over chunks, and the usage chunk', () => {
    const assembler = new OpenAiStreamAssembler();
    const deltas: ReplyDelta[] = [];
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({ choices: [{ index: 0, delta, finish_reason: finish }] });
    const chunks = [
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Sum' }),
      chunk({ content: 'ming.' }),
      // Some servers number calls from 1, and send the name in pieces.
      chunk({ tool_calls: [{ index: 1, id: 'call_a', type: 'function', function: { name: 'su', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 1, function: { name: 'm', arguments: '{"a":' } }] }),
      chunk({ tool_calls: [{ index: 1, function: { arguments: '1}' } }] }),
      chunk({ tool_calls: [{ index: 2, id: 'call_b', type: 'function', function: { name: 'other', arguments: '{}' } }] }),
      { choices: [{ index: 1, delta: { content: 'second choice, ignored' }, finish_reason: null }] },
      chunk({}, 'tool_calls'),
      { choices: [], usage: { prompt_tokens: 20, completion_tokens: 9, total_tokens: 29 } },
    ];
    for (const c of chunks.slice(0, -2)) deltas.push(...assembler.push(c));
    expect(assembler.complete).toBe(false);
    for (const c of chunks.slice(-2)) deltas.push(...assembler.push(c));
    expect(assembler.complete).toBe(true);
    expect(assembler.reply()).toEqual({
      choices: [
        {
          message: {
            content: 'Summing.',
            refusal: null,
            tool_calls: [
              { id: 'call_a', type: 'function', function: { name: 'sum', arguments: '{"a":1}' } },
              { id: 'call_b', type: 'function', function: { name: 'other', arguments: '{}' } },
            ],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 20, completion_tokens: 9 },
    });
    expect(mergeDeltas(deltas)).toEqual([
      { kind: 'text', text: 'Summing.' },
      { kind: 'tool_call', index: 0, id: 'call_a', name: 'su', arguments: '' },
      { kind: 'tool_call', index: 0, name: 'sum', arguments: '{"a":1}' },
      { kind: 'tool_call', index: 1, id: 'call_b', name: 'other', arguments: '{}' },
    ]);
  });

  it('keeps a reply with no usage chunk at zero tokens, and a refusal as the text', () => {
    const assembler = new OpenAiStreamAssembler();
    assembler.push({ choices: [{ index: 0, delta: { refusal: 'I cannot.' }, finish_reason: 'stop' }] });
    expect(assembler.reply()).toEqual({ choices: [{ message: { content: null, refusal: 'I cannot.' }, finish_reason: 'stop' }] });
  });
});

describe('DeltaGate', () => {
  const delta = (runId: string, activityId: string, text: string): LlmDeltaEvent => ({
    type: 'llm_delta',
    at: '2026-01-01T00:00:00.000Z',
    data: { kind: 'text', text, runId, activityId, attempt: 1, seq: 0 },
  });
  const event = (type: 'llm_started' | 'llm_finished', activityId: string): RunEvent => ({ id: '0-1', type, at: '', data: { activityId } });

  it('holds a delta of the run’s own call until its llm_started, and drops one after its llm_finished', () => {
    const gate = new DeltaGate('r');
    const early = delta('r', '5', 'early');
    expect(gate.live(early)).toEqual([]);
    expect(gate.durable(event('llm_started', '5'))).toEqual([early]);
    const during = delta('r', '5', 'during');
    expect(gate.live(during)).toEqual([during]);
    expect(gate.durable(event('llm_finished', '5'))).toEqual([]);
    expect(gate.live(delta('r', '5', 'late'))).toEqual([]);
  });

  it('passes a child’s deltas at once: their llm events are in the child’s own stream', () => {
    const gate = new DeltaGate('r');
    const child = delta('r/finder-1', '1', 'x');
    expect(gate.live(child)).toEqual([child]);
  });

  it('takes a call of the next execution (activity ids start again) for a new one, not a finished one', () => {
    let now = 0;
    const gate = new DeltaGate('r', 100, () => now);
    gate.durable(event('llm_started', '1'));
    gate.durable(event('llm_finished', '1'));
    const next = delta('r', '1', 'new execution');
    // Still reading the first execution: dropped as late, unless the call finished long ago.
    expect(gate.live(next)).toEqual([]);
    now = 60_000;
    expect(gate.live(next)).toEqual([]);
    expect(gate.durable({ id: '1-5', type: 'llm_started', at: '', data: { activityId: '1' } })).toEqual([next]);
    // Reaching the next execution forgets the first one's finished calls.
    const gate2 = new DeltaGate('r', 100, () => 0);
    gate2.durable(event('llm_started', '2'));
    gate2.durable(event('llm_finished', '2'));
    gate2.durable({ id: '1-1', type: 'run_started', at: '', data: {} });
    const early = delta('r', '2', 'early');
    expect(gate2.live(early)).toEqual([]);
    expect(gate2.durable({ id: '1-9', type: 'llm_started', at: '', data: { activityId: '2' } })).toEqual([early]);
  });

  it('holds a bounded number per call', () => {
    const gate = new DeltaGate('r', 2);
    for (const text of ['a', 'b', 'c']) gate.live(delta('r', '7', text));
    expect(gate.durable(event('llm_started', '7')).map((d) => d.data.kind === 'text' && d.data.text)).toEqual(['a', 'b']);
  });
});

describe('mergeDeltas', () => {
  it('merges neighbours of the same text or call, never across calls or a call start', () => {
    expect(
      mergeDeltas([
        { kind: 'text', text: 'a' },
        { kind: 'text', text: 'b' },
        { kind: 'tool_call', index: 0, id: 'x', name: 'n', arguments: '{' },
        { kind: 'tool_call', index: 0, arguments: '}' },
        { kind: 'tool_call', index: 1, id: 'y', name: 'm', arguments: '' },
        { kind: 'text', text: 'c' },
      ]),
    ).toEqual([
      { kind: 'text', text: 'ab' },
      { kind: 'tool_call', index: 0, id: 'x', name: 'n', arguments: '{}' },
      { kind: 'tool_call', index: 1, id: 'y', name: 'm', arguments: '' },
      { kind: 'text', text: 'c' },
    ]);
  });
});

describe('natsServers', () => {
  it('takes a cluster and the credentials in a URL, which the client itself would ignore', () => {
    expect(natsServers('nats://127.0.0.1:4222')).toEqual({ servers: ['nats://127.0.0.1:4222'] });
    expect(natsServers('nats://app:s%40cret@a:4222, nats://b:4222')).toEqual({ servers: ['nats://a:4222', 'nats://b:4222'], user: 'app', pass: 's@cret' });
    expect(natsServers('tls://tok3n@nats.example:4443')).toEqual({ servers: ['tls://nats.example:4443'], token: 'tok3n', tls: {} });
  });

  it('requires TLS when a URL says tls://, which the client itself does not read', () => {
    expect(natsServers('tls://a:4222,nats://b:4222')).toEqual({ servers: ['tls://a:4222', 'nats://b:4222'], tls: {} });
    expect(natsServers('nats://a:4222,b:4222').tls).toBeUndefined();
  });
});

describe('subjects', () => {
  it('puts a run tree under one subject, whatever its id holds', () => {
    const root = runSubject('mcp-agent.deltas', 'default', 'run.1 *>/x');
    expect(root).toMatch(/^mcp-agent\.deltas(\.[A-Za-z0-9_-]+)+$/);
    const child = runSubject('mcp-agent.deltas', 'default', 'run.1 *>/x/finder-1');
    expect(child.startsWith(`${root}.`)).toBe(true);
    expect(treeSubjects('mcp-agent.deltas', 'default', 'run.1 *>/x')).toEqual([root, `${root}.>`]);
  });

  it('tells children from runs whose ids only start with the root', () => {
    expect(inTree('r', 'r')).toBe(true);
    expect(inTree('r', 'r/finder-1')).toBe(true);
    expect(inTree('r', 'r/orchestrator-2/planner-1')).toBe(true);
    expect(inTree('r', 'r/someone else')).toBe(false);
    expect(inTree('r', 'rr/finder-1')).toBe(false);
  });
});

describe('the LLM activity streaming through the real SDK clients', () => {
  let provider: ScriptedProvider;
  let models = 0;
  const calls: Array<{ call: CallIdentity; deltas: ReplyDelta[] }> = [];
  const publisher: DeltaPublisher = {
    forCall(call) {
      const entry = { call, deltas: [] as ReplyDelta[] };
      calls.push(entry);
      return { sink: (delta) => entry.deltas.push(delta), flush: async () => undefined };
    },
    toolEvent: () => undefined,
    close: async () => undefined,
  };

  beforeAll(async () => {
    provider = await startScriptedProvider();
  });
  afterAll(() => provider.close());

  function deps(streaming: boolean): LlmActivityDeps {
    return {
      anthropic: { api_key: 'k', base_url: provider.anthropicBaseUrl },
      openai: { api_key: 'k', base_url: provider.openaiBaseUrl },
      conversations: scratchConversationStore(),
      ...(streaming && { deltas: publisher }),
    };
  }

  function request(provider: LlmRequest['provider'], model: string, extra: Partial<LlmRequest> = {}): LlmRequest {
    return {
      provider,
      model,
      messages: [{ role: 'user', content: 'What is 1+2?' }],
      tools: [{ name: 'sum', description: 'Adds', inputSchema: { type: 'object' } }],
      maxTokens: 100,
      ...extra,
    };
  }

  async function both(providerName: LlmRequest['provider'], reply: ScriptedReply, extra: Partial<LlmRequest> = {}) {
    const model = `stream-model-${++models}`;
    provider.script(model, [reply, reply]);
    const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    const plain: LlmResponse = await env.run(singleRequest(createLlmActivities(deps(false)).llmGenerate), request(providerName, model, extra));
    const before = calls.length;
    const streamed: LlmResponse = await env.run(singleRequest(createLlmActivities(deps(true)).llmGenerate), request(providerName, model, extra));
    const [first, second] = provider.requests(model);
    expect([first.stream, second.stream]).toEqual([false, true]);
    expect(calls.length).toBe(before + 1);
    return { plain, streamed, deltas: calls.at(-1)!.deltas, call: calls.at(-1)!.call };
  }

  const toolReply: ScriptedReply = {
    text: 'Adding them up for you.',
    toolCalls: [
      { name: 'sum', arguments: { a: 1, b: 2 }, id: 'call-1' },
      { name: 'sum', arguments: { a: 3, b: 4 }, id: 'call-2' },
    ],
    usage: { input: 31, output: 13 },
    chunkChars: 4,
  };

  for (const providerName of ['anthropic', 'openai'] as const) {
    it(`${providerName}: the same result as without streaming, with text and argument deltas`, async () => {
      const { plain, streamed, deltas, call } = await both(providerName, toolReply);
      expect(streamed).toEqual(plain);
      expect(streamed.usage).toMatchObject({ inputTokens: 31, outputTokens: 13 });
      expect(streamed.message.toolCalls.map((c) => c.arguments)).toEqual([{ a: 1, b: 2 }, { a: 3, b: 4 }]);
      expect(call).toMatchObject({ workflowId: expect.any(String), activityId: expect.any(String), attempt: 1 });
      const merged = mergeDeltas(deltas);
      expect(merged).toEqual([
        { kind: 'text', text: 'Adding them up for you.' },
        { kind: 'tool_call', index: 0, id: 'call-1', name: 'sum', arguments: '{"a":1,"b":2}' },
        { kind: 'tool_call', index: 1, id: 'call-2', name: 'sum', arguments: '{"a":3,"b":4}' },
      ]);
      // Really in pieces: 23 characters of text in chunks of 4.
      expect(deltas.filter((d) => d.kind === 'text')).toHaveLength(6);
    });

    it(`${providerName}: with \`stream: false\` in its config, calls are plain requests and publish nothing`, async () => {
      const model = `stream-model-${++models}`;
      provider.script(model, [toolReply]);
      const streaming = deps(true);
      const off = { ...streaming, [providerName]: { ...streaming[providerName], stream: false } };
      const before = calls.length;
      const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
      const reply: LlmResponse = await env.run(singleRequest(createLlmActivities(off).llmGenerate), request(providerName, model));
      expect(provider.requests(model).map((r) => r.stream)).toEqual([false]);
      expect(calls.length).toBe(before);
      expect(reply.message.toolCalls).toHaveLength(2);
    });

    it(`${providerName}: a structured reply streams to the same value`, async () => {
      const output = { name: 'answer', schema: { type: 'object', properties: { sum: { type: 'number' } } } };
      const { plain, streamed, deltas } = await both(providerName, { json: { sum: 3 }, chunkChars: 3 }, { output, tools: [] });
      expect(streamed).toEqual(plain);
      expect(streamed.structured).toEqual({ sum: 3 });
      expect(deltas.length).toBeGreaterThan(1);
    });

    it(`${providerName}: a stream cut short fails the attempt (Temporal retries it) rather than pass for a whole reply`, async () => {
      const model = `stream-model-${++models}`;
      provider.script(model, [{ text: 'A long answer that never ends.', chunkChars: 4, streamEndsAfter: 4 }]);
      const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
      await expect(env.run(singleRequest(createLlmActivities(deps(true)).llmGenerate), request(providerName, model))).rejects.toThrow(
        `the ${providerName} stream ended before the reply was complete`,
      );
    });

    it(`${providerName}: an error before the stream fails the same way`, async () => {
      const model = `stream-model-${++models}`;
      provider.script(model, [{ status: 400, message: 'bad request' }]);
      const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
      await expect(env.run(singleRequest(createLlmActivities(deps(true)).llmGenerate), request(providerName, model))).rejects.toMatchObject({
        nonRetryable: true,
      });
    });
  }

  it('a slow stream hands over its first delta long before the reply ends', async () => {
    const model = `stream-model-${++models}`;
    provider.script(model, [{ text: 'one two three four', chunkChars: 4, chunkDelayMs: 150 }]);
    // What each delta found when it arrived: whether the call had already returned.
    const arrivals: Array<{ at: number; callDone: boolean }> = [];
    let callDone = false;
    const slow: DeltaPublisher = {
      forCall: () => ({ sink: () => void arrivals.push({ at: performance.timeOrigin + performance.now(), callDone }), flush: async () => undefined }),
      toolEvent: () => undefined,
      close: async () => undefined,
    };
    const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    await env.run(singleRequest(createLlmActivities({ ...deps(true), deltas: slow }).llmGenerate), request('openai', model));
    callDone = true;
    // Five chunks 150 ms apart, handed over as they came (a reply read whole would hand them all
    // over at once), all while the call was still waiting for the rest.
    expect(arrivals).toHaveLength(5);
    expect(arrivals.every((arrival) => !arrival.callDone)).toBe(true);
    expect(arrivals[4].at - arrivals[0].at).toBeGreaterThanOrEqual(150);
    expect(provider.requests(model)[0].firstChunkAt).toBeLessThanOrEqual(arrivals[0].at);
  });
});
