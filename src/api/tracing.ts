import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * A server span for each API request, joined to the caller's trace when it sends `traceparent`,
 * and active while the route runs, so that the Temporal client's spans (and through their headers
 * the run's workflows, activities, model and tool calls) are its children: one trace from the
 * request to every call of every child run. Health checks and metric scrapes are not traced.
 */

const UNTRACED = new Set(['/health', '/metrics']);

export function traceRequests(app: FastifyInstance): void {
  const tracer = trace.getTracer('mcp-agent-temporal');
  const spans = new WeakMap<FastifyRequest, Span>();

  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    if (!route || UNTRACED.has(route)) return done();
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer.startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': request.method, 'http.route': route, 'url.path': request.url.split('?', 1)[0] },
      },
      parent,
    );
    spans.set(request, span);
    // Everything the request does from here (later hooks, the handler and its awaits) runs in the span's context.
    context.with(trace.setSpan(parent, span), done);
  });

  app.addHook('onResponse', (request, reply, done) => {
    const span = spans.get(request);
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
}
