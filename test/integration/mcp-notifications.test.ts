import { Connection, WorkflowClient } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { ConfigInput } from '../../src/config/schema';
import { startScriptedProvider, type ScriptedProvider } from '../../src/testing/scripted-model';
import { startFixtureHttpServer, type FixtureHttpServer } from '../fixtures/mcp-fixture-server';
import { eventually, mcpServers, providerConfig } from '../support/agent-env';
import { startApiProcess, type ApiProcess } from '../support/api-process';
import { uniqueTaskQueue } from '../support/harness';
import { startNatsServer, type NatsServer } from '../support/nats-server';
import { openSse, type ParsedRunEvent } from '../support/sse';
import { testTemporalAddress } from '../support/temporal-env';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

/**
 * An MCP server's progress notifications and log messages for a running tool call, as deployed: a
 * worker process and an API process joined by a real nats-server, the fixture server over
 * streamable HTTP and over stdio. They reach the run's event stream as `tool_progress` and
 * `tool_log` while the call runs, and the latest progress is the activity's heartbeat details.
 */

let nats: NatsServer;
let provider: ScriptedProvider;
let fixture: FixtureHttpServer;
let worker: WorkerProcess;
let api: ApiProcess;
let connection: Connection;
const taskQueue = uniqueTaskQueue('notifications');

beforeAll(async () => {
  [nats, provider, fixture] = await Promise.all([startNatsServer(), startScriptedProvider(), startFixtureHttpServer()]);
  const servers = mcpServers(fixture.url)!;
  const config: ConfigInput = {
    ...providerConfig(provider),
    streaming: { nats_url: nats.url },
    mcp: { servers: { fixture: servers.fixture, local: servers.local } },
  };
  [worker, api] = (await Promise.all([
    startWorkerProcess({ config, taskQueue, label: 'worker' }),
    startApiProcess({ config, taskQueue, label: 'API' }),
  ])) as [WorkerProcess, ApiProcess];
  connection = await Connection.connect({ address: testTemporalAddress() });
});

afterAll(async () => {
  await Promise.all([worker?.stop(), api?.stop()]);
  await connection?.close();
  await provider?.close();
  await fixture?.close();
  await nats?.stop();
});

let counter = 0;

test.each([
  ['streamable HTTP', 'fixture'],
  ['stdio', 'local'],
])('progress and log messages of a tool call over %s reach the event stream while it runs', async (_transport, server) => {
  const model = `notify-${server}-${++counter}-${Date.now()}`;
  let open!: () => void;
  const watching = new Promise<void>((resolve) => (open = resolve));
  provider.script(model, [
    { toolCalls: [{ name: `${server}-report`, arguments: { steps: 3, ms: 400 } }], holdUntil: watching },
    { text: 'Reported.' },
  ]);
  const started = await fetch(`${api.url}/workflows/agent/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ input: 'go', spec: { agent: { instruction: 'You report.', provider: 'openai', model, servers: [server] } } }),
  });
  expect(started.status).toBe(202);
  const { runId } = (await started.json()) as { runId: string };
  const stream = await openSse(`${api.url}/runs/${encodeURIComponent(runId)}/events`);
  const events: ParsedRunEvent[] = [JSON.parse((await stream.next())!.data) as ParsedRunEvent];
  open();

  // While the tool runs, its latest progress is the pending activity's heartbeat details.
  const client = new WorkflowClient({ connection });
  const details = eventually(async () => {
    const pending = (await client.getHandle(runId).describe()).raw.pendingActivities ?? [];
    const payload = pending.find((activity) => activity.activityType?.name === 'mcpCallTool')?.heartbeatDetails?.payloads?.[0];
    return payload ? (defaultPayloadConverter.fromPayload(payload) as { progress: number; total: number }) : undefined;
  }, 10_000);

  for (let message = await stream.next(); message; message = await stream.next()) events.push(JSON.parse(message.data) as ParsedRunEvent);
  expect(await details).toMatchObject({ total: 3, progress: expect.any(Number) });

  const types = events.map((event) => event.type);
  const toolStarted = types.indexOf('tool_started');
  const toolFinished = types.indexOf('tool_finished');
  const progress = events.filter((event) => event.type === 'tool_progress');
  const logs = events.filter((event) => event.type === 'tool_log');
  expect(progress.map((event) => event.data)).toEqual(
    [1, 2, 3].map((step) => expect.objectContaining({ runId, server, tool: 'report', progress: step, total: 3, message: `step ${step}` })),
  );
  expect(logs.map((event) => event.data)).toEqual(
    [1, 2, 3].map((step) => expect.objectContaining({ runId, server, tool: 'report', level: 'info', logger: 'fixture', message: `step ${step} of 3 done` })),
  );
  // Live, between the call's start and end, and never with an id (they are not replayed).
  for (const event of [...progress, ...logs]) {
    expect(events.indexOf(event)).toBeGreaterThan(toolStarted);
    expect(events.indexOf(event)).toBeLessThan(toolFinished);
    expect(event.id).toBeUndefined();
  }
  expect(types.at(-1)).toBe('completed');
});
