import type { PatternType } from '../spec/schema';
import type { Problem } from './problems';
import { isRecord } from './values';

/** The names a spec may refer to: configured MCP servers and agents. */
export interface KnownNames {
  servers: ReadonlySet<string>;
  agents: ReadonlySet<string>;
}

type Path = readonly PropertyKey[];

/*
 * These checks take unknown values on purpose: the config schema runs them even when other parts
 * of the file failed to parse, so that one run lists every problem.
 */

export function agentServerProblems(agent: unknown, path: Path, known: KnownNames): Problem[] {
  if (!isRecord(agent) || !Array.isArray(agent.servers)) return [];
  return agent.servers.flatMap((server: unknown, index) =>
    typeof server === 'string' && !known.servers.has(server)
      ? [{ path: [...path, 'servers', index], message: `unknown MCP server ${JSON.stringify(server)}` }]
      : [],
  );
}

export function nodeReferenceProblems(node: unknown, path: Path, known: KnownNames): Problem[] {
  if (typeof node === 'string') {
    return known.agents.has(node) ? [] : [{ path, message: `unknown agent ${JSON.stringify(node)}` }];
  }
  return agentServerProblems(node, path, known);
}

type SpecChecker = (spec: Record<string, unknown>, path: Path, known: KnownNames) => Problem[];

/** Where each pattern keeps its nodes; a new pattern type does not compile until it is listed. */
const problemsByPattern: Record<PatternType, SpecChecker> = {
  agent: (spec, path, known) => nodeReferenceProblems(spec.agent, [...path, 'agent'], known),
};

export function specReferenceProblems(spec: unknown, path: Path, known: KnownNames): Problem[] {
  if (!isRecord(spec) || typeof spec.type !== 'string' || !Object.hasOwn(problemsByPattern, spec.type)) return [];
  return problemsByPattern[spec.type as PatternType](spec, path, known);
}
