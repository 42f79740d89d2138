import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { executionSizes } from '../../client/executions';
import { SpecError } from '../../src/config/errors';
import { resolveRun } from '../../src/config/resolve';
import { FailureTypes } from '../../src/failure-types';
import { CONTEXT_RESOURCES_HEADING } from '../../src/mcp/agent-context';
import type { AgentResult } from '../../workflows/agent';
import { FIXTURE_PIXEL_PNG, FIXTURE_README } from '../fixtures/mcp-fixture-server';
import { mcpServers, providerConfig, startAgentEnv, type AgentEnv } from '../support/agent-env';
import { conversationSeen, systemSeen } from '../support/requests';

/**
 * Agents given MCP resources as context and an MCP prompt as their instruction or first messages
 * (spec `resources` and `prompt`), read through activities when the run starts, end to end: the
 * suite's Temporal dev server, an in-process worker, server-everything over stdio, the fixture over
 * streamable HTTP, and the scripted provider, whose recorded requests show what the model was sent.
 */

let env: AgentEnv;

beforeAll(async () => {
  env = await startAgentEnv((provider, fixtureUrl) => ({
    ...providerConfig(provider),
    // `missing`: a stdio server whose command is not there.
    mcp: { servers: { ...mcpServers(fixtureUrl), missing: { command: '/nonexistent/binary' } } },
    agents: {
      reader: {
        instruction: 'You answer from the notes you are given.',
        provider: 'openai',
        model: 'ctx-reader',
        resources: ['fixture:fixture://notes/readme', { server: 'everything', uri: 'demo://resource/static/document/features.md' }],
        prompt: { server: 'everything', name: 'args-prompt', arguments: { city: 'Paris' } },
      },
      lead: {
        instruction: 'You lead.',
        provider: 'anthropic',
        model: 'ctx-swarm-lead',
        resources: ['fixture:fixture://notes/readme'],
        handoffs: ['viewer'],
      },
      viewer: {
        instruction: 'You look at pictures.',
        provider: 'openai',
        model: 'ctx-swarm-viewer',
        resources: ['fixture:fixture://images/pixel.png'],
        prompt: { server: 'fixture', name: 'briefing', as: 'messages' },
      },
    },
    workflows: { read: { type: 'agent', agent: 'reader' } },
  }));
});

afterAll(async () => {
  await env?.close();
});

let modelCounter = 0;
const uniqueModel = (label: string) => `${label}-${++modelCounter}-${Date.now()}`;

async function activitySummaries(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e) =>
    (e.activityTaskScheduledEventAttributes || e.markerRecordedEventAttributes) && e.userMetadata?.summary
      ? [defaultPayloadConverter.fromPayload<string>(e.userMetadata.summary as never)]
      : [],
  );
}

