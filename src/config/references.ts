import type { PatternType } from '../spec/schema';
import type { Problem } from './problems';
import { isRecord } from './values';

/** The names a spec may refer to: configured MCP servers, agents and functions. */
export interface KnownNames {
  servers: ReadonlySet<string>;
  agents: ReadonlySet<string>;
  functions: ReadonlySet<string>;
}

type Path = readonly PropertyKey[];

/*
 * These checks take unknown values on purpose: the config schema runs them even when other parts
 * of the file failed to parse, so that one run lists every problem.
 */

function unknownNames(values: unknown, path: Path, known: ReadonlySet<string>, what: string): Problem[] {
  if (!Array.isArray(values)) return [];
  return values.flatMap((value: unknown, index) =>
    typeof value === 'string' && !known.has(value)
      ? [{ path: [...path, index], message: `unknown ${what} ${JSON.stringify(value)}` }]
      : [],
  );
}

function unknownServer(value: unknown, path: Path, known: KnownNames): Problem[] {
  return typeof value === 'string' && !known.servers.has(value) ? [{ path, message: `unknown MCP server ${JSON.stringify(value)}` }] : [];
}

/** `resources` entries, `"<server>:<uri>"` or `{server, uri}`, each naming a configured server. */
function resourceProblems(resources: unknown, path: Path, known: KnownNames): Problem[] {
  if (!Array.isArray(resources)) return [];
  return resources.flatMap((ref: unknown, index) => {
    if (isRecord(ref)) return unknownServer(ref.server, [...path, index, 'server'], known);
    if (typeof ref !== 'string' || !ref.includes(':')) return [];
    // Unparsed (the file has other mistakes): "<server>:<uri>" as the schema splits it.
    return unknownServer(ref.slice(0, ref.indexOf(':')), [...path, index], known);
  });
}

export function agentServerProblems(agent: unknown, path: Path, known: KnownNames): Problem[] {
  if (!isRecord(agent)) return [];
  return [
    ...unknownNames(agent.servers, [...path, 'servers'], known.servers, 'MCP server'),
    ...unknownNames(agent.functions, [...path, 'functions'], known.functions, 'function'),
    ...resourceProblems(agent.resources, [...path, 'resources'], known),
    ...(isRecord(agent.prompt) ? unknownServer(agent.prompt.server, [...path, 'prompt', 'server'], known) : []),
  ];
}

/**
 * A node: an agent name, `{function}`, an inline pattern (checked recursively), `{agent: name}` with
 * overrides, or an inline agent.
 */
export function nodeReferenceProblems(node: unknown, path: Path, known: KnownNames): Problem[] {
  if (typeof node === 'string') {
    return known.agents.has(node) ? [] : [{ path, message: `unknown agent ${JSON.stringify(node)}` }];
  }
  if (isRecord(node) && typeof node.function === 'string') {
    return known.functions.has(node.function)
      ? []
      : [{ path: [...path, 'function'], message: `unknown function ${JSON.stringify(node.function)}` }];
  }
  if (isRecord(node) && 'type' in node) return specReferenceProblems(node, path, known);
  if (isRecord(node) && typeof node.agent === 'string') {
    return known.agents.has(node.agent) ? [] : [{ path: [...path, 'agent'], message: `unknown agent ${JSON.stringify(node.agent)}` }];
  }
  return agentServerProblems(node, path, known);
}

function nodeListProblems(nodes: unknown, path: Path, known: KnownNames): Problem[] {
  return Array.isArray(nodes) ? nodes.flatMap((node, index) => nodeReferenceProblems(node, [...path, index], known)) : [];
}

function optionalNode(node: unknown, path: Path, known: KnownNames): Problem[] {
  return node === undefined ? [] : nodeReferenceProblems(node, path, known);
}

type SpecChecker = (spec: Record<string, unknown>, path: Path, known: KnownNames) => Problem[];

/** Where each pattern keeps its nodes; a new pattern type does not compile until it is listed. */
const problemsByPattern: Record<PatternType, SpecChecker> = {
  agent: (spec, path, known) => nodeReferenceProblems(spec.agent, [...path, 'agent'], known),
  orchestrator: (spec, path, known) => [
    ...nodeListProblems(spec.agents, [...path, 'agents'], known),
    ...optionalNode(spec.planner, [...path, 'planner'], known),
  ],
  router: (spec, path, known) => [
    ...nodeListProblems(spec.agents, [...path, 'agents'], known),
    ...unknownNames(spec.servers, [...path, 'servers'], known.servers, 'MCP server'),
    ...unknownNames(spec.functions, [...path, 'functions'], known.functions, 'function'),
  ],
  intent_classifier: () => [],
  parallel: (spec, path, known) => [
    ...nodeListProblems(spec.fan_out, [...path, 'fan_out'], known),
    ...optionalNode(spec.fan_in, [...path, 'fan_in'], known),
  ],
  evaluator_optimizer: (spec, path, known) => [
    ...nodeReferenceProblems(spec.optimizer, [...path, 'optimizer'], known),
    // A string that names no agent is criteria text for the default evaluator.
    ...(typeof spec.evaluator === 'string' ? [] : optionalNode(spec.evaluator, [...path, 'evaluator'], known)),
  ],
  swarm: (spec, path, known) => {
    const problems = unknownNames(spec.agents, [...path, 'agents'], known.agents, 'agent');
    const members = new Set(Array.isArray(spec.agents) ? spec.agents : []);
    if (typeof spec.start === 'string' && !members.has(spec.start)) {
      problems.push({ path: [...path, 'start'], message: `"${spec.start}" is not one of the swarm's agents` });
    }
    return problems;
  },
};

export function specReferenceProblems(spec: unknown, path: Path, known: KnownNames): Problem[] {
  if (!isRecord(spec) || typeof spec.type !== 'string' || !Object.hasOwn(problemsByPattern, spec.type)) return [];
  return problemsByPattern[spec.type as PatternType](spec, path, known);
}
