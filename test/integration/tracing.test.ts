import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startTracing, type Tracing } from '../../src/telemetry/tracing';
import { startScriptedProvider, type ScriptedProvider } from '../../src/testing/scripted-model';
import { eventually, mcpServers, providerConfig } from '../support/agent-env';
import { startApi, type RunningApi } from '../support/api-http';
import { startTestWorker, testConfig, uniqueTaskQueue, type TestWorker } from '../support/harness';

/**
 * OpenTelemetry traces, collected with the SDK's in-memory exporter from the real API, worker and
 * Temporal dev server: one trace from the API request (joined to the caller's traceparent) through
 * the workflow, its child workflows and their activities, down to each model and tool call, with
 * the GenAI attributes.
 */

const stamp = Date.now();
const models = { adder: `trace-adder-${stamp}`, writer: `trace-writer-${stamp}` };
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let provider: ScriptedProvider;
let worker: TestWorker;
let running: RunningApi;

beforeAll(async () => {
  provider = await startScriptedProvider();
  const config = testConfig(
    {
      ...providerConfig(provider),
      mcp: { servers: { everything: mcpServers('')!.everything } },
      agents: {
        adder: { instruction: 'Add with your tools.', servers: ['everything'], provider: 'anthropic', model: models.adder },
        writer: { instruction: 'Write one line.', provider: 'openai', model: models.writer },
      },
      workflows: { team: { type: 'parallel', fan_out: ['adder', 'writer'] } },
    },
    uniqueTaskQueue('tracing'),
  );
  // One provider for the process, as the API and the worker each have in their own.
  tracing = startTracing(config, 'worker', new SimpleSpanProcessor(exporter))!;
  worker = await startTestWorker(config, { tracing });
  running = await startApi(config, undefined, { tracing: true });
});

afterAll(async () => {
  await running?.close();
  await worker?.stop();
  await provider?.close();
  await tracing?.shutdown();
});

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const callerSpanId = '00f067aa0ba902b7';

test('one trace from the API request to every model and tool call of the children, with GenAI attributes', async () => {
  provider.script(models.adder, [
    { toolCalls: [{ name: 'everything-get-sum', arguments: { a: 2, b: 3 } }], usage: { input: 11, output: 4 } },
    { text: 'Five.', usage: { input: 21, output: 2 } },
  ]);
  provider.script(models.writer, [{ text: 'A line.', usage: { input: 7, output: 3 } }]);
  const started = await running.api.request('POST', '/workflows/team/run', {
    json: { input: 'Add 2 and 3.' },
    headers: { traceparent: `00-${traceId}-${callerSpanId}-01` },
  });
  expect(started.status).toBe(202);
  const done = (await running.api.get(`/runs/${started.body.runId}/result?wait=30`)).body;
  expect(done.status).toBe('completed');

  // Workflow spans reach the exporter as their workflow tasks complete.
  const spans = await eventually(async () => {
    const ours = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
    return ours.filter((span) => span.name === 'RunWorkflow:agentWorkflow').length === 2 && ours.some((s) => s.name === `chat ${models.writer}`)
      ? ours
      : undefined;
  });
  const named = (name: string) => spans.filter((span) => span.name === name);
  const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
  const parentOf = (span: ReadableSpan) => byId.get(span.parentSpanId ?? '');

  // The request joins the caller's trace; every other span hangs off one of the trace's spans.
  const [request] = named('POST /workflows/:name/run');
  expect(request.parentSpanId).toBe(callerSpanId);
  expect(request.attributes['http.response.status_code']).toBe(202);
  for (const span of spans.filter((s) => s !== request)) expect(parentOf(span)).toBeDefined();

  // Down the tree: request → start → parent run → child starts → child runs → activities → calls.
  expect(parentOf(named('StartWorkflow:parallelWorkflow')[0])).toBe(request);
  expect(named('RunWorkflow:parallelWorkflow')).toHaveLength(1);
  expect(named('StartChildWorkflow:agentWorkflow')).toHaveLength(2);
  for (const child of named('RunWorkflow:agentWorkflow')) expect(parentOf(child)?.name).toBe('StartChildWorkflow:agentWorkflow');

  const adderCalls = named(`chat ${models.adder}`);
  expect(adderCalls).toHaveLength(2);
  for (const call of adderCalls) expect(parentOf(call)?.name).toBe('RunActivity:llmGenerate');
  expect(adderCalls.map((call) => call.attributes)).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.request.model': models.adder,
        'gen_ai.usage.input_tokens': 11,
        'gen_ai.usage.output_tokens': 4,
        'gen_ai.response.finish_reasons': ['tool_use'],
      }),
      expect.objectContaining({ 'gen_ai.usage.input_tokens': 21, 'gen_ai.response.finish_reasons': ['end_turn'] }),
    ]),
  );
  const [tool] = named('execute_tool get-sum');
  expect(tool.attributes).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'get-sum', 'mcp_agent.mcp.server': 'everything' });
  expect(parentOf(tool)?.name).toBe('RunActivity:mcpCallTool');
  // The tool call belongs to the adder's run, not the writer's.
  const runOf = (span: ReadableSpan): ReadableSpan | undefined => {
    for (let at = parentOf(span); at; at = parentOf(at)) if (at.name === 'RunWorkflow:agentWorkflow') return at;
    return undefined;
  };
  expect(runOf(tool)).toBe(runOf(adderCalls[0]));
  expect(runOf(named(`chat ${models.writer}`)[0])).not.toBe(runOf(tool));
});
