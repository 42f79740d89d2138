import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { z } from 'zod';
import { listQuery } from '../../../client/runs';
import { runStatusSchema } from '../../../client/run-view';

export interface MetricsRouteOptions {
  client: Client;
}

/**
 * `GET /metrics` in Prometheus' text format, added to the root instance (not an encapsulated
 * plugin) so that its request hook sees every route: the API's requests (by method, route and status, and
 * their latency), runs by status (counted in Temporal's visibility store at each scrape, so every
 * API process reports the same), whether Temporal answered, and the process's own figures. The
 * workers' model and tool metrics are on their own endpoint (`telemetry.prometheus_address`).
 */
export function addMetrics(app: FastifyInstance, { client }: MetricsRouteOptions): void {
  // One registry per app, so that several APIs in one process (tests) keep their own counts.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mcp_agent_api_' });
  countRequests(app, registry);

  // Both gauges come from one count per scrape: the registry collects its metrics at once.
  let latest: { at: number; counts: Promise<Map<string, number> | undefined> } | undefined;
  const runCounts = () => {
    if (!latest || Date.now() - latest.at > SCRAPE_REUSE_MS) latest = { at: Date.now(), counts: countRuns(client) };
    return latest.counts;
  };
  new Gauge({
    name: 'mcp_agent_temporal_up',
    help: 'Whether Temporal answered the last scrape',
    registers: [registry],
    async collect() {
      this.set((await runCounts()) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'mcp_agent_runs',
    help: 'Runs (top-level, latest execution) by status, from Temporal visibility',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const counts = await runCounts();
      // Without Temporal there is nothing to count: the runs gauge is left out, and up says why.
      this.reset();
      for (const [status, count] of counts ?? []) this.set({ status }, count);
    },
  });

  app.withTypeProvider<ZodTypeProvider>().get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics: API requests, runs by status, Temporal reachability, the process',
        tags: ['health'],
        response: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } } },
      },
    },
    async (_request, reply) => {
      const text = await registry.metrics();
      return reply.type(registry.contentType).serializer((payload: unknown) => payload as string).send(text);
    },
  );
}

/** A scrape's collectors run together; a count younger than this is the same scrape's. */
const SCRAPE_REUSE_MS = 1000;

async function countRuns(client: Client): Promise<Map<string, number> | undefined> {
  try {
    const counts = await Promise.all(runStatusSchema.options.map(async (status) => [status, (await client.workflow.count(listQuery({ status }))).count] as const));
    return new Map(counts);
  } catch {
    return undefined;
  }
}

function countRequests(app: FastifyInstance, registry: Registry): void {
  const requests = new Counter({
    name: 'mcp_agent_api_requests_total',
    help: 'API requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'mcp_agent_api_request_duration_seconds',
    help: 'API request latency by method and route (event streams: how long they stayed open)',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  // Requests to every route, and to none (404, 405), are counted.
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
}
