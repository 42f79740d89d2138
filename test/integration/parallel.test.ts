import path from 'node:path';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { ParallelResult } from '../../workflows/parallel';
import { projectRoot, providerConfig, startAgentEnv, type AgentEnv } from '../support/agent-env';
import type { RecordedRequest } from '../../src/testing/scripted-model';
import { fetchTreeHistories, replayFailures } from '../support/replay';

/**
 * The parallel pattern end to end: branches as child workflows on the real Temporal dev server,
 * both providers' SDK clients against the scripted provider, and config functions as fan-ins.
 */

const functionsDir = path.join(projectRoot, 'test', 'fixtures', 'functions');

let env: AgentEnv;

beforeAll(async () => {
  env = await startAgentEnv((provider) => ({
    ...providerConfig(provider),
    functions: {
      longest_answer: { module: path.join(functionsDir, 'answers.ts'), export: 'longestAnswer' },
      lookup_order: { module: path.join(functionsDir, 'orders.ts'), export: 'lookupOrder' },
    },
  }));
});

afterAll(async () => {
  await env?.close();
});

let modelCounter = 0;
const uniqueModel = (label: string) => `${label}-${++modelCounter}-${Date.now()}`;

function agent(name: string, model: string, provider: 'openai' | 'anthropic') {
  return { name, instruction: `You are the ${name}.`, provider, model };
}

/** The user turn the model was given, whichever wire format. */
function userText(request: RecordedRequest): string {
  const messages = request.body.messages as { role: string; content: unknown }[];
  const user = messages.find((m) => m.role === 'user');
  if (typeof user?.content === 'string') return user.content;
  return (user?.content as { text?: string }[]).map((part) => part.text ?? '').join('');
}

interface RunTree {
  workflowId: string;
  summary?: string;
  activities: string[];
  children: RunTree[];
}

/** A run and its child workflows, each with the activity types it scheduled. */
async function runTree(handle: WorkflowHandle): Promise<RunTree> {
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  // Initiation events follow the workflow's own command order; start events follow the server's.
  const childIds = events.flatMap((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? []);
  const described = await handle.describe();
  return {
    workflowId: handle.workflowId,
    summary: await described.staticSummary(),
    activities: events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []),
    children: await Promise.all(childIds.map((id) => runTree(env.worker.client.workflow.getHandle(id)))),
  };
}

test('three agent branches on both providers, combined by an agent fan-in', async () => {
  const [optimist, skeptic, analyst, judge] = ['optimist', 'skeptic', 'analyst', 'judge'].map(uniqueModel);
  env.provider.script(optimist, [{ text: 'It will surely work.', usage: { input: 10, output: 5 } }]);
  env.provider.script(skeptic, [{ text: 'It will fail on Mondays.', usage: { input: 11, output: 6 } }]);
  env.provider.script(analyst, [{ text: 'Works 6 days out of 7.', usage: { input: 12, output: 7 } }]);
  env.provider.script(judge, [{ text: 'It works except on Mondays.', usage: { input: 40, output: 8 } }]);

  const handle = await env.start('parallel', 'Will the deploy work?', {
    fan_out: [agent('optimist', optimist, 'openai'), agent('skeptic', skeptic, 'anthropic'), agent('analyst', analyst, 'openai')],
    fan_in: agent('judge', judge, 'anthropic'),
  });
  const result = (await handle.result()) as ParallelResult;

  expect(result).toEqual({
    text: 'It works except on Mondays.',
    branches: { optimist: 'It will surely work.', skeptic: 'It will fail on Mondays.', analyst: 'Works 6 days out of 7.' },
    fan_in: 'It works except on Mondays.',
    usage: { inputTokens: 73, outputTokens: 26, llmCalls: 4, toolCalls: 0 },
  });
  // Every branch got the same input; the fan-in got each answer under its branch's name.
  for (const model of [optimist, skeptic, analyst]) expect(userText(env.provider.requests(model)[0])).toBe('Will the deploy work?');
  const fanInInput = userText(env.provider.requests(judge)[0]);
  expect(fanInInput).toContain('Will the deploy work?');
  expect(fanInInput).toContain('## optimist\n\nIt will surely work.');
  expect(fanInInput).toContain('## skeptic\n\nIt will fail on Mondays.');
  expect(fanInInput).toContain('## analyst\n\nWorks 6 days out of 7.');
  expect(env.provider.requests(judge)[0].body.system).toBe('You are the judge.');

  // The parallel run schedules no activity of its own: each branch and the fan-in is a child agent
  // run making one LLM call, labelled in the Web UI by its role.
  const tree = await runTree(handle);
  expect(tree.activities).toEqual([]);
  expect(tree.children.map((c) => [c.summary, c.activities])).toEqual([
    ['branch 1/3 · optimist', ['llmGenerate']],
    ['branch 2/3 · skeptic', ['llmGenerate']],
    ['branch 3/3 · analyst', ['llmGenerate']],
    ['fan-in · judge', ['llmGenerate']],
  ]);
});