test('resources and a prompt as instruction reach the model in its system prompt (OpenAI)', async () => {
  env.provider.script('ctx-reader', [{ text: 'The secret word is pomegranate.' }]);
  const handle = await env.start('read', 'What is the secret word?');
  const result = (await handle.result()) as AgentResult;
  expect(result).toMatchObject({ text: 'The secret word is pomegranate.', stopReason: 'final_answer' });

  const [request] = env.provider.requests('ctx-reader');
  const system = systemSeen(request);
  expect(system).toMatch(/^You answer from the notes you are given\.\n\nWhat's weather in Paris\?\n\n/);
  expect(system).toContain(CONTEXT_RESOURCES_HEADING);
  expect(system).toContain(`<resource server="fixture" uri="fixture://notes/readme" mimeType="text/markdown">\n${FIXTURE_README}</resource>`);
  expect(system).toContain('<resource server="everything" uri="demo://resource/static/document/features.md" mimeType="text/markdown">\n# Everything Server - Features');
  expect(conversationSeen(request)).toEqual(['user: What is the secret word?']);

  // One activity per read, each named for the Web UI; the text itself is not in history.
  const summaries = await activitySummaries(handle);
  expect(summaries).toEqual(
    expect.arrayContaining([
      'get prompt · everything · args-prompt',
      'read resource · fixture · fixture://notes/readme',
      'read resource · everything · demo://resource/static/document/features.md',
    ]),
  );
  const history = JSON.stringify((await handle.fetchHistory()).events);
  expect(history).not.toContain('Everything Server - Features');
});

test('a prompt as the first messages, with a resource a template makes (Anthropic)', async () => {
  const model = uniqueModel('ctx-messages');
  env.provider.script(model, [{ text: 'noted' }]);
  const spec = {
    agent: {
      instruction: 'You are briefed.',
      provider: 'anthropic',
      model,
      resources: [{ server: 'fixture', uri: 'fixture://echo/hello' }],
      prompt: { server: 'fixture', name: 'briefing', as: 'messages' },
    },
  };
  const handle = await env.start('agent', 'And now?', spec);
  await handle.result();
  const [request] = env.provider.requests(model);
  expect(systemSeen(request)).toBe(
    `You are briefed.\n\n${CONTEXT_RESOURCES_HEADING}\n\n<resource server="fixture" uri="fixture://echo/hello" mimeType="text/plain">\necho: hello\n</resource>`,
  );
  expect(conversationSeen(request)).toEqual(['user: Brief me on the fixture server.', 'assistant: It adds, echoes and repeats.', 'user: And now?']);
});

test('the context survives continue-as-new: every later call still carries it', async () => {
  const model = uniqueModel('ctx-long');
  env.provider.script(model, [
    ...Array.from({ length: 4 }, (_, i) => ({ toolCalls: [{ name: 'fixture-repeat', arguments: { text: `${i}`, times: 50_000 } }] })),
    { text: 'done' },
  ]);
  const spec = {
    agent: {
      instruction: 'You repeat.',
      provider: 'openai',
      model,
      servers: ['fixture'],
      resources: ['fixture:fixture://notes/readme'],
      prompt: { server: 'fixture', name: 'review', arguments: { topic: 'repetition' } },
    },
    history_limit_bytes: 16 * 1024,
  };
  const handle = await env.start('agent', 'repeat', spec);
  expect(((await handle.result()) as AgentResult).text).toBe('done');
  expect((await executionSizes(env.worker.client, handle.workflowId, handle.firstExecutionRunId)).length).toBeGreaterThan(1);
  const requests = env.provider.requests(model);
  expect(requests).toHaveLength(5);
  for (const request of requests) {
    expect(systemSeen(request)).toContain('You review repetition. Answer in a neutral tone.');
    expect(systemSeen(request)).toContain('The secret word is pomegranate.');
  }
});

test('a resource the server does not have fails the run at once, saying which', async () => {
  const model = uniqueModel('ctx-missing');
  const spec = { agent: { instruction: 'x', provider: 'openai', model, resources: ['fixture:fixture://notes/missing'] } };
  const handle = await env.start('agent', 'hi', spec);
  const error = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  // The run fails with the root cause as its own failure (workflows/lifecycle.ts).
  const root = (error as WorkflowFailedError).cause;
  expect(root).toBeInstanceOf(ApplicationFailure);
  expect((root as ApplicationFailure).type).toBe(FailureTypes.McpRequestFailed);
  expect((root as ApplicationFailure).message).toBe(
    'MCP server "fixture" could not read the resource "fixture://notes/missing": Resource fixture://notes/missing not found',
  );
  expect(env.provider.requests(model)).toHaveLength(0);
});

/** The activities a run scheduled, each with the attempt its history ends on. */
async function activityAttempts(handle: WorkflowHandle): Promise<Array<{ type: string; attempt: number }>> {
  const { events } = await handle.fetchHistory();
  const types = new Map<string, string>();
  const attempts: Array<{ type: string; attempt: number }> = [];
  for (const event of events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) types.set(String(event.eventId), scheduled.activityType?.name ?? '');
    const started = event.activityTaskStartedEventAttributes;
    if (started) attempts.push({ type: types.get(String(started.scheduledEventId)) ?? '', attempt: started.attempt ?? 0 });
  }
  return attempts;
}

