import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, stopProcess } from '../../temporal/dev-server';
import { startScriptedProvider, type ScriptedProvider } from '../../src/testing/scripted-model';
import { eventually, projectRoot } from '../support/agent-env';
import { startJaeger, type Jaeger } from '../support/jaeger';

/**
 * Tracing as an operator turns it on: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=... npm run dev` (the
 * shipped config, its own Temporal dev server, a worker process and an API process), sending OTLP
 * to a real Jaeger. A composed run's spans from both processes, its children's calls included,
 * arrive as one trace, under the caller's.
 */

let jaeger: Jaeger;
let provider: ScriptedProvider;
let dev: ChildProcess;
let output = '';
let api: string;

beforeAll(async () => {
  jaeger = await startJaeger();
  provider = await startScriptedProvider();
  const [temporalPort, uiPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  api = `http://127.0.0.1:${apiPort}`;
  dev = spawn(process.execPath, [require.resolve('tsx/cli'), path.join(projectRoot, 'src', 'dev', 'main.ts')], {
    cwd: mkdtempSync(path.join(os.tmpdir(), 'mcp-agent-jaeger-dev-')),
    env: {
      ...process.env,
      MCP_AGENT_CONFIG: path.join(projectRoot, 'mcp_agent.config.yaml'),
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      TEMPORAL_UI_URL: `http://127.0.0.1:${uiPort}`,
      PORT: String(apiPort),
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: provider.openaiBaseUrl,
      LOG_LEVEL: 'warn',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: jaeger.tracesEndpoint,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  dev.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  dev.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await eventually(async () => {
    if (dev.exitCode !== null) throw new Error(`npm run dev exited early:\n${output}`);
    return /ready: API at /.test(output) || undefined;
  }, 120_000);
}, 240_000);

afterAll(async () => {
  if (dev) await stopProcess(dev, 30_000);
  await provider?.close();
  await jaeger?.stop();
});

interface JaegerSpan {
  spanID: string;
  operationName: string;
  processID: string;
  references: Array<{ refType: string; spanID: string }>;
  tags: Array<{ key: string; value: unknown }>;
}
interface JaegerTrace {
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

const writerModel = 'jaeger-writer';

test('a composed run started through the API is one trace in Jaeger, from the request to every model and tool call of its children', async () => {
  provider.script('gpt-4o-mini', [
    { toolCalls: [{ name: 'everything-get-sum', arguments: { a: 2, b: 3 } }], usage: { input: 12, output: 5 } },
    { text: '5', usage: { input: 30, output: 1 } },
  ]);
  provider.script(writerModel, [{ text: 'Two and three make five.', usage: { input: 9, output: 6 } }]);
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  // An ad-hoc parallel run over the shipped calculator (tools) and an inline writer (no tools):
  // each is a child workflow, so the trace has to cross into both.
  const started = await fetch(`${api}/workflows/parallel/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-b7ad6b7169203331-01` },
    body: JSON.stringify({
      input: 'What is 2 + 3?',
      spec: { type: 'parallel', fan_out: ['calculator', { name: 'writer', instruction: 'Write one line.', model: writerModel }] },
    }),
  });
  expect(started.status).toBe(202);
  const { runId } = (await started.json()) as { runId: string };
  expect(await (await fetch(`${api}/runs/${runId}/result?wait=30`)).json()).toMatchObject({ status: 'completed' });

  // The processes export in batches (every few seconds), and a parent span ends (and is exported)
  // after its children: wait until the calls are there and every span's parent is too.
  const trace = await eventually(async () => {
    const reply = await fetch(`${jaeger.queryUrl}/api/traces/${traceId}`);
    if (!reply.ok) return undefined;
    const [found] = ((await reply.json()) as { data: JaegerTrace[] }).data;
    if (!found) return undefined;
    const count = (name: string) => found.spans.filter((span) => span.operationName === name).length;
    const ids = new Set(found.spans.map((span) => span.spanID));
    const joined = found.spans.every((span) => span.references.some((ref) => ids.has(ref.spanID) || ref.spanID === 'b7ad6b7169203331'));
    return joined &&
      count('POST /workflows/:name/run') === 1 &&
      count('RunWorkflow:agentWorkflow') === 2 &&
      count('chat gpt-4o-mini') === 2 &&
      count(`chat ${writerModel}`) === 1 &&
      count('execute_tool get-sum') === 1
      ? found
      : undefined;
  }, 60_000);

  const service = (span: JaegerSpan) => trace.processes[span.processID].serviceName;
  const byName = (name: string) => trace.spans.filter((span) => span.operationName === name);
  const byId = new Map(trace.spans.map((span) => [span.spanID, span]));
  const parentOf = (span: JaegerSpan) => byId.get(span.references.find((ref) => ref.refType === 'CHILD_OF')?.spanID ?? '');
  const ancestors = (span: JaegerSpan): JaegerSpan[] => {
    const found: JaegerSpan[] = [];
    for (let at = parentOf(span); at; at = parentOf(at)) found.push(at);
    return found;
  };
  const childRunOf = (span: JaegerSpan) => ancestors(span).find((at) => at.operationName === 'RunWorkflow:agentWorkflow');

  const [request] = byName('POST /workflows/:name/run');
  expect(service(request)).toBe('mcp-agent-api');
  expect(request.references).toEqual([expect.objectContaining({ refType: 'CHILD_OF', spanID: 'b7ad6b7169203331' })]);
  // One tree: every span descends from the request, through both processes.
  for (const span of trace.spans.filter((s) => s !== request)) expect(ancestors(span)).toContain(request);

  const [start] = byName('StartWorkflow:parallelWorkflow');
  expect(service(start)).toBe('mcp-agent-api');
  expect(parentOf(start)).toBe(request);
  const [parentRun] = byName('RunWorkflow:parallelWorkflow');
  expect(service(parentRun)).toBe('mcp-agent-worker');
  const childStarts = byName('StartChildWorkflow:agentWorkflow');
  expect(childStarts).toHaveLength(2);
  for (const childStart of childStarts) expect(ancestors(childStart)).toContain(parentRun);
  const childRuns = byName('RunWorkflow:agentWorkflow');
  expect(childRuns.map(service)).toEqual(['mcp-agent-worker', 'mcp-agent-worker']);
  for (const childRun of childRuns) expect(childStarts).toContain(parentOf(childRun));

  // Each child's own calls, under its own run: the calculator's two model calls and its tool call,
  // the writer's one model call.
  const calculatorCalls = byName('chat gpt-4o-mini');
  const [writerCall] = byName(`chat ${writerModel}`);
  const [tool] = byName('execute_tool get-sum');
  for (const call of [...calculatorCalls, writerCall]) expect(parentOf(call)?.operationName).toBe('RunActivity:llmGenerate');
  expect(parentOf(tool)?.operationName).toBe('RunActivity:mcpCallTool');
  const calculatorRun = childRunOf(calculatorCalls[0]);
  expect(childRuns).toContain(calculatorRun);
  expect(childRunOf(calculatorCalls[1])).toBe(calculatorRun);
  expect(childRunOf(tool)).toBe(calculatorRun);
  expect(childRuns).toContain(childRunOf(writerCall));
  expect(childRunOf(writerCall)).not.toBe(calculatorRun);

  const tags = (span: JaegerSpan) => Object.fromEntries(span.tags.map((tag) => [tag.key, tag.value]));
  expect(tags(writerCall)).toMatchObject({
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': writerModel,
    'gen_ai.usage.input_tokens': 9,
    'gen_ai.usage.output_tokens': 6,
  });
  expect(calculatorCalls.map(tags)).toEqual(
    expect.arrayContaining([expect.objectContaining({ 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 12, 'gen_ai.usage.output_tokens': 5 })]),
  );
  expect(tags(tool)).toMatchObject({ 'gen_ai.tool.name': 'get-sum', 'mcp_agent.mcp.server': 'everything' });
});
