import {
  agentDefinitionSchema,
  DEFAULT_HISTORY_LIMIT_BYTES,
  nodeSchema,
  patternSpecSchema,
  workflowTypeByPattern,
  type AgentDefinition,
  type ConversationFields,
  type Node,
  type PatternSpec,
  type PatternType,
  type ResolvedAgent,
  type ResolvedConversation,
  type ResolvedEmbedding,
  type ResolvedLoop,
  type ResolvedModel,
  type ResolvedNode,
  type ResolvedSpec,
  type RunSpec,
} from '../spec/schema';
import type { CodeWorkflowEntry } from '../spec/code';
import { budgetOf } from '../patterns/budget';
import '../spec/local-calls';
import { z } from 'zod';
import { InvalidInputError, SpecError, UnknownWorkflowError } from './errors';
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
  spec: RunSpec;
  description?: string;
  /** A code workflow's input_schema, which the input must match. */
  inputSchema?: Record<string, unknown>;
}

export interface WorkflowListing {
  name: string;
  type: PatternType | 'code';
  description: string;
}

function knownNames(config: Config): KnownNames {
  return {
    servers: new Set(Object.keys(config.mcp.servers)),
    agents: new Set(Object.keys(config.agents)),
    functions: new Set(Object.keys(config.functions)),
  };
}

function isPatternType(name: string): name is PatternType {
  return Object.hasOwn(workflowTypeByPattern, name);
}

function agentFrom(config: Config, definition: unknown, name: string, path: Path): ResolvedAgent {
  const parsed = agentDefinitionSchema.safeParse(definition, { reportInput: true });
  if (!parsed.success) throw new SpecError(zodIssueProblems(parsed.error.issues, path));
  const agent: AgentDefinition = parsed.data;
  const provider = agent.provider ?? config.default_provider;
  const descriptions = agent.functions.map((fn) => [fn, config.functions[fn]?.description ?? ''] as const);
  // Every server the agent talks to: its tools' servers, and those of its resources and prompt.
  const talksTo = new Set([...agent.servers, ...(agent.resources ?? []).map((ref) => ref.server), ...(agent.prompt ? [agent.prompt.server] : [])]);
  const serverCalls = [...talksTo].flatMap((server) => {
    const calls = config.mcp.servers[server]?.calls;
    return calls ? [[server, calls] as const] : [];
  });
  const localServers = agent.servers.filter((server) => config.mcp.servers[server]?.local === true);
  const localFunctions = agent.functions.filter((fn) => config.functions[fn]?.local === true);
  return {
    ...agent,
    name,
    provider,
    model: agent.model ?? config[provider].default_model,
    ...(descriptions.length > 0 && { function_descriptions: Object.fromEntries(descriptions) }),
    ...(serverCalls.length > 0 && { server_calls: Object.fromEntries(serverCalls) }),
    ...(localServers.length > 0 && { local_servers: localServers }),
    ...(localFunctions.length > 0 && { local_functions: localFunctions }),
  };
}

function patternModel(config: Config, spec: { provider?: ResolvedModel['provider']; model?: string }): ResolvedModel {
  const provider = spec.provider ?? config.default_provider;
  return { provider, model: spec.model ?? config[provider].default_model };
}

function embeddingModel(config: Config, provider: ResolvedEmbedding['provider'] = 'openai'): ResolvedEmbedding {
  return { provider, model: config[provider].embedding_model };
}

/** One node, named by itself when it can be, else by `fallbackName`. */
function resolveNode(config: Config, node: Node, fallbackName: string, path: Path): ResolvedNode {
  const problems = nodeReferenceProblems(node, path, knownNames(config));
  if (problems.length > 0) throw new SpecError(problems);
  if (typeof node === 'string') return { kind: 'agent', name: node, agent: agentFrom(config, config.agents[node], node, path) };
  if ('function' in node) return { kind: 'function', name: node.name ?? node.function, function: node.function };
  if ('type' in node) {
    const name = node.name ?? fallbackName;
    return { kind: 'pattern', name, spec: withBudget(resolveSpec(config, node, name, path), node, name) };
  }
  if ('agent' in node) {
    const { agent: base, name = base, ...overrides } = node;
    const set = Object.entries(overrides).filter(([, value]) => value !== undefined);
    return { kind: 'agent', name, agent: agentFrom(config, { ...config.agents[base], ...Object.fromEntries(set) }, name, path) };
  }
  const name = node.name ?? fallbackName;
  return { kind: 'agent', name, agent: agentFrom(config, node, name, path) };
}

/** A list of nodes with names unique within it, so results keyed by name never collide. */
function resolveNodes(config: Config, nodes: Node[], prefix: string, path: Path): ResolvedNode[] {
  const seen = new Map<string, number>();
  return nodes.map((node, index) => {
    const resolved = resolveNode(config, node, `${prefix}-${index + 1}`, [...path, index]);
    const count = (seen.get(resolved.name) ?? 0) + 1;
    seen.set(resolved.name, count);
    return count > 1 ? { ...resolved, name: `${resolved.name}-${count}` } : resolved;
  });
}

