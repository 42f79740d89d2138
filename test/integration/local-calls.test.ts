import net from 'node:net';
import path from 'node:path';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { AgentResult } from '../../workflows/agent';
import { freePort } from '../../temporal/dev-server';
import { startFixtureHttpServer, type FixtureHttpServer } from '../fixtures/mcp-fixture-server';
import { mcpServers, projectRoot, providerConfig, startAgentEnv, type AgentEnv } from '../support/agent-env';
import { toolResultsSeen } from '../support/requests';

/**
 * The fast path for short calls: an MCP server or function marked `local: true` runs its calls as
 * Temporal local activities. Their results reach the model as any tool's do; history holds a
 * marker for each instead of activity events; a tool's own error is still an answer for the model,
 * while a thrown failure is retried inside the workflow task; a server's `calls` policy still
 * applies. startAgentEnv's close replays every history made here.
 */

const orders = path.join(projectRoot, 'test', 'fixtures', 'functions', 'orders.ts');
const flaky = path.join(projectRoot, 'test', 'fixtures', 'functions', 'flaky.ts');

let env: AgentEnv;
/** Where the server `later` is configured, which refuses its first connection (see laterServer). */
let laterPort: number;
let later: FixtureHttpServer | undefined;

beforeAll(async () => {
  laterPort = await freePort();
  env = await startAgentEnv((provider, fixtureUrl) => {
    const servers = mcpServers(fixtureUrl)!;
    return {
      ...providerConfig(provider),
      mcp: {
        servers: {
          ...servers,
          quick: { url: fixtureUrl, local: true },
          later: { url: `http://127.0.0.1:${laterPort}/mcp`, local: true, calls: { initial_retry_seconds: 1 } },
          hasty: { url: fixtureUrl, local: true, calls: { timeout_seconds: 1, deadline_seconds: 3, max_retry_seconds: 1 } },
        },
      },
      functions: {
        lookup_order: { module: orders, export: 'lookupOrder', local: true },
        busy_once: { module: flaky, export: 'busyOnce', local: true },
        retry_later: { module: orders, export: 'retryLater', local: true },
      },
    };
  });
});

afterAll(async () => {
  await env?.close();
  await later?.close();
});

/**
 * The server `later` as a server that was down when first called: the first connection to its port
 * is dropped, and the fixture takes the port from then on.
 */
async function laterServer(): Promise<void> {
  const refusing = net.createServer((socket) => {
    socket.destroy();
    refusing.close(() => {
      startFixtureHttpServer(laterPort).then(
        (server) => (later = server),
        (error: unknown) => console.error(error),
      );
    });
  });
  await new Promise<void>((resolve) => refusing.listen(laterPort, '127.0.0.1', resolve));
}

let modelCounter = 0;
const uniqueModel = (label: string) => `${label}-${++modelCounter}-${Date.now()}`;

