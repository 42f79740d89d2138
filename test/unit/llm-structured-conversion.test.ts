import { fromAnthropicReply, toAnthropicParams, type AnthropicReply } from '../../src/llm/anthropic';
import type { LlmRequest, OutputSchema, ToolDefinition } from '../../src/llm/messages';
import { fromOpenAiReply, parseStructured, toOpenAiParams, type OpenAiReply } from '../../src/llm/openai';

const verdictSchema = {
  type: 'object',
  properties: { rating: { type: 'string', enum: ['poor', 'fair', 'good', 'excellent'] }, feedback: { type: 'string' } },
  required: ['rating', 'feedback'],
};

const output: OutputSchema = { name: 'verdict', description: 'How good the draft is', schema: verdictSchema };

const sumTool: ToolDefinition = {
  name: 'everything-get-sum',
  description: 'Adds two numbers',
  inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } },
};

function request(overrides: Partial<LlmRequest> = {}): LlmRequest {
  return {
    provider: 'openai',
    model: 'model-x',
    messages: [{ role: 'user', content: 'Rate this draft.' }],
    tools: [],
    maxTokens: 512,
    output,
    ...overrides,
  };
}

const usage = { input_tokens: 12, output_tokens: 7 };

function anthropicReply(content: AnthropicReply['content'], stopReason = 'tool_use'): AnthropicReply {
  return { content, stop_reason: stopReason, usage };
}

function openAiReply(content: string | null, finishReason = 'stop'): OpenAiReply {
  return {
    choices: [{ message: { content }, finish_reason: finishReason }],
    usage: { prompt_tokens: 12, completion_tokens: 7 },
  };
}

describe('structured output to OpenAI', () => {
  it('asks for the schema as a non-strict json_schema response format', () => {
    expect(toOpenAiParams(request()).response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'verdict', description: 'How good the draft is', schema: verdictSchema, strict: false },
    });
  });

  it('leaves the description out when there is none, and the tools as they are', () => {
    const params = toOpenAiParams(request({ output: { name: 'verdict', schema: verdictSchema }, tools: [sumTool] }));
    expect(params.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'verdict', schema: verdictSchema, strict: false },
    });
    expect(params.tools).toHaveLength(1);
  });

  it('asks for nothing special without an output', () => {
    expect(toOpenAiParams(request({ output: undefined }))).not.toHaveProperty('response_format');
  });
});

describe('structured output from OpenAI', () => {
  it('parses the reply text into the structured value and keeps the text', () => {
    const text = '{"rating":"good","feedback":"Clear."}';
    expect(fromOpenAiReply(openAiReply(text), output)).toEqual({
      message: { role: 'assistant', content: text, toolCalls: [] },
      stopReason: 'end_turn',
      usage: { inputTokens: 12, outputTokens: 7 },
      structured: { rating: 'good', feedback: 'Clear.' },
    });
  });

  it('leaves the structured value out when the text is not JSON', () => {
    const response = fromOpenAiReply(openAiReply('It is good, I think.'), output);
    expect(response).not.toHaveProperty('structured');
    expect(response.message.content).toBe('It is good, I think.');
  });

  it('leaves it out for a refusal', () => {
    const reply: OpenAiReply = {
      choices: [{ message: { content: null, refusal: 'I cannot rate that.' }, finish_reason: 'stop' }],
    };
    const response = fromOpenAiReply(reply, output);
    expect(response).not.toHaveProperty('structured');
    expect(response.message.content).toBe('I cannot rate that.');
  });

  it('does not parse the text when no output was asked for', () => {
    expect(fromOpenAiReply(openAiReply('{"rating":"good"}'))).not.toHaveProperty('structured');
  });
});

