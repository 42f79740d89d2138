import { fromAnthropicReply, toAnthropicParams } from '../../src/llm/anthropic';
import { openAiTokenLimitField } from '../../src/llm/clients';
import type { LlmRequest, Message, ToolDefinition } from '../../src/llm/messages';
import { fromOpenAiReply, parseArguments, toOpenAiParams } from '../../src/llm/openai';

const sumTool: ToolDefinition = {
  name: 'everything-get-sum',
  description: 'Adds two numbers',
  inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
};

/** A turn with two parallel tool calls, one failing, then a follow-up question. */
const conversation: Message[] = [
  { role: 'user', content: 'What is 1+2 and 3+4?' },
  {
    role: 'assistant',
    content: 'Let me add.',
    toolCalls: [
      { id: 'call_a', name: 'everything-get-sum', arguments: { a: 1, b: 2 } },
      { id: 'call_b', name: 'everything-get-sum', arguments: { a: 3, b: 4 } },
    ],
  },
  { role: 'tool', toolCallId: 'call_a', name: 'everything-get-sum', content: '3', isError: false },
  { role: 'tool', toolCallId: 'call_b', name: 'everything-get-sum', content: 'overflow', isError: true },
  { role: 'assistant', content: 'The first is 3; the second failed.', toolCalls: [] },
  { role: 'user', content: 'Thanks' },
];

function request(overrides: Partial<LlmRequest> = {}): LlmRequest {
  return {
    provider: 'anthropic',
    model: 'model-x',
    system: 'You add numbers.',
    messages: conversation,
    tools: [sumTool],
    maxTokens: 1024,
    ...overrides,
  };
}

describe('toAnthropicParams', () => {
  it('puts the system prompt, the token limit and the tools where the Messages API wants them', () => {
    const params = toAnthropicParams(request());
    expect(params.model).toBe('model-x');
    expect(params.system).toBe('You add numbers.');
    expect(params.max_tokens).toBe(1024);
    expect(params.tools).toEqual([
      { name: 'everything-get-sum', description: 'Adds two numbers', input_schema: sumTool.inputSchema },
    ]);
  });

  it('writes tool calls as tool_use blocks and groups the turn’s tool results into one user message', () => {
    expect(toAnthropicParams(request()).messages).toEqual([
      { role: 'user', content: 'What is 1+2 and 3+4?' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me add.' },
          { type: 'tool_use', id: 'call_a', name: 'everything-get-sum', input: { a: 1, b: 2 } },
          { type: 'tool_use', id: 'call_b', name: 'everything-get-sum', input: { a: 3, b: 4 } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_a', content: '3' },
          { type: 'tool_result', tool_use_id: 'call_b', content: 'overflow', is_error: true },
        ],
      },
      { role: 'assistant', content: [{ type: 'text', text: 'The first is 3; the second failed.' }] },
      { role: 'user', content: 'Thanks' },
    ]);
  });

  it('keeps a user message that directly follows tool results in the same user turn, after them', () => {
    const messages: Message[] = [
      { role: 'user', content: 'Go' },
      { role: 'assistant', content: '', toolCalls: [{ id: 't1', name: 'human_input', arguments: {} }] },
      { role: 'tool', toolCallId: 't1', name: 'human_input', content: 'yes', isError: false },
      { role: 'user', content: 'And hurry.' },
    ];
    const params = toAnthropicParams(request({ messages }));
    expect(params.messages).toEqual([
      { role: 'user', content: 'Go' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'human_input', input: {} }] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 't1', content: 'yes' },
          { type: 'text', text: 'And hurry.' },
        ],
      },
    ]);
  });

  it('leaves out an absent system prompt and an empty tool list', () => {
    const params = toAnthropicParams(request({ system: undefined, tools: [] }));
    expect(params).not.toHaveProperty('system');
    expect(params).not.toHaveProperty('tools');
  });

  it('sends temperature, stop sequences and one tool call at a time when the agent sets them', () => {
    const params = toAnthropicParams(request({ temperature: 0.7, stopSequences: ['END'], parallelToolCalls: false }));
    expect(params).toMatchObject({
      temperature: 0.7,
      stop_sequences: ['END'],
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
    });
    const plain = toAnthropicParams(request());
    for (const key of ['temperature', 'stop_sequences', 'tool_choice']) expect(plain).not.toHaveProperty(key);
    // Without tools there is no tool choice to make.
    expect(toAnthropicParams(request({ tools: [], parallelToolCalls: false }))).not.toHaveProperty('tool_choice');
  });

  it('always declares the input schema an object, as Anthropic requires', () => {
    const params = toAnthropicParams(request({ tools: [{ name: 'ping', description: 'Pings', inputSchema: {} }] }));
    expect(params.tools).toEqual([{ name: 'ping', description: 'Pings', input_schema: { type: 'object' } }]);
  });
});

