import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { DEMO_MODEL_NOTICE, startDemoModel } from '../../src/dev/demo-model';
import type { ScriptedProvider } from '../../src/testing/scripted-model';

/**
 * The demo model `npm run dev` starts when no provider is configured, through the real SDK
 * clients: it adds the question's first two numbers with the offered {a, b} tool, answers with the
 * tool's words, and otherwise says what it is; any number of requests, streamed or not.
 */

let demo: ScriptedProvider;
beforeAll(async () => {
  demo = await startDemoModel();
});
afterAll(() => demo.close());

const sumSchema = { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] };

test('OpenAI wire format: a tool call with the numbers, then the tool result as the answer, for every run', async () => {
  const client = new OpenAI({ apiKey: 'demo', baseURL: demo.openaiBaseUrl, maxRetries: 0 });
  const tools = [{ type: 'function' as const, function: { name: 'everything-get-sum', parameters: sumSchema } }];
  for (const model of ['gpt-4o-mini', 'gpt-4o-mini', 'anything-else']) {
    const first = await client.chat.completions.create({ model, tools, messages: [{ role: 'user', content: 'What is 2.5 + -4?' }] });
    const call = first.choices[0].message.tool_calls![0];
    expect(call.type === 'function' && call.function.name).toBe('everything-get-sum');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ a: 2.5, b: -4 });
    const second = await client.chat.completions.create({
      model,
      tools,
      messages: [
        { role: 'user', content: 'What is 2.5 + -4?' },
        first.choices[0].message,
        { role: 'tool', tool_call_id: call.id, content: 'The sum of 2.5 and -4 is -1.5.' },
      ],
    });
    expect(second.choices[0].message.content).toBe('The sum of 2.5 and -4 is -1.5.');
    // No tokens spent, so a run on the demo model costs nothing whatever model name it is priced by.
    expect([first.usage, second.usage].map((u) => [u?.prompt_tokens, u?.completion_tokens])).toEqual([[0, 0], [0, 0]]);
  }
});

test('Anthropic wire format, streamed: the same round trip', async () => {
  const client = new Anthropic({ apiKey: 'demo', baseURL: demo.anthropicBaseUrl, maxRetries: 0 });
  const tools = [{ name: 'everything-get-sum', input_schema: sumSchema as Anthropic.Tool.InputSchema }];
  const question = { role: 'user' as const, content: 'add 7 and 8' };
  const first = await client.messages.stream({ model: 'claude', max_tokens: 100, tools, messages: [question] }).finalMessage();
  const use = first.content.find((block) => block.type === 'tool_use');
  expect(use).toMatchObject({ name: 'everything-get-sum', input: { a: 7, b: 8 } });
  const second = await client.messages.create({
    model: 'claude',
    max_tokens: 100,
    tools,
    messages: [
      question,
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: use!.type === 'tool_use' ? use!.id : '', content: 'The sum of 7 and 8 is 15.' }] },
    ],
  });
  expect(second.content).toEqual([expect.objectContaining({ type: 'text', text: 'The sum of 7 and 8 is 15.' })]);
});

test('without two numbers, or without a tool that takes {a, b}, it says what it is and how to get a real model', async () => {
  const client = new OpenAI({ apiKey: 'demo', baseURL: demo.openaiBaseUrl, maxRetries: 0 });
  const noNumbers = await client.chat.completions.create({
    model: 'gpt-4o-mini',
    tools: [{ type: 'function', function: { name: 'everything-get-sum', parameters: sumSchema } }],
    messages: [{ role: 'user', content: 'Write me a poem.' }],
  });
  expect(noNumbers.choices[0].message.content).toBe(DEMO_MODEL_NOTICE);
  const noTool = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: '1 + 2' }] });
  expect(noTool.choices[0].message.content).toBe(DEMO_MODEL_NOTICE);
  expect(DEMO_MODEL_NOTICE).toMatch(/OPENAI_API_KEY or ANTHROPIC_API_KEY/);
  // Nothing kept: a long-lived dev session does not grow with every request.
  expect(demo.requests()).toEqual([]);
});