function adHoc(model: string, extra: Record<string, unknown>) {
  return { type: 'agent', agent: { instruction: 'You use tools.', provider: 'openai', model, ...extra } };
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

async function events(handle: WorkflowHandle): Promise<HistoryEvent[]> {
  return (await handle.fetchHistory()).events ?? [];
}

/** The activity types of ordinary activities the run scheduled, in order. */
function scheduledTypes(history: HistoryEvent[]): string[] {
  return history.flatMap((e) => {
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
    return name ? [name] : [];
  });
}

interface LocalMarker {
  activityType: string;
  attempt: number;
  failed: boolean;
}

/** The local activities the run recorded, from their markers' details. */
function localMarkers(history: HistoryEvent[]): LocalMarker[] {
  return history.flatMap((e) => {
    const marker = e.markerRecordedEventAttributes;
    if (!marker || marker.markerName !== 'core_local_activity') return [];
    const mark = defaultPayloadConverter.fromPayload<{ activity_type: string; attempt: number }>(marker.details!.data!.payloads![0] as never);
    return [{ activityType: mark.activity_type, attempt: mark.attempt, failed: Boolean(marker.failure) }];
  });
}

const byType = (markers: LocalMarker[]) => [...markers].sort((a, b) => a.activityType.localeCompare(b.activityType));

test('local MCP and function tool calls reach the model, and history has a marker for each instead of activity events', async () => {
  const model = uniqueModel('local');
  env.provider.script(model, [
    {
      toolCalls: [
        { name: 'quick-add', arguments: { a: 40, b: 2 } },
        { name: 'lookup_order', arguments: { id: 'A-1' } },
        { name: 'fixture-add', arguments: { a: 1, b: 1 } },
      ],
    },
    { toolCalls: [{ name: 'quick-echo', arguments: { text: 'again' } }] },
    { text: 'done' },
  ]);
  const handle = await env.start('agent', 'go', adHoc(model, { servers: ['quick', 'fixture'], functions: ['lookup_order'] }));
  const result = (await handle.result()) as AgentResult;
  expect(result).toMatchObject({ text: 'done', iterations: 3, stopReason: 'final_answer' });
  expect(result.usage).toMatchObject({ llmCalls: 3, toolCalls: 4 });

  const [, second, third] = env.provider.requests(model);
  const [sum, order, other] = toolResultsSeen(second);
  expect(sum).toMatchObject({ content: '42', isError: false });
  expect(JSON.parse(order.content)).toMatchObject({ id: 'A-1', status: 'shipped' });
  expect(other).toMatchObject({ content: '2', isError: false });
  expect(toolResultsSeen(third).at(-1)).toMatchObject({ content: 'again', isError: false });

  const history = await events(handle);
  // The server that is not local keeps its ordinary activities; the local ones have markers only.
  expect(scheduledTypes(history).sort()).toEqual(['llmGenerate', 'llmGenerate', 'llmGenerate', 'mcpCallTool', 'mcpListTools']);
  expect(localMarkers(history).map((m) => m.activityType).sort()).toEqual(['callFunction', 'mcpCallTool', 'mcpCallTool', 'mcpListTools']);
  expect(localMarkers(history).every((m) => m.attempt === 1 && !m.failed)).toBe(true);
});

test("a local tool's error and an unknown tool are answers for the model, as from an ordinary activity", async () => {
  const model = uniqueModel('local-errors');
  env.provider.script(model, [
    {
      toolCalls: [
        { name: 'quick-fail', arguments: { message: 'disk full' } },
        { name: 'lookup_order', arguments: { id: 'Z-9' } },
      ],
    },
    { text: 'could not' },
  ]);
  const handle = await env.start('agent', 'try', adHoc(model, { servers: ['quick'], functions: ['lookup_order'] }));
  expect(await handle.result()).toMatchObject({ text: 'could not' });
  const [failed, missing] = toolResultsSeen(env.provider.requests(model)[1]);
  expect(failed).toMatchObject({ isError: true });
  expect(failed.content).toContain('disk full');
  expect(missing).toMatchObject({ isError: true });
  expect(missing.content).toContain('No order with id "Z-9".');
  // Each call ran once: an error result is not a failure to retry.
  expect(byType(localMarkers(await events(handle)))).toEqual([
    { activityType: 'callFunction', attempt: 1, failed: false },
    { activityType: 'mcpCallTool', attempt: 1, failed: false },
    { activityType: 'mcpListTools', attempt: 1, failed: false },
  ]);
});

test('a thrown failure is retried inside the workflow task: a local server that was down, a function that asks for a retry', async () => {
  const model = uniqueModel('local-retry');
  await laterServer();
  env.provider.script(model, [
    {
      toolCalls: [
        { name: 'later-add', arguments: { a: 20, b: 22 } },
        { name: 'busy_once', arguments: { key: model } },
      ],
    },
    { text: 'recovered' },
  ]);
  const handle = await env.start('agent', 'go', adHoc(model, { servers: ['later'], functions: ['busy_once'] }));
  expect(await handle.result()).toMatchObject({ text: 'recovered' });
  const [sum, busy] = toolResultsSeen(env.provider.requests(model)[1]);
  expect(sum).toMatchObject({ content: '42', isError: false });
  expect(busy).toMatchObject({ content: 'done on attempt 2', isError: false });

  const history = await events(handle);
  expect(scheduledTypes(history)).toEqual(['llmGenerate', 'llmGenerate']);
  // One marker per call, with the attempt that succeeded; the failed attempts left no events.
  expect(byType(localMarkers(history))).toEqual([
    { activityType: 'callFunction', attempt: 2, failed: false },
    { activityType: 'mcpCallTool', attempt: 1, failed: false },
    { activityType: 'mcpListTools', attempt: 2, failed: false },
  ]);
  expect(history.some((e) => e.activityTaskFailedEventAttributes)).toBe(false);
});

test('a local call that keeps failing fails the run once its retries are spent, with the cause', async () => {
  const model = uniqueModel('local-exhausted');
  env.provider.script(model, [{ toolCalls: [{ name: 'retry_later', arguments: {} }] }, { text: 'never' }]);
  const handle = await env.start('agent', 'go', adHoc(model, { functions: ['retry_later'] }));
  const failure = await handle.result().then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect(JSON.stringify((failure as WorkflowFailedError).cause, Object.getOwnPropertyNames((failure as WorkflowFailedError).cause))).toContain(
    'inventory service busy',
  );
  // Three attempts (the function policy's), one failed marker.
  expect(localMarkers(await events(handle))).toEqual([{ activityType: 'callFunction', attempt: 3, failed: true }]);
  expect(env.provider.requests(model)).toHaveLength(1);
});

test("a server's calls policy sets the local call's timeout and deadline", async () => {
  const model = uniqueModel('local-deadline');
  env.provider.script(model, [{ toolCalls: [{ name: 'hasty-slow', arguments: { ms: 10_000 } }] }, { text: 'never' }]);
  const started = Date.now();
  const handle = await env.start('agent', 'go', adHoc(model, { servers: ['hasty'] }));
  const failure = await handle.result().then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const message = String((failure as WorkflowFailedError).cause?.message);
  expect(message).toMatch(/did not finish within its deadline of 3 s \(calls\.deadline_seconds\)/);
  // Attempts of 1 s each within the 3 s deadline, not the 10 s the tool would have taken.
  expect(Date.now() - started).toBeLessThan(9_000);
  const calls = localMarkers(await events(handle)).filter((m) => m.activityType === 'mcpCallTool');
  expect(calls).toHaveLength(1);
  expect(calls[0].failed).toBe(true);
  expect(calls[0].attempt).toBeGreaterThanOrEqual(2);
});