/**
 * An agent node as a run needs it: a name looked up in `agents`, or an inline definition with its
 * defaults filled, named `fallbackName`. Provider and model fall back to the config's defaults.
 */
export function resolveAgent(config: Config, node: string | AgentDefinition, fallbackName: string): ResolvedAgent {
  const resolved = resolveNode(config, node, fallbackName, []);
  if (resolved.kind !== 'agent') throw new SpecError([{ path: [], message: 'must be an agent' }]);
  return resolved.agent;
}

/**
 * A node a code workflow names while it runs (an agent's name, an inline agent or pattern, a
 * function): checked and resolved as a config workflow's nodes are at start, with the key path of
 * the problem relative to the node.
 */
export function resolveCodeNode(config: Config, node: unknown, fallbackName: string): ResolvedNode {
  const parsed = nodeSchema.safeParse(node, { reportInput: true });
  if (!parsed.success) throw new SpecError(zodIssueProblems(parsed.error.issues, ['node']));
  const deep = tooDeep(parsed.data, ['node'], 1);
  if (deep) throw new SpecError([{ path: deep, message: `patterns nest at most ${MAX_NESTING_DEPTH} deep` }]);
  return resolveNode(config, parsed.data, fallbackName, ['node']);
}

function describe(config: Config, names: string[], section: 'servers' | 'functions'): { name: string; description: string }[] {
  const entries: Record<string, { description?: string }> = section === 'servers' ? config.mcp.servers : config.functions;
  return names.map((name) => ({ name, description: entries[name]?.description ?? '' }));
}

function resolveSpec(config: Config, spec: PatternSpec, name: string, path: Path): ResolvedSpec {
  switch (spec.type) {
    case 'agent': {
      const node = resolveNode(config, spec.agent, name, [...path, 'agent']);
      if (node.kind !== 'agent') {
        throw new SpecError([{ path: [...path, 'agent'], message: 'an agent pattern runs an agent: name one or define it inline' }]);
      }
      return { type: 'agent', agent: node.agent, ...resolveLoop(spec) };
    }
    case 'orchestrator':
      return {
        type: 'orchestrator',
        agents: resolveNodes(config, spec.agents, 'agent', [...path, 'agents']),
        ...(spec.planner !== undefined && { planner: resolveNode(config, spec.planner, 'planner', [...path, 'planner']) }),
        plan_type: spec.plan_type,
        max_iterations: spec.max_iterations,
        llm: patternModel(config, spec),
      };
    case 'router':
      return {
        type: 'router',
        method: spec.method,
        agents: resolveNodes(config, spec.agents, 'agent', [...path, 'agents']),
        servers: describe(config, spec.servers, 'servers'),
        functions: describe(config, spec.functions, 'functions'),
        top_k: spec.top_k,
        then: spec.then,
        ...(spec.threshold !== undefined && { threshold: spec.threshold }),
        embedding: embeddingModel(config, spec.embedding_provider),
        llm: patternModel(config, spec),
      };
    case 'intent_classifier':
      return {
        type: 'intent_classifier',
        method: spec.method,
        intents: spec.intents,
        top_k: spec.top_k,
        ...(spec.threshold !== undefined && { threshold: spec.threshold }),
        embedding: embeddingModel(config, spec.embedding_provider),
        llm: patternModel(config, spec),
      };
    case 'parallel':
      return {
        type: 'parallel',
        fan_out: resolveNodes(config, spec.fan_out, 'branch', [...path, 'fan_out']),
        ...(spec.fan_in !== undefined && { fan_in: resolveNode(config, spec.fan_in, 'fan_in', [...path, 'fan_in']) }),
      };
    case 'evaluator_optimizer':
      return {
        type: 'evaluator_optimizer',
        optimizer: resolveNode(config, spec.optimizer, 'optimizer', [...path, 'optimizer']),
        evaluator:
          typeof spec.evaluator === 'string' && !Object.hasOwn(config.agents, spec.evaluator)
            ? { kind: 'criteria', criteria: spec.evaluator }
            : resolveNode(config, spec.evaluator, 'evaluator', [...path, 'evaluator']),
        min_rating: spec.min_rating,
        max_refinements: spec.max_refinements,
        llm: patternModel(config, spec),
      };
    case 'swarm': {
      const agents = spec.agents.map((agent, index) => agentFrom(config, config.agents[agent], agent, [...path, 'agents', index]));
      const members = new Set(spec.agents);
      const handoffProblems = agents.flatMap((agent, index) =>
        agent.handoffs
          .filter((target) => !members.has(target))
          .map((target) => ({
            path: ['agents', spec.agents[index], 'handoffs'],
            message: `"${target}" is not one of the swarm's agents (${spec.agents.join(', ')})`,
          })),
      );
      if (handoffProblems.length > 0) throw new SpecError(handoffProblems);
      const functionNames = [...new Set(agents.flatMap((agent) => agent.functions))];
      return {
        type: 'swarm',
        agents,
        start: spec.start ?? spec.agents[0],
        context_variables: spec.context_variables,
        max_turns: spec.max_turns,
        ...resolveLoop(spec),
        functions: Object.fromEntries(describe(config, functionNames, 'functions').map((f) => [f.name, f.description])),
      };
    }
  }
}

