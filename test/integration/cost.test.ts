import type { AgentResult } from '../../workflows/agent';
import type { ParallelResult } from '../../workflows/parallel';
import { eventually, providerConfig, startAgentEnv, type AgentEnv } from '../support/agent-env';
import { startApi, type RunningApi } from '../support/api-http';
import { runFailure } from '../support/run-tree';
import { stateQuery } from '../../workflows/definitions';

/**
 * What runs cost: each model call's usage priced by the config's `pricing` (over the defaults),
 * added up per run and over a tree of runs; a model without a price adds tokens but no cost. And
 * budgets: `max_cost` / `max_tokens` on a spec hold for the run's whole tree, and a run over one
 * fails with BudgetExceeded.
 */

let env: AgentEnv;
let running: RunningApi;
const stamp = Date.now();
const models = { cheap: `cost-cheap-${stamp}`, dear: `cost-dear-${stamp}`, free: `cost-unpriced-${stamp}` };

beforeAll(async () => {
  env = await startAgentEnv((provider) => ({
    ...providerConfig(provider),
    pricing: {
      [models.cheap]: { input_per_mtok: 1, output_per_mtok: 2 },
      [models.dear]: { input_per_mtok: 10, output_per_mtok: 30 },
    },
    workflows: {
      capped: { type: 'agent', agent: { instruction: 'Answer.', provider: 'openai', model: `capped-${stamp}` }, max_tokens: 600 },
    },
  }));
  running = await startApi(env.worker.config);
});

afterAll(async () => {
  await running?.close();
  await env?.close();
});

const agent = (model: string, provider: 'openai' | 'anthropic' = 'openai') => ({ instruction: 'Answer.', provider, model });

test('an agent run costs its calls at the configured prices', async () => {
  env.provider.script(models.cheap, [{ text: 'one', usage: { input: 1000, output: 500 } }]);
  const result = (await (await env.start('agent', 'hi', { type: 'agent', agent: agent(models.cheap) })).result()) as AgentResult;
  // 1000 × $1 + 500 × $2 per million tokens.
  expect(result.usage).toEqual({ inputTokens: 1000, outputTokens: 500, llmCalls: 1, toolCalls: 0, costUsd: 0.002 });
});

test('costs add up over a tree, and a model without a price adds tokens but no cost', async () => {
  env.provider.script(models.cheap, [{ text: 'a', usage: { input: 2000, output: 1000 } }]);
  env.provider.script(models.dear, [{ text: 'b', usage: { input: 1000, output: 1000 } }]);
  env.provider.script(models.free, [{ text: 'c', usage: { input: 5, output: 5 } }]);
  const spec = { type: 'parallel', fan_out: [{ ...agent(models.cheap), name: 'a' }, { ...agent(models.dear, 'anthropic'), name: 'b' }, { ...agent(models.free), name: 'c' }] };
  const result = (await (await env.start('parallel', 'go', spec)).result()) as ParallelResult;
  // a: 2000 × 1 + 1000 × 2 = $0.004; b: 1000 × 10 + 1000 × 30 = $0.04; c: no price.
  expect(result.usage).toEqual({ inputTokens: 3005, outputTokens: 2005, llmCalls: 3, toolCalls: 0, costUsd: 0.044 });

  env.provider.script(models.free, [{ text: 'free', usage: { input: 7, output: 3 } }]);
  const unpriced = (await (await env.start('agent', 'hi', { type: 'agent', agent: agent(models.free) })).result()) as AgentResult;
  expect(unpriced.usage).toEqual({ inputTokens: 7, outputTokens: 3, llmCalls: 1, toolCalls: 0 });
});

test("a tree's cost shows in its Run, its events, the state query and the Web UI's current details", async () => {
  env.provider.script(models.cheap, [{ text: 'a', usage: { input: 3000, output: 1000 } }]);
  env.provider.script(models.dear, [{ text: 'b', usage: { input: 1000, output: 2000 } }]);
  const spec = { type: 'parallel', fan_out: [{ ...agent(models.cheap), name: 'a' }, { ...agent(models.dear, 'anthropic'), name: 'b' }] };
  const started = await running.api.post('/workflows/parallel/run', { spec, input: 'go' });
  expect(started.status).toBe(202);
  const runId: string = started.body.runId;
  const handle = env.worker.client.workflow.getHandle(runId);
  env.handles.push(handle);
  await handle.result();
  // a: 3000 × 1 + 1000 × 2 = $0.005; b: 1000 × 10 + 2000 × 30 = $0.07.
  const usage = { inputTokens: 4000, outputTokens: 3000, llmCalls: 2, toolCalls: 0, costUsd: 0.075 };

  expect((await running.api.get(`/runs/${encodeURIComponent(runId)}`)).body.usage).toEqual(usage);
  expect((await handle.query(stateQuery)).usage).toEqual(usage);
  const { currentDetails } = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
  expect(currentDetails).toContain('4000 input + 3000 output tokens · 2 LLM calls · 0 tool calls · $0.075');

  const events = async (id: string) =>
    String((await running.api.get(`/runs/${encodeURIComponent(id)}/events`)).body)
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)));
  const treeEvents = await events(runId);
  const children = treeEvents.filter((event) => event.type === 'child_started').map((event) => event.data.workflowId as string);
  expect(children).toHaveLength(2);
  const callCosts = (await Promise.all(children.map(events))).flat().filter((event) => event.type === 'llm_finished');
  expect(callCosts.map((event) => event.data.costUsd).sort()).toEqual([0.005, 0.07]);
  expect(treeEvents.find((event) => event.type === 'completed')?.data.usage).toEqual(usage);
});

