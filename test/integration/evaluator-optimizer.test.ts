import path from 'node:path';
import type { EvaluatorOptimizerResult } from '../../workflows/evaluator-optimizer';
import { projectRoot, providerConfig, startAgentEnv, type AgentEnv } from '../support/agent-env';
import { fetchTreeHistories, replayFailures } from '../support/replay';
import { activityCount, outputAskedFor, promptSeen, runFailure, runTree, systemSeen } from '../support/run-tree';

/**
 * The evaluator-optimizer on a real Temporal dev server against the scripted provider: evaluators
 * from criteria text, an agent and a function; optimizers that are agents and nested patterns.
 */

const planning = path.join(projectRoot, 'test', 'fixtures', 'functions', 'planning.ts');
let env: AgentEnv;

beforeAll(async () => {
  env = await startAgentEnv((provider) => ({
    ...providerConfig(provider),
    functions: {
      cloudJudge: { module: planning, export: 'cloudJudge' },
      wrongScaleJudge: { module: planning, export: 'wrongScaleJudge' },
    },
  }));
});

afterAll(async () => {
  await env?.close();
});

let counter = 0;
const uniqueModel = (label: string) => `evo-${label}-${++counter}-${Date.now()}`;
const poet = (model: string, provider: 'openai' | 'anthropic') => ({
  name: 'poet',
  instruction: 'You write haiku.',
  provider,
  model,
});
const rated = (rating: string, feedback: string, focus_areas: string[] = []) => ({
  json: { rating, feedback, needs_improvement: rating !== 'excellent', focus_areas },
});

test('criteria text: refine until the rating reaches min_rating (OpenAI evaluator, Anthropic optimizer)', async () => {
  const [writer, judge] = ['poet', 'judge'].map(uniqueModel);
  env.provider.script(writer, [{ text: 'Rain on the roof' }, { text: 'Rain falls from grey clouds' }]);
  env.provider.script(judge, [rated('fair', 'No clouds in it.', ['clouds', 'syllables']), rated('good', 'Nice.')]);

  const handle = await env.start('evaluator_optimizer', 'Write a haiku about rain', {
    optimizer: poet(writer, 'anthropic'),
    evaluator: 'The haiku must mention clouds.',
    min_rating: 'good',
    max_refinements: 3,
    provider: 'openai',
    model: judge,
  });
  const result = (await handle.result()) as EvaluatorOptimizerResult;

  expect(result).toMatchObject({
    text: 'Rain falls from grey clouds',
    rating: 'good',
    attempts: [
      { response: 'Rain on the roof', rating: 'fair', feedback: 'No clouds in it.', focus_areas: ['clouds', 'syllables'] },
      { response: 'Rain falls from grey clouds', rating: 'good', feedback: 'Nice.', focus_areas: [] },
    ],
  });
  expect(result.usage).toMatchObject({ llmCalls: 4, toolCalls: 0 });

  const [firstWrite, secondWrite] = env.provider.requests(writer);
  expect(promptSeen(firstWrite)).toBe('Write a haiku about rain');
  const refinement = promptSeen(secondWrite);
  expect(refinement).toContain('Request:\nWrite a haiku about rain');
  expect(refinement).toContain('Your previous response:\nRain on the roof');
  expect(refinement).toContain('rated it fair and said:\nNo clouds in it.');
  expect(refinement).toContain('Focus on:\n- clouds\n- syllables');

  const [firstJudgement, secondJudgement] = env.provider.requests(judge);
  expect(outputAskedFor(firstJudgement)).toBe('evaluation');
  expect(systemSeen(firstJudgement)).toContain('The haiku must mention clouds.');
  expect(promptSeen(firstJudgement)).toContain('Response (attempt 1):\nRain on the roof');
  expect(promptSeen(secondJudgement)).toContain('Response (attempt 2):\nRain falls from grey clouds');

  const tree = await runTree(env.worker.client, handle);
  expect(tree.activities).toEqual([`evaluator · attempt 1 · openai/${judge}`, `evaluator · attempt 2 · openai/${judge}`]);
  expect(tree.children.map((c) => c.summary)).toEqual(['optimizer · attempt 1 · poet', 'optimizer · attempt 2 · poet']);
  expect(activityCount(tree)).toBe(4);
});

test('an evaluator never satisfied: max_refinements + 1 attempts, the best kept, the latest among equals (Anthropic evaluator)', async () => {
  const [writer, judge] = ['poet', 'judge'].map(uniqueModel);
  env.provider.script(writer, [{ text: 'first' }, { text: 'second' }, { text: 'third' }]);
  env.provider.script(judge, [rated('good', 'Close.'), rated('poor', 'Worse.'), rated('good', 'Close again.')]);

  const handle = await env.start('evaluator_optimizer', 'Write a perfect haiku', {
    optimizer: poet(writer, 'openai'),
    evaluator: 'Only perfection will do.',
    min_rating: 'excellent',
    max_refinements: 2,
    provider: 'anthropic',
    model: judge,
  });
  const result = (await handle.result()) as EvaluatorOptimizerResult;

  expect(result.attempts.map((a) => [a.response, a.rating])).toEqual([
    ['first', 'good'],
    ['second', 'poor'],
    ['third', 'good'],
  ]);
  expect(result).toMatchObject({ text: 'third', rating: 'good' });
  expect(env.provider.requests(writer)).toHaveLength(3);
  expect(env.provider.requests(judge)).toHaveLength(3);
  expect(promptSeen(env.provider.requests(writer)[2])).toContain('Your previous response:\nsecond');
});

