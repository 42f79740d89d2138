import {
  agentDefinitionSchema,
  patternSpecSchema,
  workflowTypeByPattern,
  type AgentNode,
  type PatternSpec,
  type PatternType,
  type ResolvedAgent,
  type ResolvedSpec,
} from '../spec/schema';
import { SpecError, UnknownWorkflowError } from './errors';
import { zodIssueProblems } from './problems';
import { nodeReferenceProblems, specReferenceProblems, type KnownNames } from './references';
import type { Config } from './schema';
import { isRecord } from './values';

/**
 * Turns config names into the self-contained spec a run carries. The result goes into Temporal
 * history, so it holds agent definitions and server names only: never keys, URLs or headers, which
 * activities read from the worker's own config.
 */

type Path = readonly PropertyKey[];

export interface ResolvedRun {
  /** The config workflow name, or the pattern type of an ad-hoc run. */
  name: string;
  workflowType: string;
  spec: ResolvedSpec;
  description?: string;
}

export interface WorkflowListing {
  name: string;
  type: PatternType;
  description: string;
}

function knownNames(config: Config): KnownNames {
  return { servers: new Set(Object.keys(config.mcp.servers)), agents: new Set(Object.keys(config.agents)) };
}

function isPatternType(name: string): name is PatternType {
  return Object.hasOwn(workflowTypeByPattern, name);
}

function resolveNode(config: Config, node: AgentNode, fallbackName: string, path: Path): ResolvedAgent {
  const problems = nodeReferenceProblems(node, path, knownNames(config));
  if (problems.length > 0) throw new SpecError(problems);
  const name = typeof node === 'string' ? node : fallbackName;
  const parsed = agentDefinitionSchema.safeParse(typeof node === 'string' ? config.agents[node] : node, {
    reportInput: true,
  });
  if (!parsed.success) throw new SpecError(zodIssueProblems(parsed.error.issues, path));
  const provider = parsed.data.provider ?? config.default_provider;
  return { ...parsed.data, name, provider, model: parsed.data.model ?? config[provider].default_model };
}

/**
 * An agent node as a run needs it: a name looked up in `agents`, or an inline definition with its
 * defaults filled, named `fallbackName`. Provider and model fall back to the config's defaults.
 */
export function resolveAgent(config: Config, node: AgentNode, fallbackName: string): ResolvedAgent {
  return resolveNode(config, node, fallbackName, []);
}

function resolveSpec(config: Config, spec: PatternSpec, name: string, path: Path): ResolvedSpec {
  switch (spec.type) {
    case 'agent':
      return { type: 'agent', agent: resolveNode(config, spec.agent, name, [...path, 'agent']) };
  }
}

function resolvedRun(config: Config, name: string, spec: PatternSpec, path: Path): ResolvedRun {
  const problems = specReferenceProblems(spec, path, knownNames(config));
  if (problems.length > 0) throw new SpecError(problems);
  return {
    name,
    workflowType: workflowTypeByPattern[spec.type],
    spec: resolveSpec(config, spec, name, path),
    description: spec.description,
  };
}

/**
 * What to start for `POST /workflows/:name/run`: a config workflow by name, or, when `name` is a
 * pattern type, the ad-hoc `adhocSpec` (its `type` may be left out). Throws UnknownWorkflowError
 * for a name that is neither, SpecError for a spec that cannot run.
 */
export function resolveRun(config: Config, name: string, adhocSpec?: unknown): ResolvedRun {
  const hasAdhocSpec = adhocSpec !== undefined && adhocSpec !== null;
  if (Object.hasOwn(config.workflows, name)) {
    if (hasAdhocSpec) {
      throw new SpecError([
        {
          path: ['spec'],
          message: `not accepted by the configured workflow "${name}"; only pattern types take a spec`,
        },
      ]);
    }
    return resolvedRun(config, name, config.workflows[name], ['workflows', name]);
  }
  if (!isPatternType(name)) throw new UnknownWorkflowError(name);
  if (!hasAdhocSpec) {
    throw new SpecError([{ path: ['spec'], message: `required to run the pattern type "${name}"` }]);
  }
  const candidate = isRecord(adhocSpec) && adhocSpec.type === undefined ? { ...adhocSpec, type: name } : adhocSpec;
  const parsed = patternSpecSchema.safeParse(candidate, { reportInput: true });
  if (!parsed.success) throw new SpecError(zodIssueProblems(parsed.error.issues, ['spec']));
  if (parsed.data.type !== name) {
    throw new SpecError([{ path: ['spec', 'type'], message: `must be "${name}" to run as ${name}` }]);
  }
  return resolvedRun(config, name, parsed.data, ['spec']);
}

/** The config workflows, for `GET /workflows`. */
export function listWorkflows(config: Config): WorkflowListing[] {
  return Object.entries(config.workflows).map(([name, spec]) => ({
    name,
    type: spec.type,
    description: spec.description ?? '',
  }));
}
