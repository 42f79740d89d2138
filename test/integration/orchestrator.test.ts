import path from 'node:path';
import type { OrchestratorResult } from '../../workflows/orchestrator';
import { projectRoot, providerConfig, startAgentEnv, type AgentEnv } from '../support/agent-env';
import { fetchTreeHistories, replayFailures } from '../support/replay';
import {
  activityCount,
  outputAskedFor,
  promptSeen,
  runFailure,
  runTree,
  systemSeen,
  userMessagesSeen,
} from '../support/run-tree';

/**
 * The orchestrator on a real Temporal dev server against the scripted provider: plans made by the
 * pattern's own model, by an agent, by a function; tasks on agents, functions and nested patterns.
 */

const planning = path.join(projectRoot, 'test', 'fixtures', 'functions', 'planning.ts');
let env: AgentEnv;

beforeAll(async () => {
  env = await startAgentEnv((provider) => ({
    ...providerConfig(provider),
    functions: {
      fixedPlan: { module: planning, export: 'fixedPlan' },
      chattyPlan: { module: planning, export: 'chattyPlan' },
      shout: { module: planning, export: 'shout' },
    },
  }));
});

afterAll(async () => {
  await env?.close();
});

let counter = 0;
const uniqueModel = (label: string) => `orch-${label}-${++counter}-${Date.now()}`;
const agent = (name: string, model: string, provider: 'openai' | 'anthropic' = 'openai', extra: Record<string, unknown> = {}) => ({
  name,
  instruction: `You are the ${name}.`,
  provider,
  model,
  ...extra,
});
const task = (description: string, agentName: string) => ({ description, agent: agentName });

test('full plan: parallel tasks per step, later steps see earlier results, a synthesized answer (OpenAI planner)', async () => {
  const [lead, researcher, finder, writer] = ['lead', 'researcher', 'finder', 'writer'].map(uniqueModel);
  const plan = {
    steps: [
      { description: 'Gather facts', tasks: [task('Find the population of Paris', 'researcher'), task('Find the area of Paris', 'finder')] },
      { description: 'Write it up', tasks: [task('Write a two-line summary', 'writer')] },
    ],
    is_complete: false,
  };
  // Round 1 plans the work; round 2, shown the results, says it is done.
  env.provider.script(lead, [{ json: plan }, { json: { steps: [], is_complete: true } }, { text: 'Paris: 2.1 million people on 105 km2.' }]);
  env.provider.script(researcher, [{ text: 'About 2.1 million.' }]);
  env.provider.script(finder, [{ text: '105 square kilometres.' }]);
  env.provider.script(writer, [{ text: 'Paris is dense.' }]);

  const handle = await env.start('orchestrator', 'Describe Paris in numbers', {
    agents: [
      agent('researcher', researcher, 'anthropic', { description: 'Finds facts.' }),
      agent('finder', finder),
      agent('writer', writer),
    ],
    provider: 'openai',
    model: lead,
  });
  const result = (await handle.result()) as OrchestratorResult;

  expect(result).toMatchObject({
    text: 'Paris: 2.1 million people on 105 km2.',
    plan: { ...plan, is_complete: true },
    iterations: 2,
    steps: [
      {
        description: 'Gather facts',
        tasks: [
          { ...task('Find the population of Paris', 'researcher'), result: 'About 2.1 million.' },
          { ...task('Find the area of Paris', 'finder'), result: '105 square kilometres.' },
        ],
      },
      { description: 'Write it up', tasks: [{ ...task('Write a two-line summary', 'writer'), result: 'Paris is dense.' }] },
    ],
  });
  expect(result.usage).toMatchObject({ llmCalls: 6, toolCalls: 0 });

  // The planner: the default prompt, the roster, native structured output.
  const [planRequest, replanRequest, synthesisRequest] = env.provider.requests(lead);
  expect(outputAskedFor(planRequest)).toBe('plan');
  expect(systemSeen(planRequest)).toContain('You plan work for a team of agents');
  expect(promptSeen(planRequest)).toContain('Objective:\nDescribe Paris in numbers');
  expect(promptSeen(planRequest)).toContain('- researcher: Finds facts.');
  expect(promptSeen(planRequest)).toContain('- writer: You are the writer.');
  // Step 1's tasks saw no earlier results; step 2's task saw both.
  expect(promptSeen(env.provider.requests(researcher)[0])).toMatch(/^Your task:\nFind the population of Paris/);
  expect(promptSeen(env.provider.requests(researcher)[0])).not.toContain('Results of earlier steps');
  const writerPrompt = promptSeen(env.provider.requests(writer)[0]);
  expect(writerPrompt).toContain('About 2.1 million.');
  expect(writerPrompt).toContain('105 square kilometres.');
  // Round 2 saw every result and was asked for what remains.
  expect(promptSeen(replanRequest)).toContain('Results so far:');
  expect(promptSeen(replanRequest)).toContain('Paris is dense.');
  expect(promptSeen(replanRequest)).toContain('Plan the steps that remain');
  // The synthesizer: plain text, every result.
  expect(outputAskedFor(synthesisRequest)).toBeUndefined();
  expect(promptSeen(synthesisRequest)).toContain('Paris is dense.');

  const tree = await runTree(env.worker.client, handle);
  expect(tree.activities).toEqual([`planner · openai/${lead}`, `planner · round 2 · openai/${lead}`, `synthesizer · openai/${lead}`]);
  expect(tree.children.map((c) => c.summary)).toEqual([
    'step 1 · task 1/2 · researcher',
    'step 1 · task 2/2 · finder',
    'step 2 · task 1/1 · writer',
  ]);
  // Both tasks of step 1 started before either finished.
  const childEvents = tree.events.filter((e) => ['startChildWorkflowExecutionInitiated', 'childWorkflowExecutionCompleted'].includes(e));
  expect(childEvents.slice(0, 3)).toEqual([
    'startChildWorkflowExecutionInitiated',
    'startChildWorkflowExecutionInitiated',
    'childWorkflowExecutionCompleted',
  ]);
  // Two plans + synthesizer + one LLM turn per task (agents without servers list no tools).
  expect(activityCount(tree)).toBe(6);
});