test('an evaluator that sees nothing left to improve ends the refinement below min_rating, as in mcp-agent', async () => {
  const [writer, judge] = ['poet', 'judge'].map(uniqueModel);
  env.provider.script(writer, [{ text: 'first' }, { text: 'never asked for' }]);
  env.provider.script(judge, [{ json: { rating: 'fair', feedback: 'As good as it gets.', needs_improvement: false, focus_areas: [] } }]);
  const handle = await env.start('evaluator_optimizer', 'Write a haiku', {
    optimizer: poet(writer, 'openai'),
    evaluator: 'Be strict.',
    min_rating: 'excellent',
    max_refinements: 3,
    provider: 'openai',
    model: judge,
  });
  const result = (await handle.result()) as EvaluatorOptimizerResult;
  expect(result).toMatchObject({ text: 'first', rating: 'fair', attempts: [{ response: 'first', rating: 'fair', needs_improvement: false }] });
  expect(env.provider.requests(writer)).toHaveLength(1);
});

test('an agent evaluator rates with its own model and instruction; max_refinements 0 makes one attempt', async () => {
  const [writer, critic, unused] = ['poet', 'critic', 'unused'].map(uniqueModel);
  env.provider.script(writer, [{ text: 'Drip drop' }]);
  env.provider.script(critic, [rated('poor', 'Too short.')]);

  const handle = await env.start('evaluator_optimizer', 'Write a haiku about rain', {
    optimizer: poet(writer, 'openai'),
    evaluator: { name: 'critic', instruction: 'You are a harsh critic of poems.', provider: 'anthropic', model: critic },
    max_refinements: 0,
    provider: 'openai',
    model: unused,
  });
  const result = (await handle.result()) as EvaluatorOptimizerResult;

  expect(result).toMatchObject({ text: 'Drip drop', rating: 'poor', attempts: [{ response: 'Drip drop', rating: 'poor' }] });
  const [judgement] = env.provider.requests(critic);
  expect(systemSeen(judgement)).toBe('You are a harsh critic of poems.');
  expect(outputAskedFor(judgement)).toBe('evaluation');
  expect(env.provider.requests(unused)).toHaveLength(0);
  const tree = await runTree(env.worker.client, handle);
  expect(tree.activities).toEqual([`evaluator · attempt 1 · critic · anthropic/${critic}`]);
});

test('a function evaluator and a nested pattern as optimizer', async () => {
  const writer = uniqueModel('poet');
  env.provider.script(writer, [{ text: 'Rain on the roof' }, { text: 'Rain from grey clouds' }]);

  const handle = await env.start('evaluator_optimizer', 'Write a haiku about rain', {
    optimizer: { type: 'agent', name: 'poetry', agent: poet(writer, 'anthropic') },
    evaluator: { function: 'cloudJudge' },
  });
  const result = (await handle.result()) as EvaluatorOptimizerResult;

  expect(result.attempts.map((a) => [a.rating, a.feedback])).toEqual([
    ['poor', 'Mention clouds.'],
    ['excellent', 'Has clouds.'],
  ]);
  expect(result).toMatchObject({ text: 'Rain from grey clouds', rating: 'excellent' });
  expect(promptSeen(env.provider.requests(writer)[1])).toContain('Focus on:\n- clouds');
  expect(result.usage.llmCalls).toBe(2);

  const tree = await runTree(env.worker.client, handle);
  expect(tree.activities).toEqual(['evaluator · attempt 1 · function cloudJudge', 'evaluator · attempt 2 · function cloudJudge']);
  expect(tree.children.map((c) => c.summary)).toEqual(['optimizer · attempt 1 · poetry', 'optimizer · attempt 2 · poetry']);
});

test('a function evaluator that replies outside the rating scale fails the run clearly', async () => {
  const writer = uniqueModel('poet');
  env.provider.script(writer, [{ text: 'Rain' }]);

  const handle = await env.start('evaluator_optimizer', 'Write a haiku about rain', {
    optimizer: poet(writer, 'openai'),
    evaluator: { function: 'wrongScaleJudge' },
  });
  const failure = await runFailure(handle.result());

  expect(failure.type).toBe('StructuredOutputInvalid');
  expect(failure.message).toMatch(/^The function "wrongScaleJudge" did not reply with a valid "evaluation" object:\n- rating: /);
});

test('every run above and its children replay deterministically', async () => {
  const histories = await fetchTreeHistories(env.worker.client, env.handles.map((h) => h.workflowId));
  expect(histories.length).toBeGreaterThan(env.handles.length);
  expect(await replayFailures(histories)).toEqual([]);
});