test.each([
  ['a resource', { resources: ['missing:file:///notes.md'] }, 'mcpReadResource'],
  ['a prompt', { prompt: { server: 'missing', name: 'briefing' } }, 'mcpGetPrompt'],
  ['the tools', { servers: ['missing'] }, 'mcpListTools'],
])('an agent using %s of a stdio server whose command does not exist fails at once, after one attempt, naming server and command', async (_what, fields, activity) => {
  const model = uniqueModel('ctx-unstartable');
  const handle = await env.start('agent', 'hi', { agent: { instruction: 'x', provider: 'openai', model, ...fields } });
  // Retried, the activity would take minutes (8 attempts with backoff) to fail the run.
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), 15_000)));
  const outcome = await Promise.race([handle.result().then(() => 'completed', (e: unknown) => e), late]).finally(() => clearTimeout(timer));
  if (outcome === 'late') await handle.terminate('test: still running after 15 s');
  expect(outcome).toBeInstanceOf(WorkflowFailedError);
  const root = (outcome as WorkflowFailedError).cause as ApplicationFailure;
  expect(root).toBeInstanceOf(ApplicationFailure);
  expect(root.type).toBe(FailureTypes.McpConnectionFailed);
  expect(root.message).toBe('MCP server "missing": cannot start its command "/nonexistent/binary": no such file (ENOENT)');
  expect((await activityAttempts(handle)).filter((a) => a.type === activity)).toEqual([{ type: activity, attempt: 1 }]);
  expect(env.provider.requests(model)).toHaveLength(0);
});

test('unknown servers in resources and prompt are spec errors with their key paths', () => {
  const config = env.worker.config;
  const problems = (spec: unknown, pattern = 'agent') => {
    try {
      resolveRun(config, pattern, spec);
    } catch (error) {
      if (error instanceof SpecError) return error.problems;
      throw error;
    }
    return [];
  };
  expect(
    problems({ agent: { resources: ['nope:file:///a.md', { server: 'gone', uri: 'x:y' }], prompt: { server: 'away', name: 'p' } } }),
  ).toEqual([
    // An ad-hoc spec is parsed first: "nope:file:///a.md" is {server: "nope", uri: "file:///a.md"} by then.
    'spec.agent.resources[0].server: unknown MCP server "nope"',
    'spec.agent.resources[1].server: unknown MCP server "gone"',
    'spec.agent.prompt.server: unknown MCP server "away"',
  ]);
  expect(problems({ agent: { resources: ['no-colon'] } })).toEqual([
    'spec.agent.resources[0]: must be "<server>:<uri>", e.g. "docs:file:///guide.md"',
  ]);
});

test("a swarm's agents read their prompt and resources when they first speak; the context variables follow each system prompt", async () => {
  env.provider.script('ctx-swarm-lead', [{ toolCalls: [{ name: 'transfer_to_viewer', arguments: {} }] }]);
  env.provider.script('ctx-swarm-viewer', [{ text: 'One transparent pixel.' }]);
  const handle = await env.start('swarm', 'What is in the picture?', { type: 'swarm', agents: ['lead', 'viewer'], context_variables: { user: 'Ada' } });
  expect(await handle.result()).toMatchObject({ text: 'One transparent pixel.', agent: 'viewer', handoffs: ['lead', 'viewer'] });

  const [lead] = env.provider.requests('ctx-swarm-lead');
  const leadSystem = systemSeen(lead);
  expect(leadSystem).toMatch(/^You lead\.\n\n/);
  expect(leadSystem).toContain(FIXTURE_README);
  expect(leadSystem.indexOf(FIXTURE_README)).toBeLessThan(leadSystem.indexOf('"user": "Ada"'));

  // The viewer's prompt messages and its image join the conversation when it takes over.
  const [viewer] = env.provider.requests('ctx-swarm-viewer');
  expect(systemSeen(viewer)).toMatch(/^You look at pictures\.\n\n[\s\S]*image\/png, 70 bytes: shown to you as an image[\s\S]*"user": "Ada"/);
  expect(conversationSeen(viewer)).toEqual([
    'user: What is in the picture?',
    'assistant: [transfer_to_viewer]',
    expect.stringMatching(/^tool: Transferred to viewer\./),
    'user: Brief me on the fixture server.',
    'assistant: It adds, echoes and repeats.',
    'user: The resource fixture://images/pixel.png from fixture (image/png):',
  ]);
  expect(JSON.stringify(viewer.body.messages)).toContain(`data:image/png;base64,${FIXTURE_PIXEL_PNG}`);
  expect(await activitySummaries(handle)).toEqual(expect.arrayContaining(['read resource · fixture · fixture://images/pixel.png', 'get prompt · fixture · briefing']));
});