test('iterative plan with an agent as planner: one step at a time until complete (Anthropic planner)', async () => {
  const [lead, researcher, synthesizer] = ['lead', 'researcher', 'synth'].map(uniqueModel);
  env.provider.script(lead, [
    { json: { is_complete: false, next_step: { description: 'Research', tasks: [task('Find the population', 'researcher')] } } },
    { json: { is_complete: false, next_step: { description: 'Check', tasks: [task('Double-check the figure', 'researcher')] } } },
    { json: { is_complete: true, next_step: null } },
  ]);
  env.provider.script(researcher, [{ text: 'About 2.1 million.' }, { text: 'Confirmed by INSEE.' }]);
  env.provider.script(synthesizer, [{ text: 'Paris has about 2.1 million people.' }]);

  const handle = await env.start('orchestrator', 'How many people live in Paris?', {
    agents: [agent('researcher', researcher)],
    planner: { name: 'lead', instruction: 'You lead a research team.', provider: 'anthropic', model: lead },
    plan_type: 'iterative',
    max_iterations: 4,
    provider: 'openai',
    model: synthesizer,
  });
  const result = (await handle.result()) as OrchestratorResult;

  expect(result.text).toBe('Paris has about 2.1 million people.');
  expect(result.iterations).toBe(3);
  expect(result.plan).toEqual({
    steps: [
      { description: 'Research', tasks: [task('Find the population', 'researcher')] },
      { description: 'Check', tasks: [task('Double-check the figure', 'researcher')] },
    ],
    is_complete: true,
  });
  expect(result.steps.map((s) => s.tasks[0].result)).toEqual(['About 2.1 million.', 'Confirmed by INSEE.']);
  expect(result.usage.llmCalls).toBe(6);

  const planRequests = env.provider.requests(lead);
  expect(planRequests).toHaveLength(3);
  expect(systemSeen(planRequests[0])).toBe('You lead a research team.');
  expect(outputAskedFor(planRequests[0])).toBe('next_step');
  expect(promptSeen(planRequests[0])).toContain('Results so far:\n(nothing yet)');
  expect(promptSeen(planRequests[0])).toContain('At most 4 more steps can run.');
  expect(promptSeen(planRequests[1])).toContain('About 2.1 million.');
  expect(promptSeen(planRequests[2])).toContain('Confirmed by INSEE.');
  expect(promptSeen(planRequests[2])).toContain('At most 2 more steps can run.');
  // The second task saw the first step's result.
  expect(promptSeen(env.provider.requests(researcher)[1])).toContain('About 2.1 million.');

  const tree = await runTree(env.worker.client, handle);
  expect(tree.activities).toEqual([
    `planner · step 1 · lead · anthropic/${lead}`,
    `planner · step 2 · lead · anthropic/${lead}`,
    `planner · step 3 · lead · anthropic/${lead}`,
    `synthesizer · openai/${synthesizer}`,
  ]);
});

