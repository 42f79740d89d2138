import { elicitationAnswerProblem, samplingLlmRequest, samplingResult, serverRequestKey } from '../../src/mcp/server-requests';

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

  it('turns the request into a model call: text messages, the system prompt, the lower token cap', () => {
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
