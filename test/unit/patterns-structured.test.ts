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
