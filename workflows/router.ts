import { ApplicationFailure } from '@temporalio/workflow';
import { asText } from '../src/patterns/nodes';
import {
  candidateNamed,
  candidateText,
  NO_ROUTE_TEXT,
  routeCandidates,
  routesBySimilarity,
  routesFromReply,
  routingRequest,
  routingSchema,
  type Route,
  type RouteCandidate,
} from '../src/patterns/router';
import type { ResolvedRouter } from '../src/spec/schema';
import { workflow, type RunContext, type RunUsage } from '../src/workflow';

export interface RouterResult {
  /** The chosen route's answer (`then: run`), the best route's name (`then: classify`), or why there is none. */
  text: string;
  /** Best first; empty when no route matched. */
  routes: Route[];
  /** The route that handled the request (`then: run`). */
  chosen?: string;
  /** The chosen route's whole result (`then: run`). */
  output?: unknown;
  usage: RunUsage;
}

export const routerWorkflow = workflow(route, { pattern: 'router' });

type RouterRun = RunContext<unknown, ResolvedRouter>;

async function route(run: RouterRun): Promise<RouterResult> {
  const { spec } = run;
  const candidates = routeCandidates(spec);
  if (candidates.length === 0) {
    throw ApplicationFailure.nonRetryable(
      `Router "${run.name}" has nowhere to route: give it agents, servers or functions.`,
      'RouterHasNoRoutes',
    );
  }
  const request = asText(run.input);
  run.step(`routing among ${candidates.length} routes`);
  await run.checkpoint();
  const routes = spec.method === 'llm' ? await routeWithModel(run, candidates, request) : await routeWithEmbeddings(run, candidates, request);

  const [best] = routes;
  if (!best) return { text: NO_ROUTE_TEXT, routes, usage: run.usage() };
  if (spec.then === 'classify') return { text: best.name, routes, usage: run.usage() };

  run.step(`running route ${best.name}`);
  const outcome = await run.node(candidateNamed(candidates, best.name).node).call(run.input, { role: `route · ${best.name}` });
  return { text: outcome.text, routes, chosen: best.name, output: outcome.result, usage: run.usage() };
}

async function routeWithModel(run: RouterRun, candidates: RouteCandidate[], request: string): Promise<Route[]> {
  const { spec } = run;
  const reply = await run.model(spec.llm).generateStructured(routingRequest(spec, candidates, request), routingSchema(candidates.map((c) => c.name)), {
    name: 'routes',
    description: 'Where the request should go',
    role: 'router',
  });
  return routesFromReply(reply, candidates, { topK: spec.top_k, threshold: spec.threshold });
}

/**
 * Routes and request are embedded by separate calls, at once: the worker caches the routes'
 * vectors, so after the first run only the request reaches the provider.
 */
async function routeWithEmbeddings(run: RouterRun, candidates: RouteCandidate[], request: string): Promise<Route[]> {
  const { provider, model } = run.spec.embedding;
  const [routeVectors, [requestVector]] = await Promise.all([
    run.embed(candidates.map(candidateText), { provider, model, purpose: 'document', role: `router · embed ${candidates.length} routes` }),
    run.embed([request], { provider, model, purpose: 'query', role: 'router · embed request' }),
  ]);
  return routesBySimilarity(candidates, routeVectors, requestVector, { topK: run.spec.top_k, threshold: run.spec.threshold });
}
