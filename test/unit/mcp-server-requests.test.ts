import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withoutMediaData } from '../../activities/server-requests';
import { ConversationStore } from '../../src/conversation/store';
import { FileBlobStore } from '../../src/storage/file-store';
import { toOpenAiParams } from '../../src/llm/openai';
import { elicitationAnswerProblem, samplingLlmRequest, samplingResult, serverRequestKey } from '../../src/mcp/server-requests';

/** A 1x1 PNG. */
const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

const schema = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 10 },
    email: { type: 'string', format: 'email' },
    born: { type: 'string', format: 'date' },
    age: { type: 'integer', minimum: 0, maximum: 150 },
    score: { type: 'number' },
    agree: { type: 'boolean' },
    colour: { type: 'string', enum: ['red', 'green'] },
    size: { type: 'string', oneOf: [{ const: 's', title: 'Small' }, { const: 'l', title: 'Large' }] },
    tags: { type: 'array', minItems: 1, maxItems: 2, items: { type: 'string', enum: ['a', 'b', 'c'] } },
  },
  required: ['name'],
};

describe('elicitation answers', () => {
  it.each([
    [{ action: 'accept', content: { name: 'Ada' } }],
    [{ action: 'accept', content: { name: 'Ada', email: 'ada@example.org', born: '1815-12-10', age: 36, score: 1.5, agree: true } }],
    [{ action: 'accept', content: { name: 'Ada', colour: 'red', size: 'l', tags: ['a', 'c'] } }],
    [{ action: 'decline' }],
    [{ action: 'cancel' }],
  ])('takes %j', (value) => {
    expect(elicitationAnswerProblem(schema, value)).toBeUndefined();
  });

  it.each([
    ['Ada', 'send {"action"'],
    [{ action: 'accept' }, 'an accept needs "content"'],
    [{ action: 'accept', content: {} }, 'content.name is required'],
    [{ action: 'accept', content: { name: '' } }, 'content.name needs at least 1 character(s)'],
    [{ action: 'accept', content: { name: 'Ada', age: 1.5 } }, 'content.age must be an integer'],
    [{ action: 'accept', content: { name: 'Ada', age: 200 } }, 'content.age must be at most 150'],
    [{ action: 'accept', content: { name: 'Ada', age: '36' } }, 'content.age must be an integer'],
    [{ action: 'accept', content: { name: 'Ada', agree: 'yes' } }, 'content.agree must be true or false'],
    [{ action: 'accept', content: { name: 'Ada', email: 'nope' } }, 'content.email must be an email address'],
    [{ action: 'accept', content: { name: 'Ada', born: '10/12/1815' } }, 'content.born must be a date'],
    [{ action: 'accept', content: { name: 'Ada', colour: 'blue' } }, 'content.colour must be one of ["red","green"]'],
    [{ action: 'accept', content: { name: 'Ada', size: 'm' } }, 'content.size must be one of ["s","l"]'],
    [{ action: 'accept', content: { name: 'Ada', tags: [] } }, 'content.tags needs at least 1 item(s)'],
    [{ action: 'accept', content: { name: 'Ada', tags: ['d'] } }, 'content.tags has "d"'],
    [{ action: 'accept', content: { name: 'Ada', shoe: 9 } }, 'content.shoe is not asked for'],
    [{ action: 'decline', content: { name: 'Ada' } }, 'a decline carries no content'],
    [{ action: 'sure' }, '"action" must be'],
    [{ action: 'accept', content: { name: 'Ada' }, note: 1 }, 'unknown field(s) note'],
  ])('refuses %j', (value, problem) => {
    expect(elicitationAnswerProblem(schema, value)).toContain(problem);
  });
});