test('iterative plan cut short by max_iterations: the answer is synthesized from what ran', async () => {
  const [lead, worker] = ['lead', 'worker'].map(uniqueModel);
  const step = (n: number) => ({ is_complete: false, next_step: { description: `Round ${n}`, tasks: [task(`Do round ${n}`, 'worker')] } });
  env.provider.script(lead, [{ json: step(1) }, { json: step(2) }, { text: 'Partial answer.' }]);
  env.provider.script(worker, [{ text: 'round one done' }, { text: 'round two done' }]);

  const handle = await env.start('orchestrator', 'Do many rounds', {
    agents: [agent('worker', worker, 'anthropic')],
    plan_type: 'iterative',
    max_iterations: 2,
    provider: 'openai',
    model: lead,
  });
  const result = (await handle.result()) as OrchestratorResult;

  expect(result).toMatchObject({ text: 'Partial answer.', iterations: 2, plan: { is_complete: false } });
  expect(result.steps).toHaveLength(2);
  const requests = env.provider.requests(lead);
  expect(requests).toHaveLength(3);
  expect(promptSeen(requests[1])).toContain('At most 1 more step can run.');
  expect(promptSeen(requests[2])).toContain('cut short by its step limit');
  expect(promptSeen(requests[2])).toContain('round two done');
});

test('a plan naming an unknown agent gets a repair turn (Anthropic planner)', async () => {
  const [lead, writer] = ['lead', 'writer'].map(uniqueModel);
  const planWith = (name: string) => ({ steps: [{ description: 'Write', tasks: [task('Write a line', name)] }], is_complete: false });
  env.provider.script(lead, [{ json: planWith('editor') }, { json: planWith('writer') }, { json: { steps: [], is_complete: true } }, { text: 'A line.' }]);
  env.provider.script(writer, [{ text: 'A line.' }]);

  const handle = await env.start('orchestrator', 'Write a line', {
    agents: [agent('writer', writer)],
    provider: 'anthropic',
    model: lead,
  });
  const result = (await handle.result()) as OrchestratorResult;

  expect(result.steps[0].tasks[0]).toEqual({ ...task('Write a line', 'writer'), result: 'A line.' });
  const repair = env.provider.requests(lead)[1];
  expect(userMessagesSeen(repair).at(-1)).toContain('steps[0].tasks[0].agent');
  const tree = await runTree(env.worker.client, handle);
  expect(tree.activities).toEqual([
    `planner · anthropic/${lead}`,
    `planner · anthropic/${lead} · repair`,
    `planner · round 2 · anthropic/${lead}`,
    `synthesizer · anthropic/${lead}`,
  ]);
});

test('a planner that keeps naming unknown agents fails the run clearly', async () => {
  const [lead, writer] = ['lead', 'writer'].map(uniqueModel);
  const plan = { steps: [{ description: 'Edit', tasks: [task('Edit it', 'editor')] }], is_complete: false };
  env.provider.script(lead, [{ json: plan }, { json: plan }]);

  const handle = await env.start('orchestrator', 'Edit this', { agents: [agent('writer', writer)], provider: 'openai', model: lead });
  const failure = await runFailure(handle.result());

  expect(failure.type).toBe('StructuredOutputInvalid');
  expect(failure.message).toMatch(/"plan" output \(.*planner.*\) is still invalid/);
  expect(failure.message).toContain('steps[0].tasks[0].agent');
  expect(env.provider.requests(writer)).toHaveLength(0);
});