/** The spec's own `max_cost` and `max_tokens`, as its runs carry them; nothing when it sets neither. */
function withBudget<S extends ResolvedSpec>(resolved: S, spec: PatternSpec, name: string): S {
  const budget = budgetOf(spec, name);
  return budget ? { ...resolved, budget } : resolved;
}

function resolveLoop(spec: Extract<PatternSpec, { type: 'agent' | 'swarm' }> | CodeWorkflowEntry): ResolvedLoop {
  return {
    ...conversationOfEntry(spec),
    ...(spec.history_limit_bytes !== DEFAULT_HISTORY_LIMIT_BYTES && { history_limit_bytes: spec.history_limit_bytes }),
  };
}

/** An entry's conversation settings as its runs carry them; nothing for an entry whose runs answer one question. */
function conversationOfEntry(entry: ConversationFields): { conversation?: ResolvedConversation } {
  if (!entry.conversation) return {};
  return { conversation: { on_message_while_busy: entry.on_message_while_busy, idle_timeout_seconds: entry.idle_timeout_seconds } };
}

/**
 * How deep patterns may nest (a pattern inside a pattern inside ...): each level is a child
 * workflow started by the one above, and a tree deeper than this is a mistake, not a design.
 */
export const MAX_NESTING_DEPTH = 10;

/** The key path of the first pattern nested deeper than MAX_NESTING_DEPTH, if any. */
function tooDeep(node: Node, path: Path, depth: number): Path | undefined {
  if (typeof node !== 'object' || node === null || !('type' in node)) return undefined;
  if (depth > MAX_NESTING_DEPTH) return path;
  const spec = node as unknown as Record<string, unknown>;
  for (const field of ['agent', 'planner', 'fan_in', 'optimizer', 'evaluator']) {
    const found = spec[field] !== undefined ? tooDeep(spec[field] as Node, [...path, field], depth + 1) : undefined;
    if (found) return found;
  }
  for (const field of ['agents', 'fan_out']) {
    const nodes = Array.isArray(spec[field]) ? (spec[field] as Node[]) : [];
    for (const [index, child] of nodes.entries()) {
      const found = tooDeep(child, [...path, field, index], depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

function resolvedRun(config: Config, name: string, spec: PatternSpec, path: Path): ResolvedRun {
  const problems = specReferenceProblems(spec, path, knownNames(config));
  const deep = tooDeep(spec, path, 1);
  if (deep) problems.push({ path: deep, message: `patterns nest at most ${MAX_NESTING_DEPTH} deep` });
  if (problems.length > 0) throw new SpecError(problems);
  return {
    name,
    workflowType: workflowTypeByPattern[spec.type],
    spec: withBudget(resolveSpec(config, spec, name, path), spec, name),
    description: spec.description,
  };
}

function codeRun(name: string, entry: CodeWorkflowEntry): ResolvedRun {
  const budget = budgetOf(entry, name);
  return {
    name,
    workflowType: entry.export,
    spec: { type: 'code', workflow: entry.export, ...(budget && { budget }), ...resolveLoop(entry) },
    description: entry.description,
    ...(entry.input_schema && { inputSchema: entry.input_schema }),
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
    const entry = config.workflows[name];
    return entry.type === 'code' ? codeRun(name, entry) : resolvedRun(config, name, entry, ['workflows', name]);
  }
  if (!isPatternType(name)) throw new UnknownWorkflowError(name, [...Object.keys(config.workflows), ...Object.keys(workflowTypeByPattern)]);
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

/**
 * A run's input, checked before it starts: `null` starts a conversation idle (it waits for its
 * first message), but gives any other run nothing to work on.
 */
export function checkInput(run: ResolvedRun, input: unknown): void {
  // The input_schema is for an input to work on, which a conversation started idle has not.
  if (input === null && isConversation(run.spec)) return;
  if (run.inputSchema) {
    const checked = z.fromJSONSchema(run.inputSchema as Parameters<typeof z.fromJSONSchema>[0]).safeParse(input, { reportInput: true });
    if (!checked.success) throw new InvalidInputError(run.name, zodIssueProblems(checked.error.issues, ['input']));
    return;
  }
  if (input === null) {
    throw new SpecError([{ path: ['input'], message: 'required: null starts only a conversation, which waits for its first message' }]);
  }
}

/** Whether the run takes messages: its entry (agent, swarm or code) or ad-hoc spec said `conversation: true`. */
export function isConversation(spec: RunSpec): boolean {
  return 'conversation' in spec && spec.conversation !== undefined;
}

/** The config workflows, for `GET /workflows`. */
export function listWorkflows(config: Config): WorkflowListing[] {
  return Object.entries(config.workflows).map(([name, spec]) => ({
    name,
    type: spec.type,
    description: spec.description ?? '',
  }));
}
