import { WorkflowFailedError } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { mcpServers, providerConfig, startAgentEnv, type AgentEnv } from '../support/agent-env';

/**
 * What an agent sends with its model calls (temperature, stop sequences, parallel tool calls) reaches
 * both providers, for config workflows and ad-hoc specs, and a reference to a configured agent can
 * change them; the timeouts and retries set per agent (`llm_calls`) and per MCP server (`calls`)
 * are what Temporal runs the calls with, and a hung provider ends at the configured deadline.
 */

let env: AgentEnv;
const stamp = Date.now();
const models = {
  writer: `params-writer-${stamp}`,
  writerOnAnthropic: `params-writer-anthropic-${stamp}`,
  hung: `params-hung-${stamp}`,
  slowTool: `params-slow-tool-${stamp}`,
};

beforeAll(async () => {
  env = await startAgentEnv((provider, fixtureUrl) => {
    const servers = mcpServers(fixtureUrl);
    return {
      ...providerConfig(provider),
      mcp: {
        servers: {
          ...servers,
          fixture: { ...servers!.fixture, calls: { timeout_seconds: 42, max_attempts: 3 } },
          tight: { ...servers!.fixture, calls: { timeout_seconds: 1, max_attempts: 2, initial_retry_seconds: 1 } },
        },
      },
      agents: {
        writer: {
          instruction: 'You write.',
          provider: 'openai',
          model: models.writer,
          temperature: 0.3,
          stop_sequences: ['END'],
          parallel_tool_calls: false,
          servers: ['fixture'],
          llm_calls: { timeout_seconds: 90, max_attempts: 4, initial_retry_seconds: 2, max_retry_seconds: 5 },
        },
      },
      workflows: {
        duo: {
          type: 'parallel',
          fan_out: ['writer', { agent: 'writer', name: 'writer_claude', provider: 'anthropic', model: models.writerOnAnthropic, temperature: 0.9 }],
        },
      },
    };
  });
});

afterAll(async () => {
  await env?.close();
});

function scheduled(events: temporal.api.history.v1.IHistoryEvent[], type: string) {
  return events.flatMap((e) => {
    const attributes = e.activityTaskScheduledEventAttributes;
    return attributes && attributes.activityType?.name === type ? [attributes] : [];
  });
}

const seconds = (duration: temporal.api.history.v1.IActivityTaskScheduledEventAttributes['startToCloseTimeout']) =>
  Number(duration?.seconds ?? 0) + (duration?.nanos ?? 0) / 1e9;

test('a config workflow sends each agent its settings, on either provider, and an override changes only what it names', async () => {
  env.provider.script(models.writer, [
    { toolCalls: [{ name: 'fixture-add', arguments: { a: 2, b: 3 } }] },
    { text: 'five END' },
  ]);
  env.provider.script(models.writerOnAnthropic, [{ text: 'cinq' }]);
  const handle = await env.start('duo', 'Add 2 and 3');
  const result = (await handle.result()) as { branches: Record<string, string> };
  expect(result.branches).toEqual({ writer: 'five END', writer_claude: 'cinq' });

  const openai = env.provider.requests(models.writer)[0].body;
  expect(openai).toMatchObject({ temperature: 0.3, stop: ['END'], parallel_tool_calls: false });
  const anthropic = env.provider.requests(models.writerOnAnthropic)[0].body;
  expect(anthropic).toMatchObject({
    temperature: 0.9,
    stop_sequences: ['END'],
    tool_choice: { type: 'auto', disable_parallel_tool_use: true },
    system: 'You write.',
  });

  // Temporal runs the writer's model calls and the fixture's tool calls with their own settings.
  const child = env.worker.client.workflow.getHandle(`${handle.workflowId}/writer-1`);
  const events = (await child.fetchHistory()).events ?? [];
  const [llm] = scheduled(events, 'llmGenerate');
  expect(seconds(llm.startToCloseTimeout)).toBe(95);
  expect(llm.retryPolicy).toMatchObject({ maximumAttempts: 4 });
  expect(seconds(llm.retryPolicy?.initialInterval)).toBe(2);
  expect(seconds(llm.retryPolicy?.maximumInterval)).toBe(5);
  expect(llm.retryPolicy?.nonRetryableErrorTypes).toContain('ProviderRequestRejected');
  const [tool] = scheduled(events, 'mcpCallTool');
  expect(seconds(tool.startToCloseTimeout)).toBe(42);
  expect(tool.retryPolicy).toMatchObject({ maximumAttempts: 3 });
  const [list] = scheduled(events, 'mcpListTools');
  expect(seconds(list.startToCloseTimeout)).toBe(42);
});

