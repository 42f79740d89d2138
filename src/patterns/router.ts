import { z } from 'zod';
import type { LlmRequest } from '../llm/messages';
import { AGENT_DEFAULTS } from '../spec/constants';
import type { ResolvedAgent, ResolvedModel, ResolvedNode, ResolvedRouter } from '../spec/schema';
import { bestMatches } from './ranking';
import { rankBySimilarity, type RankOptions } from './similarity';

/**
 * The router's pure side: what it may route to, how the model is asked, how replies and
 * similarities become a ranking, and the ad-hoc agent that handles a request routed to a server.
 */

export type RouteKind = 'agent' | 'pattern' | 'function' | 'server';

/** A destination the router may choose, with the node that handles the request there. */
export interface RouteCandidate {
  /** Unique among the router's candidates: what the model names and results report. */
  name: string;
  kind: RouteKind;
  description: string;
  node: ResolvedNode;
}

/** One ranked destination in the router's result. */
export interface Route {
  name: string;
  kind: RouteKind;
  /** The model's confidence (llm method) or the cosine similarity to the request (embedding method). */
  score: number;
  /** The model's reason for the route (llm method). */
  reasoning?: string;
}

export const NO_ROUTE_TEXT = 'No route matched the request.';

const MAX_ROUTER_TOKENS = 2048;

/**
 * Every destination of the router: its agents and nested patterns, then its MCP servers, then its
 * functions. A name used by two kinds (an agent named after the server it uses, say) keeps its
 * plain form for the first and becomes `<kind>:<name>` for the later one, so the model can tell
 * them apart; a destination listed twice counts once.
 */
export function routeCandidates(spec: Pick<ResolvedRouter, 'agents' | 'servers' | 'functions' | 'llm'>): RouteCandidate[] {
  const all: RouteCandidate[] = [
    ...spec.agents.map((node) => ({ name: node.name, kind: node.kind, description: nodeDescription(node), node })),
    ...spec.servers.map(({ name, description }) => ({
      name,
      kind: 'server' as const,
      description,
      node: { kind: 'agent' as const, name, agent: serverAgent(name, description, spec.llm) },
    })),
    ...spec.functions.map(({ name, description }) => ({
      name,
      kind: 'function' as const,
      description,
      node: { kind: 'function' as const, name, function: name },
    })),
  ];
  const taken = new Set<string>();
  const unique: RouteCandidate[] = [];
  for (const candidate of all) {
    const name = taken.has(candidate.name) ? `${candidate.kind}:${candidate.name}` : candidate.name;
    if (taken.has(name)) continue;
    taken.add(name);
    unique.push({ ...candidate, name });
  }
  return unique;
}

/**
 * What a node is for, as the router sees it: its own description, else what it is told to do, else
 * what kind of workflow it is.
 */
function nodeDescription(node: ResolvedNode): string {
  switch (node.kind) {
    case 'agent':
      return node.agent.description ?? node.agent.instruction;
    case 'function':
      return `the function ${node.function}`;
    case 'pattern': {
      const { spec } = node;
      const described = 'description' in spec && typeof spec.description === 'string' ? spec.description : '';
      if (described) return described;
      return spec.type === 'agent' ? (spec.agent.description ?? spec.agent.instruction) : `a ${spec.type} workflow`;
    }
  }
}

/**
 * The agent that handles a request routed to an MCP server: the router's own model with that
 * server's tools, with the defaults a configured agent gets (AGENT_DEFAULTS; no zod in a run's sandbox).
 */
export function serverAgent(server: string, description: string, llm: ResolvedModel): ResolvedAgent {
  return {
    ...AGENT_DEFAULTS,
    name: server,
    instruction: `Use the tools of ${server} to handle the request.`,
    ...(description && { description }),
    servers: [server],
    approve_tools: [],
    handoffs: [],
    functions: [],
    provider: llm.provider,
    model: llm.model,
  };
}

const KIND_WORDING: Record<RouteKind, string> = {
  agent: 'agent (a model with its own instructions and tools)',
  pattern: 'workflow (several agents working together)',
  function: 'function (plain code)',
  server: 'MCP server (a set of tools)',
};

export function routingSystemPrompt(candidates: readonly RouteCandidate[], topK: number): string {
  const listing = candidates.map((c) => `- ${c.name} [${KIND_WORDING[c.kind]}]: ${c.description || 'no description'}`);
  return [
    'You decide where a request goes. Read the request and pick the destinations below that can best handle it.',
    '',
    'Destinations:',
    ...listing,
    '',
    `Return at most ${topK} destination${topK === 1 ? '' : 's'}, best first. For each, give its name exactly as listed,`,
    'your confidence from 0 (no fit) to 1 (certain fit) that it can handle the request, and a short reason.',
    'Leave out destinations that do not fit; if none fits, return an empty list.',
  ].join('\n');
}

/**
 * What the model must return. The names are an enum, so the model sees them in the schema, and a
 * name that is not a destination fails validation and gets the model a repair turn.
 */
export function routingSchema(names: readonly string[]) {
  return z.object({
    categories: z
      .array(
        z.object({
          category: z.enum(names).describe('A destination name, exactly as listed'),
          confidence: z.number().min(0).max(1).describe('0 = no fit, 1 = certain fit'),
          reasoning: z.string().describe('Why this destination fits, in a sentence'),
        }),
      )
      .describe('The fitting destinations, best first; empty when none fits'),
  });
}

export type RoutingReply = z.infer<ReturnType<typeof routingSchema>>;

export function routingRequest(
  spec: Pick<ResolvedRouter, 'llm' | 'top_k'>,
  candidates: readonly RouteCandidate[],
  request: string,
): Omit<LlmRequest, 'output'> {
  return {
    provider: spec.llm.provider,
    model: spec.llm.model,
    system: routingSystemPrompt(candidates, spec.top_k),
    messages: [{ role: 'user', content: request }],
    tools: [],
    maxTokens: MAX_ROUTER_TOKENS,
  };
}

/** The model's choices as routes: best first, each destination once, above the threshold, at most top-k. */
export function routesFromReply(reply: RoutingReply, candidates: readonly RouteCandidate[], options: RankOptions): Route[] {
  const scored = reply.categories.map(({ category, confidence, reasoning }) => ({
    name: category,
    kind: candidateNamed(candidates, category).kind,
    score: confidence,
    reasoning,
  }));
  return bestMatches(scored, options);
}

/** The text embedded for a destination: its name carries meaning too ("billing", "weather"). */
export function candidateText(candidate: RouteCandidate): string {
  return candidate.description ? `${candidate.name}: ${candidate.description}` : candidate.name;
}

/** Destinations ranked by how close their embedded descriptions are to the request's vector. */
export function routesBySimilarity(
  candidates: readonly RouteCandidate[],
  candidateVectors: readonly number[][],
  requestVector: number[],
  options: RankOptions,
): Route[] {
  const vectors = candidates.map((c, index) => ({ name: c.name, vector: candidateVectors[index] }));
  return rankBySimilarity(requestVector, vectors, options).map(({ name, score }) => ({
    name,
    kind: candidateNamed(candidates, name).kind,
    score,
  }));
}

/** The candidate a route names; routes only ever name candidates, so a miss is a bug. */
export function candidateNamed(candidates: readonly RouteCandidate[], name: string): RouteCandidate {
  const candidate = candidates.find((c) => c.name === name);
  if (!candidate) throw new Error(`route "${name}" is not one of the router's candidates`);
  return candidate;
}