describe('budgets', () => {
  let counter = 0;
  const uniqueModel = (label: string) => `budget-${label}-${stamp}-${++counter}`;
  /** A call that asks for a tool the agent does not have: the loop answers it and calls the model again. */
  const toolTurn = (input: number, output: number) => ({ toolCalls: [{ name: 'no_such_tool', arguments: {} }], usage: { input, output } });
  const agentNode = (name: string, model: string) => ({ name, instruction: 'Answer.', provider: 'openai', model });

  async function startThroughApi(name: string, body: Record<string, unknown>): Promise<string> {
    const reply = await running.api.post(`/workflows/${name}/run`, body);
    expect(reply.status).toBe(202);
    const runId: string = reply.body.runId;
    env.handles.push(env.worker.client.workflow.getHandle(runId));
    return runId;
  }

  async function closedRun(runId: string) {
    return eventually(async () => {
      const reply = await running.api.get(`/runs/${encodeURIComponent(runId)}/result?wait=10`);
      return reply.status === 200 && reply.body;
    }, 60_000);
  }

  test('a run over max_tokens stops after the call that passed it, failed with BudgetExceeded in the Run', async () => {
    const model = uniqueModel('tokens');
    env.provider.script(model, [toolTurn(400, 200), toolTurn(400, 200), { text: 'never asked for' }]);
    const runId = await startThroughApi('agent', {
      input: 'hi',
      spec: { agent: { instruction: 'Answer.', provider: 'openai', model }, max_tokens: 1000 },
    });
    const run = await closedRun(runId);
    expect(run.status).toBe('failed');
    expect(run.error).toEqual({
      code: 'budget_exceeded',
      message: `Budget exceeded: the run tree has spent 1200 tokens (input + output) of its max_tokens 1000 (set by "agent"); after the model call "llm openai/${model} · agent · turn 2" in run ${runId}.`,
    });
    expect(run.usage).toMatchObject({ inputTokens: 800, outputTokens: 400, llmCalls: 2 });
    // The run stopped at once: no third call.
    expect(env.provider.requests(model)).toHaveLength(2);
  });

  test("a config workflow's budget refuses the model call that would start once it is spent", async () => {
    const model = `capped-${stamp}`;
    env.provider.script(model, [toolTurn(500, 100), { text: 'never asked for' }]);
    const handle = await env.start('capped', 'hi');
    const failure = await runFailure(handle.result());
    expect(failure.type).toBe('BudgetExceeded');
    expect(failure.message).toBe(
      `Budget exceeded: the run tree has spent 600 tokens (input + output) of its max_tokens 600 (set by "capped"); refused the model call "llm openai/${model} · capped · turn 2" in run ${handle.workflowId}.`,
    );
    expect(env.provider.requests(model)).toHaveLength(1);
    const described = await handle.describe();
    expect(described.status.name).toBe('FAILED');
  });

  test('a child that passes the max_cost it inherited ends its run, and the whole tree fails with the same error', async () => {
    // Priced by the config: each branch $0.002 (cheap), the fan-in $0.04 (dear).
    env.provider.script(models.cheap, [
      { text: 'a', usage: { input: 1000, output: 500 } },
      { text: 'b', usage: { input: 1000, output: 500 } },
    ]);
    env.provider.script(models.dear, [{ text: 'combined', usage: { input: 1000, output: 1000 } }]);
    const spec = {
      type: 'parallel',
      max_cost: 0.005,
      fan_out: [agentNode('a', models.cheap), agentNode('b', models.cheap)],
      fan_in: agentNode('merge', models.dear),
    };
    const handle = await env.start('parallel', 'go', spec);
    const failure = await runFailure(handle.result());
    const fanInId = `${handle.workflowId}/merge-3`;
    // The fan-in started with $0.004 of the $0.005 spent, and its call passed the limit.
    expect(failure).toEqual({
      type: 'BudgetExceeded',
      message: `Budget exceeded: the run tree has spent $0.044 of its max_cost $0.005 (set by "parallel"); after the model call "llm openai/${models.dear} · merge · turn 1" in run ${fanInId}.`,
    });
    const fanIn = await env.worker.client.workflow.getHandle(fanInId).describe();
    expect(fanIn.status.name).toBe('FAILED');
    expect(await runFailure(env.worker.client.workflow.getHandle(fanInId).result())).toEqual(failure);
    // The tree's usage counts the call that broke the budget: the failed fan-in's failure carries its usage.
    const usage = (await handle.describe()).memo?.usage as { llmCalls: number; costUsd?: number };
    expect(usage.llmCalls).toBe(3);
    expect(usage.costUsd).toBeCloseTo(0.044, 6);
  });

  test('branches that pass the budget together are stopped by their parent, whose tree the limit counts', async () => {
    const [a, b] = [uniqueModel('a'), uniqueModel('b')];
    // Neither branch passes 2500 tokens alone; together they do, while b's second call is still running.
    env.provider.script(a, [toolTurn(500, 500), { text: 'a done', usage: { input: 500, output: 500 } }]);
    env.provider.script(b, [toolTurn(500, 500), { text: 'too late', delayMs: 30_000 }]);
    const spec = { type: 'parallel', max_tokens: 2500, fan_out: [agentNode('a', a), agentNode('b', b)] };
    const started = Date.now();
    const handle = await env.start('parallel', 'go', spec);
    const failure = await runFailure(handle.result());
    expect(Date.now() - started).toBeLessThan(25_000);
    expect(failure.type).toBe('BudgetExceeded');
    expect(failure.message).toMatch(
      new RegExp(`^Budget exceeded: the run tree has spent 3000 tokens \\(input \\+ output\\) of its max_tokens 2500 \\(set by "parallel"\\); after the child run "${handle.workflowId}/(a-1|b-2)" (reported its usage|ended)`),
    );
    // b's second call was still running: the branch was cancelled with the tree.
    const branchB = await env.worker.client.workflow.getHandle(`${handle.workflowId}/b-2`).describe();
    expect(branchB.status.name).toBe('CANCELLED');
  });

  test('runs under their budget complete as usual', async () => {
    const model = uniqueModel('under');
    env.provider.script(model, [toolTurn(100, 100), { text: 'done', usage: { input: 100, output: 100 } }]);
    const runId = await startThroughApi('agent', {
      input: 'hi',
      spec: { agent: { instruction: 'Answer.', provider: 'openai', model }, max_tokens: 401, max_cost: 1 },
    });
    const run = await closedRun(runId);
    expect(run.status).toBe('completed');
    expect(run.result).toMatchObject({ text: 'done' });
    expect(run.usage).toMatchObject({ inputTokens: 200, outputTokens: 200, llmCalls: 2 });

    env.provider.script(models.cheap, [
      { text: 'a', usage: { input: 1000, output: 500 } },
      { text: 'b', usage: { input: 1000, output: 500 } },
    ]);
    const tree = { type: 'parallel', max_cost: 0.01, max_tokens: 3000, fan_out: [agentNode('a', models.cheap), agentNode('b', models.cheap)] };
    const result = (await (await env.start('parallel', 'go', tree)).result()) as ParallelResult;
    expect(result.usage).toEqual({ inputTokens: 2000, outputTokens: 1000, llmCalls: 2, toolCalls: 0, costUsd: 0.004 });
  });

  test('a conversation over budget fails as a whole, and takes no more messages', async () => {
    const model = uniqueModel('chat');
    env.provider.script(model, [
      { text: 'Hello.', usage: { input: 300, output: 300 } },
      { text: 'Still here.', usage: { input: 300, output: 300 } },
    ]);
    const runId = await startThroughApi('agent', {
      input: 'Hi',
      spec: { agent: { instruction: 'Answer.', provider: 'openai', model }, conversation: true, max_tokens: 1000 },
    });
    await eventually(async () => (await running.api.get(`/runs/${runId}`)).body.status === 'idle');
    // The turn that passed the budget failed with it, though its model call gave an answer: the
    // reply to the message and the Run say so alike.
    const sent = await running.api.post(`/runs/${runId}/messages?wait=30`, { input: 'And now?' });
    expect(sent.status).toBe(200);
    expect(sent.body.status).toBe('failed');
    const failedTurn = { turn: 2, outcome: 'failed', error: { code: 'budget_exceeded', message: expect.stringContaining('has spent 1200 tokens') } };
    expect(sent.body.answer).toEqual(failedTurn);
    const run = await closedRun(runId);
    expect(run.status).toBe('failed');
    expect(run.error.code).toBe('budget_exceeded');
    expect(run.error.message).toContain('has spent 1200 tokens (input + output) of its max_tokens 1000');
    expect(run.conversation.lastTurn).toEqual(failedTurn);
    const late = await running.api.post(`/runs/${runId}/messages`, { input: 'Hello?' });
    expect(late.status).toBe(409);
  });

  test('a budget that is not a positive number is refused with 400 and its key path', async () => {
    const agent = { instruction: 'Answer.', provider: 'openai', model: 'unused' };
    const cost = await running.api.post('/workflows/agent/run', { input: 'hi', spec: { agent, max_cost: -1 } });
    expect(cost.status).toBe(400);
    expect(cost.body.error.code).toBe('invalid_spec');
    expect(cost.body.error.message).toContain('spec.max_cost');
    const tokens = await running.api.post('/workflows/parallel/run', {
      input: 'hi',
      spec: { fan_out: [{ type: 'agent', agent, max_tokens: 1.5 }] },
    });
    expect(tokens.status).toBe(400);
    expect(tokens.body.error.message).toContain('spec.fan_out[0].max_tokens');
  });
});
