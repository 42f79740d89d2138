import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { freePort, stopProcess } from '../../temporal/dev-server';

/**
 * A real Jaeger (v2, the OpenTelemetry-collector-based all-in-one) for the tracing tier: OTLP over
 * HTTP in, traces kept in memory, its query API out, on free ports. The binary comes from
 * JAEGER_PATH, else .tools/jaeger/bin/jaeger, else it is built there from the Go module proxy
 * (`go install tool` in test/support/jaeger-build, whose go.mod pins Jaeger v1.76.0 and every
 * dependency; several minutes; .ci/run does it before the suite).
 */

const projectRoot = path.resolve(__dirname, '..', '..');
const buildModule = path.join(__dirname, 'jaeger-build');
const toolsBin = path.join(projectRoot, '.tools', 'jaeger', 'bin');

export function jaegerBinary(): string {
  const named = process.env.JAEGER_PATH;
  if (named) return named;
  const binary = path.join(toolsBin, 'jaeger');
  if (!existsSync(binary)) {
    const built = spawnSync('go', ['install', 'tool'], { cwd: buildModule, env: { ...process.env, GOBIN: toolsBin }, encoding: 'utf8', timeout: 1_500_000 });
    if (built.status !== 0 || !existsSync(binary)) {
      throw new Error(
        `Jaeger is needed for the tracing tier: install Go and run \`GOBIN=${toolsBin} go install tool\` in ${buildModule}, or set JAEGER_PATH. ` +
          `${built.error?.message ?? built.stderr ?? ''}`,
      );
    }
  }
  return binary;
}

export interface Jaeger {
  /** Where OTLP/HTTP traces go: the value for `telemetry.tracing.endpoint`. */
  tracesEndpoint: string;
  /** Jaeger's query API (`/api/traces/:traceId`). */
  queryUrl: string;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export async function startJaeger(): Promise<Jaeger> {
  const binary = jaegerBinary();
  const [otlp, query, grpc] = [await freePort(), await freePort(), await freePort()];
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-agent-jaeger-'));
  const config = path.join(dir, 'jaeger.yaml');
  writeFileSync(
    config,
    stringify({
      service: {
        extensions: ['jaeger_storage', 'jaeger_query'],
        pipelines: { traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['jaeger_storage_exporter'] } },
        telemetry: { metrics: { level: 'none' }, logs: { level: 'warn' } },
      },
      extensions: {
        jaeger_query: { storage: { traces: 'memstore' }, http: { endpoint: `127.0.0.1:${query}` }, grpc: { endpoint: `127.0.0.1:${grpc}` } },
        jaeger_storage: { backends: { memstore: { memory: { max_traces: 10_000 } } } },
      },
      receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${otlp}` } } } },
      processors: { batch: { timeout: '100ms' } },
      exporters: { jaeger_storage_exporter: { trace_storage: 'memstore' } },
    }),
  );
  const child = spawn(binary, ['--config', `file:${config}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const queryUrl = `http://127.0.0.1:${query}`;
  for (let waited = 0; ; waited += 200) {
    if (child.exitCode !== null) throw new Error(`Jaeger exited at start:\n${output}`);
    const up = await fetch(`${queryUrl}/api/services`).then((r) => r.ok, () => false);
    if (up) break;
    if (waited > 30_000) throw new Error(`Jaeger did not answer within 30 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    tracesEndpoint: `http://127.0.0.1:${otlp}/v1/traces`,
    queryUrl,
    process: child,
    output: () => output,
    async stop() {
      await stopProcess(child, 5000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
