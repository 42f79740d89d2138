import { z } from 'zod';
import type { LlmResponse } from '../../src/llm/messages';
import {
  checkStructured,
  issuePath,
  MAX_QUOTED_PROBLEMS,
  outputJsonSchema,
  repairMessages,
  repairPrompt,
  structuredFailureMessage,
} from '../../src/patterns/structured';

const planSchema = z.object({
  steps: z.array(
    z.object({
      description: z.string().describe('What this step achieves'),
      tasks: z.array(z.object({ agent: z.string(), description: z.string() })),
    }),
  ),
  is_complete: z.boolean(),
  notes: z.string().default(''),
});

function response(structured: unknown, overrides: Partial<LlmResponse> = {}): LlmResponse {
  const base: LlmResponse = {
    message: { role: 'assistant', content: JSON.stringify(structured) ?? '', toolCalls: [] },
    stopReason: 'end_turn',
    usage: { inputTokens: 10, outputTokens: 5 },
  };
  if (structured !== undefined) base.structured = structured;
  return { ...base, ...overrides };
}

describe('outputJsonSchema', () => {
  it('gives a draft-7 object schema with the nested arrays, without $schema', () => {
    const schema = outputJsonSchema(planSchema);
    expect(schema).not.toHaveProperty('$schema');
    expect(schema.type).toBe('object');
    expect(schema.required).toEqual(['steps', 'is_complete']);
    expect(schema.properties).toMatchObject({
      steps: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            description: { type: 'string', description: 'What this step achieves' },
            tasks: {
              type: 'array',
              items: { type: 'object', required: ['agent', 'description'] },
            },
          },
          required: ['description', 'tasks'],
        },
      },
      is_complete: { type: 'boolean' },
      notes: { type: 'string', default: '' },
    });
  });

  it('refuses a schema that is not an object', () => {
    expect(() => outputJsonSchema(z.array(z.string()))).toThrow('structured output must be an object schema (z.object({...})), not "array"');
  });

  it('shows how to wrap each kind of root in an object: a list, a union, a nullable object, a single value', () => {
    const refusal = (schema: z.ZodType) => {
      try {
        outputJsonSchema(schema);
      } catch (error) {
        expect(error).toBeInstanceOf(TypeError);
        return (error as Error).message.replace('structured output must be an object schema (z.object({...})), not ', '');
      }
      throw new Error('outputJsonSchema took it');
    };
    const a = z.object({ kind: z.literal('a'), x: z.string() });
    const b = z.object({ kind: z.literal('b'), y: z.number() });
    expect(refusal(z.array(z.string()))).toBe('"array"; wrap it in one, e.g. z.object({ items: z.array(...) })');
    expect(refusal(z.discriminatedUnion('kind', [a, b]))).toBe('a union; wrap it in one, e.g. z.object({ result: z.discriminatedUnion(...) })');
    expect(refusal(z.union([a, b]))).toBe('a union; wrap it in one, e.g. z.object({ result: z.union([...]) })');
    expect(refusal(a.nullable())).toBe('a nullable schema; wrap it in one, e.g. z.object({ result: z.object({...}).nullable() })');
    expect(refusal(z.string())).toBe('"string"; wrap it in one, e.g. z.object({ value: z.string() })');
    expect(refusal(z.enum(['x', 'y']))).toBe('"string"; wrap it in one, e.g. z.object({ value: z.enum([...]) })');
    expect(refusal(z.number().int())).toBe('"integer"; wrap it in one, e.g. z.object({ value: z.number().int() })');
    expect(refusal(z.unknown())).toBe('a schema without one type; wrap it in one, e.g. z.object({ value: ... })');
  });

  it('refuses a part JSON Schema cannot express with a TypeError naming where it is and what to use instead', () => {
    const refusal = (schema: z.ZodType) => () => outputJsonSchema(schema);
    expect(refusal(z.object({ when: z.date() }))).toThrow(
      new TypeError(
        "structured output's schema has a part JSON Schema cannot express, at when (Date cannot be represented in JSON Schema): " +
          'the model writes JSON, so use z.iso.datetime() (an ISO 8601 string; add .transform((s) => new Date(s)) for a Date) or z.string() there',
      ),
    );
    expect(refusal(z.object({ steps: z.array(z.object({ count: z.bigint() })) }))).toThrow(
      /, at steps\[\]\.count \(BigInt cannot be represented in JSON Schema\): the model writes JSON, so use z\.number\(\)\.int\(\) or z\.string\(\) there$/,
    );
    expect(refusal(z.object({ pair: z.tuple([z.string(), z.set(z.string())]) }))).toThrow(/, at pair\[1\] \(Set .*\): .*use z\.array\(\.\.\.\) there$/);
    expect(refusal(z.object({ byName: z.record(z.string(), z.map(z.string(), z.string())) }))).toThrow(/, at byName\[key\] \(Map .*use z\.record/);
    expect(refusal(z.object({ either: z.union([z.string(), z.custom<string>()]) }))).toThrow(
      /, at either \(Custom types cannot be represented in JSON Schema\): the model writes JSON, so use a type JSON holds \(a string, number, boolean, null, array or object\) there$/,
    );
    expect(refusal(z.date())).toThrow(/, at \(root\) \(Date cannot/);
  });

  it('takes a date as an ISO string the model writes, turned into a Date by the schema', () => {
    const schema = z.object({ when: z.iso.datetime().transform((text) => new Date(text)) });
    expect(outputJsonSchema(schema).properties).toMatchObject({ when: { type: 'string', format: 'date-time' } });
    expect(checkStructured(schema, response({ when: '2026-03-01T09:30:00Z' }))).toEqual({ ok: true, value: { when: new Date('2026-03-01T09:30:00Z') } });
  });
});

