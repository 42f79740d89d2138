import { defaultPayloadConverter } from '@temporalio/common';
import { mcpServers, providerConfig, startAgentEnv, type AgentEnv } from '../support/agent-env';
import { startApi, type RunningApi } from '../support/api-http';

/**
 * The codec endpoint the Temporal Web UI calls: history holds a large payload as a claim and a long
 * tool result as a preview and a key; `/codec/decode` gives back what they stand for.
 */

let env: AgentEnv;
let running: RunningApi;

beforeAll(async () => {
  env = await startAgentEnv((provider, fixtureUrl) => ({
    ...providerConfig(provider),
    mcp: { servers: mcpServers(fixtureUrl) },
    storage: { inline_bytes: 100, payload_threshold_bytes: 4096 },
  }));
  running = await startApi(env.worker.config);
});

afterAll(async () => {
  await running?.close();
  await env?.close();
});

type HistoryPayload = { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null };

function asJson(payload: HistoryPayload) {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(payload.data ?? []).toString('base64'),
  };
}

function valueOf(payload: { metadata: Record<string, string>; data: string }): unknown {
  return defaultPayloadConverter.fromPayload({
    metadata: Object.fromEntries(Object.entries(payload.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(payload.data, 'base64'),
  });
}

test('the Web UI gets stored payloads and whole tool results back from /codec/decode', async () => {
  const model = `codec-${process.pid}`;
  env.provider.script(model, [
    { toolCalls: [{ name: 'fixture-repeat', arguments: { text: 'tool says ', times: 50 } }] },
    { text: 'done' },
  ]);
  const input = `Please read all of this: ${'lorem ipsum '.repeat(600)}`;
  const handle = await env.start('agent', input, { type: 'agent', agent: { instruction: 'You help.', model, servers: ['fixture'] } });
  await handle.result();

  // What the Web UI reads: the raw history, payloads as Temporal keeps them.
  const raw = await env.worker.client.workflowService.getWorkflowExecutionHistory({
    namespace: env.worker.config.temporal.namespace,
    execution: { workflowId: handle.workflowId },
  });
  const events = raw.history?.events ?? [];
  const startInput = events[0].workflowExecutionStartedEventAttributes!.input!.payloads![0];
  const toolScheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'mcpCallTool')!;
  const toolResult = events.find((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(toolScheduled.eventId))!
    .activityTaskCompletedEventAttributes!.result!.payloads![0];
  // The input is a claim, not the input; the tool result carries only its start.
  expect(Buffer.from(startInput.data ?? []).toString()).not.toContain('lorem ipsum');
  expect(JSON.parse(Buffer.from(toolResult.data ?? []).toString()).content.length).toBeLessThan(500);

  const reply = await running.api.request('POST', '/codec/decode', {
    json: { payloads: [asJson(startInput), asJson(toolResult)] },
    headers: { origin: 'http://ui.test', 'x-namespace': 'default' },
  });
  expect(reply.status).toBe(200);
  expect(reply.headers.get('access-control-allow-origin')).toBe('http://ui.test');
  const [decodedInput, decodedResult] = reply.body.payloads.map(valueOf);
  expect(decodedInput).toMatchObject({ name: 'agent', input });
  expect(decodedResult).toMatchObject({ content: 'tool says '.repeat(50), isError: false });

  const preflight = await running.api.request('OPTIONS', '/codec/decode', {
    headers: { origin: 'http://ui.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get('access-control-allow-headers')).toContain('x-namespace');
  // A forged key reads nothing: not a file outside the store, not another blob.
  const forged = defaultPayloadConverter.toPayload({ content: 'kept as it is', stored: { key: 'text/../../../../etc/passwd', bytes: 1 } });
  const decodedForged = await running.api.post('/codec/decode', { payloads: [asJson(forged!)] });
  expect(valueOf(decodedForged.body.payloads[0])).toMatchObject({ content: 'kept as it is' });
  // Encoding leaves payloads as they are.
  const encoded = await running.api.post('/codec/encode', { payloads: [asJson(toolResult)] });
  expect(encoded.body.payloads).toEqual([asJson(toolResult)]);
});
