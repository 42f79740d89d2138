import { z } from 'zod';
import { checkNodeJson, extractJson, jsonReplyInstruction, nodeJsonFailureMessage } from '../../src/patterns/node-json';

const schema = z.object({ rating: z.enum(['poor', 'good']), notes: z.array(z.string()).default([]) });

describe('extractJson', () => {
  it('reads plain JSON, a fenced block, and JSON wrapped in prose', () => {
    expect(extractJson('{"a":1}')).toEqual({ found: true, value: { a: 1 } });
    expect(extractJson('Here:\n```json\n{"a":2}\n```\nDone.')).toEqual({ found: true, value: { a: 2 } });
    expect(extractJson('My verdict is {"a": {"b": 3}} as asked.')).toEqual({ found: true, value: { a: { b: 3 } } });
  });

  it('finds nothing in text without JSON', () => {
    expect(extractJson('no json here')).toEqual({ found: false });
    expect(extractJson('{broken')).toEqual({ found: false });
  });
});

describe('checkNodeJson', () => {
  it("checks a pattern's text as JSON, filling defaults", () => {
    expect(checkNodeJson(schema, { kind: 'pattern', text: '{"rating":"good"}', result: { text: '...' } })).toEqual({
      ok: true,
      value: { rating: 'good', notes: [] },
    });
  });

  it("checks a function's object value as it is", () => {
    expect(checkNodeJson(schema, { kind: 'function', text: 'ignored', result: { rating: 'poor', notes: ['x'] } })).toEqual({
      ok: true,
      value: { rating: 'poor', notes: ['x'] },
    });
  });

  it("parses a function's string value", () => {
    expect(checkNodeJson(schema, { kind: 'function', text: '{"rating":"good"}', result: '{"rating":"good"}' })).toMatchObject({
      ok: true,
    });
  });

  it('names the problems by path', () => {
    expect(checkNodeJson(schema, { kind: 'pattern', text: '{"rating":"great"}', result: null })).toEqual({
      ok: false,
      problems: [expect.stringMatching(/^rating: /)],
    });
    expect(checkNodeJson(schema, { kind: 'pattern', text: 'fine, I guess', result: null })).toEqual({
      ok: false,
      problems: ['(root): the reply was not a JSON object; it began: "fine, I guess"'],
    });
  });
});

describe('messages', () => {
  it('tells the node the JSON Schema it must reply in', () => {
    const text = jsonReplyInstruction(schema);
    expect(text).toContain('Reply with only a JSON object');
    expect(text).toContain('"enum":["poor","good"]');
  });

  it('says which node failed to reply with which object, and why', () => {
    expect(nodeJsonFailureMessage('evaluation', { kind: 'function', name: 'judge' }, ['rating: bad'])).toBe(
      'The function "judge" did not reply with a valid "evaluation" object:\n- rating: bad',
    );
  });
});
