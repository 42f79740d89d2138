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
 * to a real Jaeger. A run's spans from both processes arrive as one trace, under the caller's.
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

test('a run started through the API is one trace in Jaeger, from the request to the model and tool calls', async () => {
  provider.script('gpt-4o-mini', [
    { toolCalls: [{ name: 'everything-get-sum', arguments: { a: 2, b: 3 } }], usage: { input: 12, output: 5 } },
    { text: '5', usage: { input: 30, output: 1 } },
  ]);
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const started = await fetch(`${api}/workflows/calc/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-b7ad6b7169203331-01` },
    body: JSON.stringify({ input: 'What is 2 + 3?' }),
  });
  expect(started.status).toBe(202);
  const { runId } = (await started.json()) as { runId: string };
  expect(await (await fetch(`${api}/runs/${runId}/result?wait=30`)).json()).toMatchObject({ status: 'completed' });

  // The processes export in batches (every few seconds); Jaeger answers 404 until the trace exists.
  const trace = await eventually(async () => {
    const reply = await fetch(`${jaeger.queryUrl}/api/traces/${traceId}`);
    if (!reply.ok) return undefined;
    const [found] = ((await reply.json()) as { data: JaegerTrace[] }).data;
    const names = new Set(found?.spans.map((span) => span.operationName));
    return names.has('POST /workflows/:name/run') && names.has('execute_tool get-sum') && names.has('chat gpt-4o-mini') ? found : undefined;
  }, 60_000);

  const service = (span: JaegerSpan) => trace.processes[span.processID].serviceName;
  const byName = (name: string) => trace.spans.filter((span) => span.operationName === name);
  const [request] = byName('POST /workflows/:name/run');
  expect(service(request)).toBe('mcp-agent-api');
  expect(request.references).toEqual([expect.objectContaining({ refType: 'CHILD_OF', spanID: 'b7ad6b7169203331' })]);
  expect(byName('StartWorkflow:agentWorkflow').map(service)).toEqual(['mcp-agent-api']);
  expect(byName('RunWorkflow:agentWorkflow').map(service)).toEqual(['mcp-agent-worker']);

  const calls = byName('chat gpt-4o-mini');
  expect(calls.map(service)).toEqual(['mcp-agent-worker', 'mcp-agent-worker']);
  const tags = (span: JaegerSpan) => Object.fromEntries(span.tags.map((tag) => [tag.key, tag.value]));
  expect(calls.map(tags)).toEqual(
    expect.arrayContaining([expect.objectContaining({ 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 12, 'gen_ai.usage.output_tokens': 5 })]),
  );
  expect(tags(byName('execute_tool get-sum')[0])).toMatchObject({ 'gen_ai.tool.name': 'get-sum', 'mcp_agent.mcp.server': 'everything' });

  // One tree: every span but the request has its parent in the trace.
  const ids = new Set(trace.spans.map((span) => span.spanID));
  for (const span of trace.spans.filter((s) => s !== request)) {
    expect(span.references.some((ref) => ids.has(ref.spanID))).toBe(true);
  }
});