describe('sampling', () => {
  const settings = { provider: 'openai' as const, model: 'gpt-x', maxTokens: 100, approve: false };

  it('turns the request into a model call: text messages, the system prompt, the lower token cap (an image with its data, as histories recorded before images were stored have it, is a note)', () => {
    const request = samplingLlmRequest(
      {
        messages: [
          { role: 'user', content: { type: 'text', text: 'Hi' } },
          { role: 'assistant', content: { type: 'text', text: 'Hello' } },
          { role: 'user', content: { type: 'image', data: 'AAAA', mimeType: 'image/png' } },
        ],
        systemPrompt: 'Be brief.',
        maxTokens: 500,
        temperature: 0.2,
        stopSequences: ['END'],
      },
      settings,
    );
    expect(request).toEqual({
      provider: 'openai',
      model: 'gpt-x',
      system: 'Be brief.',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello', toolCalls: [] },
        { role: 'user', content: '[image content (image/png) omitted]' },
      ],
      tools: [],
      maxTokens: 100,
      temperature: 0.2,
      stopSequences: ['END'],
    });
    expect(samplingLlmRequest({ messages: [], maxTokens: 7 }, settings).maxTokens).toBe(7);
  });

  it('with tools: offers them with the tool choice (OpenAI wire), makes tool_use parts tool calls and tool_result parts tool results, and answers tool calls as tool_use', () => {
    const request = samplingLlmRequest(
      {
        messages: [
          { role: 'user', content: { type: 'text', text: 'Weather in Oslo and Rome?' } },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'Looking.' },
              { type: 'tool_use', id: 'u1', name: 'get_weather', input: { city: 'Oslo' } },
              { type: 'tool_use', id: 'u2', name: 'get_weather', input: { city: 'Rome' } },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', toolUseId: 'u1', content: [{ type: 'text', text: 'Rain' }] },
              { type: 'tool_result', toolUseId: 'u2', content: [], structuredContent: { sky: 'clear' }, isError: true },
            ],
          },
        ],
        tools: [{ name: 'get_weather', inputSchema: { type: 'object', properties: { city: { type: 'string' } } } }],
        toolChoice: { mode: 'required' },
        maxTokens: 50,
      },
      settings,
    );
    expect(request.messages).toEqual([
      { role: 'user', content: 'Weather in Oslo and Rome?' },
      {
        role: 'assistant',
        content: 'Looking.',
        toolCalls: [
          { id: 'u1', name: 'get_weather', arguments: { city: 'Oslo' } },
          { id: 'u2', name: 'get_weather', arguments: { city: 'Rome' } },
        ],
      },
      { role: 'tool', toolCallId: 'u1', name: 'get_weather', content: 'Rain', isError: false },
      { role: 'tool', toolCallId: 'u2', name: 'get_weather', content: '{"sky":"clear"}', isError: true },
    ]);
    const wire = toOpenAiParams(request);
    expect(wire.tools).toEqual([
      { type: 'function', function: { name: 'get_weather', description: '', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
    ]);
    expect(wire.tool_choice).toBe('required');

    const reply = samplingResult(
      {
        message: { role: 'assistant', content: '', toolCalls: [{ id: 'c9', name: 'get_weather', arguments: { city: 'Bergen' } }] },
        stopReason: 'tool_use',
        usage: { inputTokens: 1, outputTokens: 1 },
      },
      'gpt-x',
    );
    expect(reply).toEqual({
      role: 'assistant',
      content: [{ type: 'tool_use', id: 'c9', name: 'get_weather', input: { city: 'Bergen' } }],
      model: 'gpt-x',
      stopReason: 'toolUse',
    });
  });

  it('gives the model provider-safe names for tools MCP allows and providers refuse, and answers under the real names', () => {
    const params = {
      messages: [{ role: 'user' as const, content: { type: 'text' as const, text: 'Go' } }],
      tools: [
        { name: 'weather.get', inputSchema: { type: 'object' as const } },
        { name: 'weather_get', inputSchema: { type: 'object' as const } },
      ],
      maxTokens: 50,
    };
    expect(samplingLlmRequest(params, settings).tools.map((tool) => tool.name)).toEqual(['weather_get', 'weather_get_2']);
    const reply = samplingResult(
      {
        message: { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'weather_get', arguments: {} }, { id: 'c2', name: 'weather_get_2', arguments: {} }] },
        stopReason: 'tool_use',
        usage: { inputTokens: 1, outputTokens: 1 },
      },
      'gpt-x',
      params,
    );
    expect(reply.content).toEqual([
      { type: 'tool_use', id: 'c1', name: 'weather.get', input: {} },
      { type: 'tool_use', id: 'c2', name: 'weather_get', input: {} },
    ]);
    expect(reply.stopReason).toBe('toolUse');
  });

  it('sends stored images of user messages as images after the text, and notes for the rest', () => {
    const ref = { key: 'image/abc', mimeType: 'image/png', bytes: 70 };
    const request = samplingLlmRequest(
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image', mimeType: 'image/png', bytes: 70, ref },
              { type: 'audio', mimeType: 'audio/wav', bytes: 12 },
              { type: 'image', mimeType: 'image/svg+xml', bytes: 5000 },
            ],
          },
          { role: 'assistant', content: [{ type: 'text', text: 'A dot.' }, { type: 'image', mimeType: 'image/png', bytes: 70 }] },
          { role: 'user', content: { type: 'image', mimeType: 'image/png', bytes: 70, ref } },
        ],
        maxTokens: 50,
      },
      settings,
    );
    expect(request.messages).toEqual([
      { role: 'user', content: 'What is this?\n[audio content (audio/wav) omitted]\n[image content (image/svg+xml) omitted]', images: [ref] },
      { role: 'assistant', content: 'A dot.\n[image content (image/png) omitted]', toolCalls: [] },
      { role: 'user', content: '', images: [ref] },
    ]);
    expect(JSON.stringify(request)).not.toContain('data');
  });

  describe('the activity takes binary data out of a request before the run gets it', () => {
    let dir: string;
    let store: ConversationStore;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sampling-media-'));
      store = new ConversationStore(new FileBlobStore(dir), 1024);
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('stores the readable images of user messages and keeps only sizes of the rest', async () => {
      const inRun = await withoutMediaData(
        {
          kind: 'sampling',
          params: {
            messages: [
              { role: 'user', content: [{ type: 'text', text: 'Look' }, { type: 'image', data: PIXEL, mimeType: 'image/png' }, { type: 'audio', data: 'AAAA', mimeType: 'audio/wav' }] },
              { role: 'assistant', content: { type: 'image', data: PIXEL, mimeType: 'image/png' } },
              { role: 'user', content: { type: 'image', data: 'AAAA', mimeType: 'image/svg+xml' } },
            ],
            maxTokens: 10,
          },
        },
        store,
      );
      expect(JSON.stringify(inRun)).not.toContain(PIXEL);
      expect(JSON.stringify(inRun)).not.toContain('AAAA');
      if (inRun.kind !== 'sampling') throw new Error('not sampling');
      const [user, assistant, svg] = inRun.params.messages;
      const [, image, audio] = user.content as unknown as Array<Record<string, unknown>>;
      expect(image).toEqual({ type: 'image', mimeType: 'image/png', bytes: 70, ref: { key: expect.any(String), mimeType: 'image/png', bytes: 70 } });
      expect(audio).toEqual({ type: 'audio', mimeType: 'audio/wav', bytes: 3 });
      expect(assistant.content).toEqual({ type: 'image', mimeType: 'image/png', bytes: 70 });
      expect(svg.content).toEqual({ type: 'image', mimeType: 'image/svg+xml', bytes: 3 });

      // What the model is sent: the stored bytes, read back.
      const llmRequest = samplingLlmRequest(inRun.params, settings);
      const [resolved] = await store.resolve(llmRequest.messages, { images: true });
      expect(resolved).toMatchObject({ role: 'user', content: 'Look\n[audio content (audio/wav) omitted]', images: [{ mimeType: 'image/png', data: PIXEL }] });
    });

    it("takes the data out of a tool result's images, audio and resources too, which reach the model as notes in the tool result", async () => {
      const inRun = await withoutMediaData(
        {
          kind: 'sampling',
          params: {
            messages: [
              { role: 'assistant', content: { type: 'tool_use', id: 'call-1', name: 'snap', input: {} } },
              {
                role: 'user',
                content: {
                  type: 'tool_result',
                  toolUseId: 'call-1',
                  content: [
                    { type: 'text', text: 'Here.' },
                    { type: 'image', data: PIXEL, mimeType: 'image/png' },
                    { type: 'audio', data: 'AAAA', mimeType: 'audio/wav' },
                    { type: 'resource', resource: { uri: 'file:///shot.png', mimeType: 'image/png', blob: PIXEL } },
                    { type: 'resource', resource: { uri: 'file:///a.txt', text: 'plain' } },
                  ],
                },
              },
            ],
            maxTokens: 10,
          },
        },
        store,
      );
      expect(JSON.stringify(inRun)).not.toContain(PIXEL);
      expect(JSON.stringify(inRun)).not.toContain('AAAA');
      if (inRun.kind !== 'sampling') throw new Error('not sampling');
      expect(inRun.params.messages[1].content).toEqual({
        type: 'tool_result',
        toolUseId: 'call-1',
        content: [
          { type: 'text', text: 'Here.' },
          { type: 'image', mimeType: 'image/png', bytes: 70 },
          { type: 'audio', mimeType: 'audio/wav', bytes: 3 },
          { type: 'resource', resource: { uri: 'file:///shot.png', mimeType: 'image/png', bytes: 70 } },
          { type: 'resource', resource: { uri: 'file:///a.txt', text: 'plain' } },
        ],
      });
      expect(samplingLlmRequest(inRun.params, settings).messages[1]).toEqual({
        role: 'tool',
        toolCallId: 'call-1',
        name: 'snap',
        content: 'Here.\n[image content (image/png) omitted]\n[audio content (audio/wav) omitted]\n[resource file:///shot.png (image/png) omitted]\nplain',
        isError: false,
      });
    });

    it('passes an elicitation through as it is', async () => {
      const request = { kind: 'elicitation' as const, params: { message: 'Name?', requestedSchema: { type: 'object' as const, properties: {} } } };
      expect(await withoutMediaData(request, store)).toBe(request);
    });
  });

  it('answers with the reply as MCP has it', () => {
    const reply = samplingResult(
      { message: { role: 'assistant', content: 'Short.', toolCalls: [] }, stopReason: 'max_tokens', usage: { inputTokens: 1, outputTokens: 1 } },
      'gpt-x',
    );
    expect(reply).toEqual({ role: 'assistant', content: { type: 'text', text: 'Short.' }, model: 'gpt-x', stopReason: 'maxTokens' });
  });

  it('keys a request by activity, sequence and digest', () => {
    expect(serverRequestKey('7', 2, 'abc')).toBe('mcp_server_request.7.2.abc');
  });
});