describe('fromAnthropicReply', () => {
  it('joins text blocks and counts cached prompt tokens as input', () => {
    const response = fromAnthropicReply({
      content: [
        { type: 'thinking', text: undefined },
        { type: 'text', text: 'The answer ' },
        { type: 'text', text: 'is 3.' },
      ],
      stop_reason: 'end_turn',
      usage: { input_tokens: 12, output_tokens: 7, cache_creation_input_tokens: 100, cache_read_input_tokens: 50 },
    });
    expect(response).toEqual({
      message: { role: 'assistant', content: 'The answer is 3.', toolCalls: [] },
      stopReason: 'end_turn',
      usage: { inputTokens: 162, outputTokens: 7 },
    });
  });

  it('reads parallel tool_use blocks as tool calls', () => {
    const response = fromAnthropicReply({
      content: [
        { type: 'text', text: 'Adding.' },
        { type: 'tool_use', id: 'toolu_1', name: 'everything-get-sum', input: { a: 1, b: 2 } },
        { type: 'tool_use', id: 'toolu_2', name: 'everything-get-sum', input: { a: 3, b: 4 } },
      ],
      stop_reason: 'tool_use',
      usage: { input_tokens: 5, output_tokens: 9, cache_creation_input_tokens: null, cache_read_input_tokens: null },
    });
    expect(response.stopReason).toBe('tool_use');
    expect(response.message).toEqual({
      role: 'assistant',
      content: 'Adding.',
      toolCalls: [
        { id: 'toolu_1', name: 'everything-get-sum', arguments: { a: 1, b: 2 } },
        { id: 'toolu_2', name: 'everything-get-sum', arguments: { a: 3, b: 4 } },
      ],
    });
    expect(response.usage).toEqual({ inputTokens: 5, outputTokens: 9 });
  });

  it.each([
    ['end_turn', 'end_turn'],
    ['stop_sequence', 'end_turn'],
    ['tool_use', 'tool_use'],
    ['max_tokens', 'max_tokens'],
    ['model_context_window_exceeded', 'max_tokens'],
    ['refusal', 'other'],
    ['pause_turn', 'other'],
    [null, 'other'],
  ])('maps stop_reason %s to %s', (stopReason, expected) => {
    const response = fromAnthropicReply({
      content: [{ type: 'text', text: '' }],
      stop_reason: stopReason,
      usage: { input_tokens: 1, output_tokens: 1 },
    });
    expect(response.stopReason).toBe(expected);
  });
});

describe('toOpenAiParams', () => {
  it('sends the system message first, tool calls with JSON-string arguments and tool messages by id', () => {
    const params = toOpenAiParams(request({ provider: 'openai' }));
    expect(params.messages).toEqual([
      { role: 'system', content: 'You add numbers.' },
      { role: 'user', content: 'What is 1+2 and 3+4?' },
      {
        role: 'assistant',
        content: 'Let me add.',
        tool_calls: [
          { id: 'call_a', type: 'function', function: { name: 'everything-get-sum', arguments: '{"a":1,"b":2}' } },
          { id: 'call_b', type: 'function', function: { name: 'everything-get-sum', arguments: '{"a":3,"b":4}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_a', content: '3' },
      { role: 'tool', tool_call_id: 'call_b', content: 'Error: overflow' },
      { role: 'assistant', content: 'The first is 3; the second failed.' },
      { role: 'user', content: 'Thanks' },
    ]);
  });

  it('offers tools as functions', () => {
    expect(toOpenAiParams(request({ provider: 'openai' })).tools).toEqual([
      {
        type: 'function',
        function: { name: 'everything-get-sum', description: 'Adds two numbers', parameters: sumTool.inputSchema },
      },
    ]);
  });

  it('sends null content for an assistant turn that only calls tools', () => {
    const params = toOpenAiParams(
      request({
        provider: 'openai',
        messages: [{ role: 'assistant', content: '', toolCalls: [{ id: 'c', name: 'ping', arguments: {} }] }],
      }),
    );
    expect(params.messages.at(-1)).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'c', type: 'function', function: { name: 'ping', arguments: '{}' } }],
    });
  });

  it('names the token limit as asked, and passes temperature only when set', () => {
    const compatible = toOpenAiParams(request({ provider: 'openai', temperature: 0.2 }));
    expect(compatible.max_tokens).toBe(1024);
    expect(compatible).not.toHaveProperty('max_completion_tokens');
    expect(compatible.temperature).toBe(0.2);

    const official = toOpenAiParams(request({ provider: 'openai' }), 'max_completion_tokens');
    expect(official.max_completion_tokens).toBe(1024);
    expect(official).not.toHaveProperty('max_tokens');
    expect(official).not.toHaveProperty('temperature');
  });

  it('sends stop sequences, and parallel_tool_calls only beside tools', () => {
    const params = toOpenAiParams(request({ provider: 'openai', stopSequences: ['END'], parallelToolCalls: false }));
    expect(params).toMatchObject({ stop: ['END'], parallel_tool_calls: false });
    const toolless = toOpenAiParams(request({ provider: 'openai', tools: [], parallelToolCalls: false }));
    expect(toolless).not.toHaveProperty('parallel_tool_calls');
  });

  it('leaves out an absent system prompt and an empty tool list', () => {
    const params = toOpenAiParams(request({ provider: 'openai', system: undefined, tools: [] }));
    expect(params.messages[0]).toEqual({ role: 'user', content: 'What is 1+2 and 3+4?' });
    expect(params).not.toHaveProperty('tools');
  });
});