describe('parseStructured', () => {
  it('reads JSON, including JSON that is not an object', () => {
    expect(parseStructured(' {"a": [1, 2]} ')).toEqual({ a: [1, 2] });
    expect(parseStructured('[1]')).toEqual([1]);
    expect(parseStructured('null')).toBeNull();
  });

  it('reads JSON inside a Markdown code fence', () => {
    expect(parseStructured('```json\n{"a": 1}\n```')).toEqual({ a: 1 });
    expect(parseStructured('```\n{"a": 1}\n```\n')).toEqual({ a: 1 });
  });

  it('gives undefined for anything else', () => {
    expect(parseStructured('{"a": 1')).toBeUndefined();
    expect(parseStructured('Here it is: {"a": 1}')).toBeUndefined();
  });
});

describe('structured output to Anthropic', () => {
  it('adds the output as a tool and forces the model to call it', () => {
    const params = toAnthropicParams(request({ provider: 'anthropic' }));
    expect(params.tools).toEqual([
      { name: 'verdict', description: 'How good the draft is', input_schema: verdictSchema },
    ]);
    expect(params.tool_choice).toEqual({ type: 'tool', name: 'verdict' });
  });

  it('offers the output tool after the ordinary tools, without a description when there is none', () => {
    const params = toAnthropicParams(
      request({ provider: 'anthropic', tools: [sumTool], output: { name: 'verdict', schema: verdictSchema } }),
    );
    expect(params.tools).toEqual([
      { name: 'everything-get-sum', description: 'Adds two numbers', input_schema: sumTool.inputSchema },
      { name: 'verdict', input_schema: verdictSchema },
    ]);
  });

  it('asks for nothing special without an output', () => {
    const params = toAnthropicParams(request({ provider: 'anthropic', output: undefined }));
    expect(params).not.toHaveProperty('tools');
    expect(params).not.toHaveProperty('tool_choice');
  });
});

describe('structured output from Anthropic', () => {
  it('takes the forced tool’s input as the structured value, shown as JSON text, and not as a tool call', () => {
    const reply = anthropicReply([
      { type: 'tool_use', id: 'toolu_1', name: 'verdict', input: { rating: 'good', feedback: 'Clear.' } },
    ]);
    expect(fromAnthropicReply(reply, output)).toEqual({
      message: { role: 'assistant', content: '{"rating":"good","feedback":"Clear."}', toolCalls: [] },
      stopReason: 'end_turn',
      usage: { inputTokens: 12, outputTokens: 7 },
      structured: { rating: 'good', feedback: 'Clear.' },
    });
  });

  it('keeps other tool calls as tool calls', () => {
    const reply = anthropicReply([
      { type: 'tool_use', id: 'toolu_1', name: 'everything-get-sum', input: { a: 1, b: 2 } },
      { type: 'tool_use', id: 'toolu_2', name: 'verdict', input: { rating: 'fair', feedback: 'Long.' } },
    ]);
    const response = fromAnthropicReply(reply, output);
    expect(response.structured).toEqual({ rating: 'fair', feedback: 'Long.' });
    expect(response.message.toolCalls).toEqual([{ id: 'toolu_1', name: 'everything-get-sum', arguments: { a: 1, b: 2 } }]);
    expect(response.stopReason).toBe('tool_use');
  });

  it('leaves the structured value out when the model answered in text instead', () => {
    const response = fromAnthropicReply(anthropicReply([{ type: 'text', text: 'Good.' }], 'end_turn'), output);
    expect(response).not.toHaveProperty('structured');
    expect(response.message).toEqual({ role: 'assistant', content: 'Good.', toolCalls: [] });
  });

  it('treats a tool_use of that name as an ordinary tool call when no output was asked for', () => {
    const reply = anthropicReply([{ type: 'tool_use', id: 'toolu_1', name: 'verdict', input: { rating: 'good' } }]);
    const response = fromAnthropicReply(reply);
    expect(response).not.toHaveProperty('structured');
    expect(response.message.toolCalls).toEqual([{ id: 'toolu_1', name: 'verdict', arguments: { rating: 'good' } }]);
    expect(response.stopReason).toBe('tool_use');
  });
});