test('without a fan-in the answers come back keyed by name; a nested pattern can be a branch', async () => {
  const [solo, left, right] = ['solo', 'left', 'right'].map(uniqueModel);
  env.provider.script(solo, [{ text: 'Solo answer.' }]);
  env.provider.script(left, [{ text: 'Left answer.' }]);
  env.provider.script(right, [{ text: 'Right answer.' }]);

  const handle = await env.start('parallel', { question: 'left or right?' }, {
    fan_out: [
      agent('solo', solo, 'anthropic'),
      { type: 'parallel', name: 'pair', fan_out: [agent('left', left, 'openai'), agent('right', right, 'anthropic')] },
    ],
  });
  const result = (await handle.result()) as ParallelResult;

  const pairText = '## left\n\nLeft answer.\n\n## right\n\nRight answer.';
  expect(result).toEqual({
    text: `## solo\n\nSolo answer.\n\n## pair\n\n${pairText}`,
    branches: { solo: 'Solo answer.', pair: pairText },
    usage: { inputTokens: expect.any(Number), outputTokens: expect.any(Number), llmCalls: 3, toolCalls: 0 },
  });
  expect(result).not.toHaveProperty('fan_in');
  expect(userText(env.provider.requests(right)[0])).toContain('"question": "left or right?"');
});

test('a function fan-in gets the answers keyed by branch name', async () => {
  const [brief, detailed] = ['brief', 'detailed'].map(uniqueModel);
  env.provider.script(brief, [{ text: 'Yes.' }]);
  env.provider.script(detailed, [{ text: 'Yes, because the tests pass.' }]);

  const handle = await env.start('parallel', 'Ship it?', {
    fan_out: [agent('brief', brief, 'openai'), agent('detailed', detailed, 'anthropic')],
    fan_in: { function: 'longest_answer', name: 'pick' },
  });
  const result = (await handle.result()) as ParallelResult;

  expect(result).toMatchObject({
    text: 'detailed (of 2): Yes, because the tests pass.',
    fan_in: 'detailed (of 2): Yes, because the tests pass.',
    branches: { brief: 'Yes.', detailed: 'Yes, because the tests pass.' },
  });
  const tree = await runTree(handle);
  expect(tree.activities).toEqual(['callFunction']);
});

test.each([
  ['an agent branch the provider rejects', 'model', 'Branch "critic" failed: anthropic 400: bad request for critic'],
  ['a function branch that throws', 'function', 'Branch "orders" failed: Function "lookup_order" failed: No order with id "undefined".'],
])('%s fails the run, naming the branch', async (_label, kind, message) => {
  const [fine, critic] = ['fine', 'critic'].map(uniqueModel);
  env.provider.script(fine, [{ text: 'Fine.' }]);
  env.provider.script(critic, [{ status: 400, message: 'bad request for critic' }]);
  const failing = kind === 'model' ? agent('critic', critic, 'anthropic') : { function: 'lookup_order', name: 'orders' };

  const handle = await env.start('parallel', 'go', { fan_out: [agent('fine', fine, 'openai'), failing] });
  const failure = await handle.result().catch((e: unknown) => e);

  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect((failure as WorkflowFailedError).cause?.message).toBe(message);
  const status = (await handle.describe()).typedSearchAttributes.get({ name: 'McpAgentStatus', type: 'KEYWORD' } as never);
  expect(status).toBe('failed');
});

test('every parallel run above and its children replay deterministically from their histories', async () => {
  const histories = await fetchTreeHistories(env.worker.client, env.handles.map((h) => h.workflowId));
  expect(histories.length).toBeGreaterThan(env.handles.length);
  expect(await replayFailures(histories)).toEqual([]);
});