describe('openAiTokenLimitField', () => {
  it.each([
    [{}, 'max_completion_tokens'],
    [{ base_url: 'https://api.openai.com/v1' }, 'max_completion_tokens'],
    [{ base_url: '' }, 'max_completion_tokens'],
    [{ base_url: 'http://localhost:11434/v1' }, 'max_tokens'],
    [{ base_url: 'https://api.openai.com.example.net/v1' }, 'max_tokens'],
  ])('uses %j → %s', (settings, field) => {
    expect(openAiTokenLimitField(settings)).toBe(field);
  });
});

describe('fromOpenAiReply', () => {
  it('reads text and maps prompt and completion tokens', () => {
    const response = fromOpenAiReply({
      choices: [{ message: { content: 'Hello', refusal: null }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 21, completion_tokens: 4 },
    });
    expect(response).toEqual({
      message: { role: 'assistant', content: 'Hello', toolCalls: [] },
      stopReason: 'end_turn',
      usage: { inputTokens: 21, outputTokens: 4 },
    });
  });

  it('parses parallel tool calls’ arguments', () => {
    const response = fromOpenAiReply({
      choices: [
        {
          message: {
            content: null,
            tool_calls: [
              { id: 'call_1', type: 'function', function: { name: 'everything-get-sum', arguments: '{"a":1,"b":2}' } },
              { id: 'call_2', type: 'function', function: { name: 'everything-echo', arguments: '{"message":"hi"}' } },
            ],
          },
          finish_reason: 'tool_calls',
        },
      ],
    });
    expect(response).toEqual({
      message: {
        role: 'assistant',
        content: '',
        toolCalls: [
          { id: 'call_1', name: 'everything-get-sum', arguments: { a: 1, b: 2 } },
          { id: 'call_2', name: 'everything-echo', arguments: { message: 'hi' } },
        ],
      },
      stopReason: 'tool_use',
      usage: { inputTokens: 0, outputTokens: 0 },
    });
  });

  it('keeps arguments that are not a JSON object under _raw instead of failing', () => {
    const response = fromOpenAiReply({
      choices: [
        {
          message: {
            content: null,
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a": 1' } }],
          },
          finish_reason: 'tool_calls',
        },
      ],
    });
    expect(response.message.toolCalls).toEqual([{ id: 'call_1', name: 'f', arguments: { _raw: '{"a": 1' } }]);
  });

  it('calls it a tool turn when a compatible server says stop but sends tool calls', () => {
    const response = fromOpenAiReply({
      choices: [
        {
          message: { content: '', tool_calls: [{ id: 'x', type: 'function', function: { name: 'f', arguments: '{}' } }] },
          finish_reason: 'stop',
        },
      ],
    });
    expect(response.stopReason).toBe('tool_use');
  });

  it('ignores tool calls of other kinds than function', () => {
    const response = fromOpenAiReply({
      choices: [{ message: { content: 'ok', tool_calls: [{ id: 'x', type: 'custom' }] }, finish_reason: 'stop' }],
    });
    expect(response.message.toolCalls).toEqual([]);
  });

  it('uses the refusal as the text when there is no content', () => {
    const response = fromOpenAiReply({
      choices: [{ message: { content: null, refusal: 'I cannot help with that.' }, finish_reason: 'stop' }],
    });
    expect(response.message.content).toBe('I cannot help with that.');
  });

  it.each([
    ['stop', 'end_turn'],
    ['tool_calls', 'tool_use'],
    ['function_call', 'tool_use'],
    ['length', 'max_tokens'],
    ['content_filter', 'other'],
    [null, 'other'],
  ])('maps finish_reason %s to %s', (finishReason, expected) => {
    const response = fromOpenAiReply({ choices: [{ message: { content: 'x' }, finish_reason: finishReason }] });
    expect(response.stopReason).toBe(expected);
  });
});

describe('parseArguments', () => {
  it.each([
    ['{"a":1}', { a: 1 }],
    ['', {}],
    ['   ', {}],
    ['not json', { _raw: 'not json' }],
    ['[1,2]', { _raw: '[1,2]' }],
    ['42', { _raw: '42' }],
    ['null', { _raw: 'null' }],
  ])('reads %j as %j', (text, expected) => {
    expect(parseArguments(text)).toEqual(expected);
  });
});

describe('images', () => {
  const png = { key: 'image/abc', mimeType: 'image/png', bytes: 3, data: 'iVBO' };
  const jpeg = { key: 'image/def', mimeType: 'image/jpeg', bytes: 3, data: '/9j/' };
  const withImages: Message[] = [
    { role: 'user', content: 'What do these show?', images: [jpeg] },
    {
      role: 'assistant',
      content: '',
      toolCalls: [
        { id: 'call_a', name: 'everything-get-tiny-image', arguments: {} },
        { id: 'call_b', name: 'everything-get-sum', arguments: { a: 1, b: 2 } },
      ],
    },
    { role: 'tool', toolCallId: 'call_a', name: 'everything-get-tiny-image', content: 'Here it is: [image image/png, 3 bytes]', isError: false, images: [png] },
    { role: 'tool', toolCallId: 'call_b', name: 'everything-get-sum', content: '3', isError: false },
    { role: 'assistant', content: 'A logo.', toolCalls: [] },
  ];

  it('sends Anthropic an image inside its tool result, and a user message’s images beside its text', () => {
    const messages = toAnthropicParams(request({ messages: withImages })).messages;
    expect(messages[0]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'What do these show?' },
        { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/' } },
      ],
    });
    expect(messages[2]).toEqual({
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'call_a',
          content: [
            { type: 'text', text: 'Here it is: [image image/png, 3 bytes]' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBO' } },
          ],
        },
        { type: 'tool_result', tool_use_id: 'call_b', content: '3' },
      ],
    });
  });

  it('sends OpenAI the images of a reply’s tool results in one user message after them, as data URLs', () => {
    const messages = toOpenAiParams(request({ provider: 'openai', system: undefined, messages: withImages })).messages;
    expect(messages.map((message) => message.role)).toEqual(['user', 'assistant', 'tool', 'tool', 'user', 'assistant']);
    expect(messages[0]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'What do these show?' },
        { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/' } },
      ],
    });
    expect(messages[2]).toEqual({ role: 'tool', tool_call_id: 'call_a', content: 'Here it is: [image image/png, 3 bytes]' });
    expect(messages[4]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: "The images of everything-get-tiny-image's result (call call_a):" },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBO' } },
      ],
    });
  });

  it('sends a user message of images alone without an empty text part (Anthropic refuses one)', () => {
    const imageOnly: Message[] = [{ role: 'user', content: '', images: [png] }];
    expect(toAnthropicParams(request({ messages: imageOnly })).messages).toEqual([
      { role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBO' } }] },
    ]);
    expect(toOpenAiParams(request({ provider: 'openai', system: undefined, messages: imageOnly })).messages).toEqual([
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBO' } }] },
    ]);
  });

  it('sends an image that was not read back (no data) as its text alone', () => {
    const unread: Message[] = [{ role: 'user', content: 'Look', images: [{ key: 'image/abc', mimeType: 'image/png', bytes: 3 }] }];
    expect(toAnthropicParams(request({ messages: unread })).messages).toEqual([{ role: 'user', content: 'Look' }]);
    expect(toOpenAiParams(request({ provider: 'openai', system: undefined, messages: unread })).messages).toEqual([{ role: 'user', content: 'Look' }]);
  });
});
