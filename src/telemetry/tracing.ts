import { hostname } from 'node:os';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Config } from '../config/schema';

/**
 * A process's OpenTelemetry traces (`telemetry.tracing`): one tracer provider, registered as the
 * global one with W3C trace context, so that the Temporal interceptors, the API's request spans
 * and the model and tool call spans all join the trace of whoever called the API. Off unless the
 * config names an endpoint (or a test hands in its own span processor).
 */

export type TracingRole = 'api' | 'worker' | 'mcp-server';

export interface Tracing {
  /** Where spans go: the OTLP exporter's batch processor, or a test's. */
  processor: SpanProcessor;
  resource: Resource;
  /** Sends what is buffered and stops; call it when the process shuts down. */
  shutdown(): Promise<void>;
}

export function startTracing(config: Config, role: TracingRole, processor?: SpanProcessor): Tracing | undefined {
  const settings = config.telemetry.tracing;
  if (!settings && !processor) return undefined;
  const spans =
    processor ?? new BatchSpanProcessor(new OTLPTraceExporter({ url: settings!.endpoint, headers: settings!.headers }));
  const resource = new Resource({
    'service.name': `${settings?.service_name ?? 'mcp-agent'}-${role}`,
    'service.instance.id': `${process.pid}@${hostname()}`,
  });
  const provider = new NodeTracerProvider({
    resource,
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings?.sample_ratio ?? 1) }),
    spanProcessors: [spans],
  });
  provider.register();
  return { processor: spans, resource, shutdown: () => provider.shutdown() };
}