test('an ad-hoc inline agent on Anthropic gets its temperature; one left without sends none', async () => {
  const [warm, plain] = [`params-warm-${stamp}`, `params-plain-${stamp}`];
  env.provider.script(warm, [{ text: 'warm' }]);
  env.provider.script(plain, [{ text: 'plain' }]);
  const handle = await env.start('parallel', 'hi', {
    type: 'parallel',
    fan_out: [
      { name: 'warm', instruction: 'Be warm.', provider: 'anthropic', model: warm, temperature: 1.2, stop_sequences: ['STOP', 'HALT'] },
      { name: 'plain', instruction: 'Be plain.', provider: 'openai', model: plain },
    ],
  });
  await handle.result();
  expect(env.provider.requests(warm)[0].body).toMatchObject({ temperature: 1.2, stop_sequences: ['STOP', 'HALT'] });
  const sent = env.provider.requests(plain)[0].body;
  for (const key of ['temperature', 'stop', 'parallel_tool_calls']) expect(sent).not.toHaveProperty(key);
});

test('a hung provider: each attempt ends at the agent\'s timeout and the deadline ends the retries with a clear failure', async () => {
  env.provider.script(models.hung, Array.from({ length: 10 }, () => ({ text: 'too late', delayMs: 60_000 })));
  const handle = await env.start('agent', 'hello?', {
    type: 'agent',
    agent: {
      instruction: 'You answer.',
      provider: 'openai',
      model: models.hung,
      llm_calls: { timeout_seconds: 1, deadline_seconds: 8, initial_retry_seconds: 1, max_retry_seconds: 1 },
    },
  });
  const failure = await handle.result().then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const message = String((failure as WorkflowFailedError).cause?.message);
  expect(message).toMatch(/deadline of 8 s/);
  expect(message).toMatch(/timed out/i);
  // Several attempts, each cut by the HTTP timeout rather than left to hang.
  const attempts = env.provider.requests(models.hung);
  expect(attempts.length).toBeGreaterThanOrEqual(2);
  expect(await Promise.all(attempts.map((r) => r.settled))).toEqual(attempts.map(() => 'disconnected'));
});

test('a tool call whose attempts each run past their timeout fails the run saying which call and what sets that timeout', async () => {
  env.provider.script(models.slowTool, [{ toolCalls: [{ name: 'tight-slow', arguments: { ms: 10_000 } }] }, { text: 'never' }]);
  const handle = await env.start('agent', 'be slow', {
    type: 'agent',
    agent: { instruction: 'You call tools.', provider: 'openai', model: models.slowTool, servers: ['tight'] },
  });
  const failure = await handle.result().then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  // Temporal's own words were "activity StartToClose timeout": which call, and what to raise, were nowhere.
  expect((failure as WorkflowFailedError).cause).toMatchObject({
    type: 'CallTimedOut',
    message: "The tool call timed out: an attempt ran past its timeout (the MCP server's calls.timeout_seconds)",
  });
});

test('bad settings are refused with the key path', async () => {
  await expect(
    env.start('agent', 'x', { type: 'agent', agent: { instruction: 'x', stop_sequences: ['a', 'b', 'c', 'd', 'e'] } }),
  ).rejects.toThrow(/agent\.stop_sequences/);
  await expect(env.start('agent', 'x', { type: 'agent', agent: { agent: 'nobody', temperature: 0.5 } })).rejects.toThrow(
    /agent\.agent: unknown agent "nobody"/,
  );
  await expect(
    env.start('agent', 'x', { type: 'agent', agent: { agent: 'writer', llm_calls: { timeout_seconds: -1 } } }),
  ).rejects.toThrow(/llm_calls\.timeout_seconds/);
});