test('an empty plan runs no tasks and answers from the objective', async () => {
  const [lead, writer] = ['lead', 'writer'].map(uniqueModel);
  env.provider.script(lead, [{ json: { steps: [], is_complete: true } }, { text: 'Hello to you too!' }]);

  const handle = await env.start('orchestrator', 'Say hello', { agents: [agent('writer', writer)], provider: 'openai', model: lead });
  const result = (await handle.result()) as OrchestratorResult;

  expect(result).toMatchObject({ text: 'Hello to you too!', plan: { steps: [], is_complete: true }, steps: [], iterations: 1 });
  expect(result.usage.llmCalls).toBe(2);
  expect(promptSeen(env.provider.requests(lead)[1])).toContain('no work by the agents was needed');
  expect(env.provider.requests(writer)).toHaveLength(0);
  expect((await runTree(env.worker.client, handle)).children).toEqual([]);
});

test('a function plans; tasks run on a function and a nested pattern; max_iterations caps the planning rounds', async () => {
  const [helper, synthesizer] = ['helper', 'synth'].map(uniqueModel);
  env.provider.script(helper, [{ text: 'It means the rain is loud.' }, { text: 'Louder still.' }]);
  env.provider.script(synthesizer, [{ text: 'RAIN, loudly.' }]);

  const handle = await env.start('orchestrator', 'Make rain dramatic', {
    agents: [{ function: 'shout' }, { type: 'agent', name: 'helper', agent: agent('helper', helper, 'anthropic') }],
    planner: { function: 'fixedPlan' },
    max_iterations: 2,
    provider: 'openai',
    model: synthesizer,
  });
  const result = (await handle.result()) as OrchestratorResult;

  // Two rounds of the never-satisfied plan, then the synthesis says the work was cut short.
  expect(result.iterations).toBe(2);
  expect(result.plan).toMatchObject({ is_complete: false });
  expect(result.plan.steps).toHaveLength(4);
  expect(result.steps.map((s) => s.tasks[0])).toEqual([
    { ...task('shout the word rain', 'shout'), result: 'SHOUT THE WORD RAIN!' },
    { ...task('explain the shout', 'helper'), result: 'It means the rain is loud.' },
    { ...task('shout the word rain', 'shout'), result: 'SHOUT THE WORD RAIN!' },
    { ...task('explain the shout', 'helper'), result: 'Louder still.' },
  ]);
  expect(promptSeen(env.provider.requests(helper)[0])).toContain('SHOUT THE WORD RAIN!');
  expect(promptSeen(env.provider.requests(synthesizer)[0])).toContain('cut short');
  expect(result.usage.llmCalls).toBe(3);

  const tree = await runTree(env.worker.client, handle);
  expect(tree.activities).toEqual([
    'planner · function fixedPlan',
    'step 1 · task 1/1 · function shout',
    'planner · round 2 · function fixedPlan',
    'step 3 · task 1/1 · function shout',
    `synthesizer · openai/${synthesizer}`,
  ]);
  expect(tree.children.map((c) => c.summary)).toEqual(['step 2 · task 1/1 · helper', 'step 4 · task 1/1 · helper']);
});

test('a function planner that does not reply with a plan fails the run clearly', async () => {
  const [writer, synthesizer] = ['writer', 'synth'].map(uniqueModel);
  const handle = await env.start('orchestrator', 'Write', {
    agents: [agent('writer', writer)],
    planner: { function: 'chattyPlan' },
    provider: 'openai',
    model: synthesizer,
  });
  const failure = await runFailure(handle.result());

  expect(failure.type).toBe('StructuredOutputInvalid');
  expect(failure.message).toBe('The function "chattyPlan" did not reply with a valid "plan" object:\n- (root): the reply was not a JSON object; it began: "I think the writer should just write something."');
  expect(env.provider.requests(synthesizer)).toHaveLength(0);
});

test('every run above and its children replay deterministically', async () => {
  const histories = await fetchTreeHistories(env.worker.client, env.handles.map((h) => h.workflowId));
  expect(histories.length).toBeGreaterThan(env.handles.length);
  expect(await replayFailures(histories)).toEqual([]);
});
