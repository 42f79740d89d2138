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
import type { ResolvedRouter, WorkflowInput } from '../src/spec/schema';
import { embedActivity } from './activities';
import type { RunUsage } from './definitions';
import { runToCompletion } from './lifecycle';
import { runNode } from './nodes';
import { RunControl } from './run-control';
import { generateStructured } from './structured';

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

export async function routerWorkflow(args: WorkflowInput<ResolvedRouter>): Promise<RouterResult> {
  const control = new RunControl(args.name, 'router');
  return runToCompletion(control, () => route(args, control));
}

async function route(args: WorkflowInput<ResolvedRouter>, control: RunControl): Promise<RouterResult> {
  const { spec } = args;
  const candidates = routeCandidates(spec);
  if (candidates.length === 0) {
    throw ApplicationFailure.nonRetryable(
      `Router "${args.name}" has nowhere to route: give it agents, servers or functions.`,
      'RouterHasNoRoutes',
    );
  }
  const request = asText(args.input);
  control.setStep(`routing among ${candidates.length} routes`);
  await control.checkpoint();
  const routes =
    spec.method === 'llm'
      ? await routeWithModel(spec, candidates, request, control)
      : await routeWithEmbeddings(spec, candidates, request);

  const [best] = routes;
  if (!best) return { text: NO_ROUTE_TEXT, routes, usage: control.totalUsage() };
  if (spec.then === 'classify') return { text: best.name, routes, usage: control.totalUsage() };

  control.setStep(`running route ${best.name}`);
  const outcome = await runNode(candidateNamed(candidates, best.name).node, args.input, control, `route · ${best.name}`);
  return { text: outcome.text, routes, chosen: best.name, output: outcome.result, usage: control.totalUsage() };
}

async function routeWithModel(
  spec: ResolvedRouter,
  candidates: RouteCandidate[],
  request: string,
  control: RunControl,
): Promise<Route[]> {
  const reply = await generateStructured({
    schema: routingSchema(candidates.map((c) => c.name)),
    name: 'routes',
    description: 'Where the request should go',
    request: routingRequest(spec, candidates, request),
    summary: `router · llm ${spec.llm.provider}/${spec.llm.model}`,
    onUsage: (usage) => control.recordLlmCall(usage),
  });
  return routesFromReply(reply, candidates, { topK: spec.top_k, threshold: spec.threshold });
}

/**
 * Routes and request are embedded by separate calls, at once: the worker caches the routes'
 * vectors, so after the first run only the request reaches the provider.
 */
async function routeWithEmbeddings(spec: ResolvedRouter, candidates: RouteCandidate[], request: string): Promise<Route[]> {
  const { provider, model } = spec.embedding;
  const [routeVectors, requestVectors] = await Promise.all([
    embedActivity(`router · embed ${candidates.length} routes`)({
      provider,
      model,
      texts: candidates.map(candidateText),
      purpose: 'document',
    }),
    embedActivity('router · embed request')({ provider, model, texts: [request], purpose: 'query' }),
  ]);
  return routesBySimilarity(candidates, routeVectors.vectors, requestVectors.vectors[0], {
    topK: spec.top_k,
    threshold: spec.threshold,
  });
}