describe('checkStructured', () => {
  const plan = { steps: [{ description: 'Look', tasks: [{ agent: 'finder', description: 'Find files' }] }], is_complete: false };

  it('returns the parsed value, defaults filled in', () => {
    expect(checkStructured(planSchema, response(plan))).toEqual({ ok: true, value: { ...plan, notes: '' } });
  });

  it('names every problem by its path', () => {
    const bad = { steps: [{ description: 3, tasks: [{ agent: 'finder' }] }] };
    expect(checkStructured(planSchema, response(bad))).toEqual({
      ok: false,
      problems: [
        'steps[0].description: Invalid input: expected string, received number',
        'steps[0].tasks[0].description: Invalid input: expected string, received undefined',
        'is_complete: Invalid input: expected boolean, received undefined',
      ],
    });
  });

  it('quotes the start of a long reply that holds no JSON, and says when a reply was empty', () => {
    const long = `${'I cannot do that. '.repeat(10)}`;
    const [problem] = (checkStructured(planSchema, response(undefined, { message: { role: 'assistant', content: long, toolCalls: [] } })) as { problems: string[] }).problems;
    expect(problem).toBe(`(root): the reply was not a JSON object; it began: "${long.trim().slice(0, 100)}…"`);
    expect(checkStructured(planSchema, response(undefined, { message: { role: 'assistant', content: ' \n', toolCalls: [] } }))).toEqual({
      ok: false,
      problems: ['(root): the reply was empty, not a JSON object'],
    });
  });

  it('says so when the reply was not JSON at all', () => {
    expect(checkStructured(planSchema, response(undefined, { message: { role: 'assistant', content: 'A plan.', toolCalls: [] } }))).toEqual({
      ok: false,
      problems: ['(root): the reply was not a JSON object; it began: "A plan."'],
    });
  });

  it('says so when the reply was cut off at the token limit', () => {
    expect(checkStructured(planSchema, response(undefined, { stopReason: 'max_tokens' }))).toEqual({
      ok: false,
      problems: ['(root): the reply was cut off at the token limit before the object was complete'],
    });
  });

  it('rejects a JSON value of the wrong kind at the root', () => {
    expect(checkStructured(planSchema, response([plan]))).toEqual({
      ok: false,
      problems: ['(root): Invalid input: expected object, received array'],
    });
  });
});

describe('issuePath', () => {
  it('writes paths the way one reads them', () => {
    expect(issuePath([])).toBe('(root)');
    expect(issuePath(['steps', 0, 'tasks', 12, 'agent'])).toBe('steps[0].tasks[12].agent');
    expect(issuePath([0, 'a'])).toBe('[0].a');
    expect(issuePath(['by agent', 'x-y'])).toBe('["by agent"]["x-y"]');
  });
});

describe('repairPrompt', () => {
  it('quotes each problem and asks for the corrected object', () => {
    expect(repairPrompt(['steps[0].agent: Required', 'is_complete: Invalid input'])).toBe(
      [
        'Your reply does not match the required schema:',
        '- steps[0].agent: Required',
        '- is_complete: Invalid input',
        'Reply again with the complete, corrected object.',
      ].join('\n'),
    );
  });

  it('quotes a bounded number of problems', () => {
    const problems = Array.from({ length: MAX_QUOTED_PROBLEMS + 5 }, (_, i) => `steps[${i}]: Invalid input`);
    const lines = repairPrompt(problems).split('\n');
    expect(lines).toHaveLength(MAX_QUOTED_PROBLEMS + 3);
    expect(lines).toContain(`- steps[${MAX_QUOTED_PROBLEMS - 1}]: Invalid input`);
    expect(lines).not.toContain(`- steps[${MAX_QUOTED_PROBLEMS}]: Invalid input`);
    expect(lines).toContain('- …and 5 more');
  });
});

describe('repairMessages', () => {
  it('replays the reply as the model wrote it, then the problems', () => {
    const reply = response({ steps: 'none' });
    expect(repairMessages(reply, ['steps: Invalid input'])).toEqual([
      { role: 'assistant', content: '{"steps":"none"}', toolCalls: [] },
      { role: 'user', content: repairPrompt(['steps: Invalid input']) },
    ]);
  });

  it('drops tool calls no results will follow, and an empty reply', () => {
    const withCall = response(undefined, {
      message: { role: 'assistant', content: '', toolCalls: [{ id: 't1', name: 'everything-get-sum', arguments: {} }] },
    });
    expect(repairMessages(withCall, ['(root): the reply was not a JSON object'])).toEqual([
      { role: 'user', content: repairPrompt(['(root): the reply was not a JSON object']) },
    ]);
  });
});

describe('structuredFailureMessage', () => {
  it('names the schema and lists the problems', () => {
    expect(structuredFailureMessage('plan', ['is_complete: Invalid input'])).toBe(
      'The model\'s "plan" output is still invalid after a repair turn:\n- is_complete: Invalid input',
    );
  });

  it('names the call whose answer it was, as the Web UI does', () => {
    expect(structuredFailureMessage('answer', ['n: Invalid input'], 'llm openai/gpt-4o · planner')).toBe(
      'The model\'s "answer" output (llm openai/gpt-4o · planner) is still invalid after a repair turn:\n- n: Invalid input',
    );
  });
});
