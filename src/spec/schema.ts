import { z } from 'zod';
import type { RunBudget } from '../patterns/budget';
import type { ResolvedCode } from './code';
import { AGENT_DEFAULTS, DEFAULT_HISTORY_LIMIT_BYTES, RATINGS } from './constants';

// The spec's constants, with its shapes; workflow code imports them from ./constants, which has no zod.
export { DEFAULT_HISTORY_LIMIT_BYTES, workflowTypeByPattern } from './constants';

/**
 * Pattern specs: the shapes a run carries. They are written in the config file's own snake_case
 * so that an ad-hoc `spec` in an API request and a `workflows:` entry in YAML read the same.
 * Workflow code imports this module, so it must stay free of I/O.
 */

export const providerSchema = z.enum(['anthropic', 'openai']);
export type Provider = z.infer<typeof providerSchema>;

/** How much of a long conversation the model is sent (src/conversation/context.ts). */
export const contextSchema = z
  .object({
    max_tokens: z
      .number()
      .int()
      .min(256)
      .describe('Estimated tokens (4 characters each) of system prompt, tools and messages sent per call'),
    strategy: z
      .enum(['drop_oldest', 'stub_tool_results', 'summarize'])
      .describe('How to stay within max_tokens: leave out the oldest turns, shorten old tool results, or summarize')
      .default('stub_tool_results'),
  })
  .strict();

const nameField = z.string().min(1).describe('Names the node in results and in the Web UI');

/**
 * How long one call (a model's, or an MCP server's tool) may take and how Temporal retries it.
 * Every field is optional: what is left out keeps the default of that kind of call.
 */
export const callPolicySchema = z
  .object({
    timeout_seconds: z
      .number()
      .positive()
      .max(24 * 3600)
      .describe("Each attempt (default 600); a model call's HTTP request gets the same timeout")
      .optional(),
    deadline_seconds: z
      .number()
      .positive()
      .describe('Every attempt of one call together, retries and their waits included (default: none)')
      .optional(),
    max_attempts: z.number().int().min(1).max(100).describe('Default 10 for model calls, 8 for tool calls').optional(),
    initial_retry_seconds: z.number().positive().describe('Wait before the first retry, doubling after (default 1)').optional(),
    max_retry_seconds: z.number().positive().describe('Longest wait between retries (default 60)').optional(),
  })
  .strict();
export type CallPolicy = z.infer<typeof callPolicySchema>;

/** What an agent sends with each model call; a reference to a configured agent may override them. */
const requestFields = {
  provider: providerSchema.optional(),
  model: z.string().min(1).optional(),
  temperature: z.number().min(0).max(2).optional(),
  stop_sequences: z
    .array(z.string().min(1))
    .min(1)
    .max(4)
    .describe('The model stops before any of these (at most 4: OpenAI takes no more)')
    .optional(),
  parallel_tool_calls: z
    .boolean()
    .describe("false: at most one tool call per model reply (default: the provider's, which allows several)")
    .optional(),
  llm_calls: callPolicySchema.describe("Timeout and retries of this agent's model calls").optional(),
};

/**
 * An MCP resource an agent is given as context: `{server, uri}`, or the string `"<server>:<uri>"`
 * (split at the first colon, so a server whose name has one needs the object form).
 */
export const resourceRefSchema = z.union([
  z
    .string()
    .regex(/^[^:\s]+:\S/, 'must be "<server>:<uri>", e.g. "docs:file:///guide.md"')
    .transform((ref) => ({ server: ref.slice(0, ref.indexOf(':')), uri: ref.slice(ref.indexOf(':') + 1) }))
    .describe('"<server>:<uri>", e.g. "docs:file:///guide.md"'),
  z
    .object({
      server: z.string().min(1).describe('A configured MCP server'),
      uri: z.string().min(1).describe('As the server lists it (resources/list), or one its templates make'),
    })
    .strict(),
]);
export type ResourceRef = z.output<typeof resourceRefSchema>;

/** An MCP prompt that instructs an agent, fetched (prompts/get) when a run starts. */
export const agentPromptSchema = z
  .object({
    server: z.string().min(1).describe('A configured MCP server'),
    name: z.string().min(1).describe("The prompt's name on the server"),
    arguments: z.record(z.string(), z.string()).describe("The prompt's arguments (MCP prompt arguments are strings)").optional(),
    as: z
      .enum(['instruction', 'messages'])
      .describe("instruction: its text follows the agent's instruction in the system prompt; messages: its messages open the conversation, before the input")
      .default('instruction'),
  })
  .strict();
export type AgentPrompt = z.output<typeof agentPromptSchema>;

export const agentDefinitionSchema = z
  .object({
    name: nameField.optional(),
    instruction: z.string().min(1).default(AGENT_DEFAULTS.instruction),
    description: z.string().optional(),
    servers: z.array(z.string().min(1)).default([]),
    ...requestFields,
    max_iterations: z.number().int().min(1).max(200).default(AGENT_DEFAULTS.max_iterations),
    max_tokens: z.number().int().min(1).default(AGENT_DEFAULTS.max_tokens),
    human_input: z.boolean().default(AGENT_DEFAULTS.human_input),
    approve_tools: z.array(z.string().min(1)).default([]),
    input_timeout_seconds: z.number().positive().default(AGENT_DEFAULTS.input_timeout_seconds),
    /** Swarm: the agents this one may hand the conversation to. */
    handoffs: z.array(z.string().min(1)).default([]),
    /** Config `functions:` this agent may call as tools (swarm context variables flow through them). */
    functions: z.array(z.string().min(1)).default([]),
    context: contextSchema.optional(),
    resources: z
      .array(resourceRefSchema)
      .describe('MCP resources read when a run starts and given to the model in its system prompt')
      .optional(),
    prompt: agentPromptSchema.describe('An MCP prompt read when a run starts: the instruction, or the first messages').optional(),
  })
  .strict();
export type AgentDefinition = z.infer<typeof agentDefinitionSchema>;

/**
 * A configured agent with some of its model settings changed for this place: a config workflow or
 * an ad-hoc spec can run `writer` on another model without defining a second agent.
 */
export const agentReferenceSchema = z
  .object({
    agent: z.string().min(1).describe('A configured agent'),
    name: nameField.optional(),
    ...requestFields,
    max_iterations: z.number().int().min(1).max(200).optional(),
    max_tokens: z.number().int().min(1).optional(),
  })
  .strict();
export type AgentReference = z.infer<typeof agentReferenceSchema>;

/** Plain code from the config's `functions:` standing where an agent may. */
export const functionNodeSchema = z.object({ function: z.string().min(1), name: nameField.optional() }).strict();
export type FunctionNode = z.infer<typeof functionNodeSchema>;

export const ratingSchema = z.enum(RATINGS);
export type Rating = z.infer<typeof ratingSchema>;

/**
 * A run's budget, on any workflow or pattern spec: for the run and every child at any depth. A
 * nested pattern's own budget limits its part of the tree too. Not an agent's `max_tokens`, which
 * caps the output of each of its model calls.
 */
export const budgetFields = {
  max_cost: z
    .number()
    .positive()
    .describe('Budget in USD for this run and all its children (calls to models without a price count nothing); over it, the run fails with BudgetExceeded')
    .optional(),
  max_tokens: z
    .number()
    .int()
    .positive()
    .describe('Budget in tokens (input + output) for this run and all its children; over it, the run fails with BudgetExceeded')
    .optional(),
};

const common = { name: nameField.optional(), description: z.string().optional(), ...budgetFields };
const methodSchema = z.enum(['llm', 'embedding']);
/** The model that does a pattern's own thinking (planning, routing, classifying). */
const modelChoice = { provider: providerSchema.optional(), model: z.string().min(1).optional() };

/**
 * A node is a configured agent's name (or `{agent: name, ...overrides}`), an inline agent, an
 * inline pattern (`{type: ...}`) or a function (`{function: name}`): any pattern may stand wherever an agent may, at any depth. The
 * parsed types are spelled out below because TypeScript cannot infer a recursive schema's type.
 */
export type Node = string | AgentDefinition | AgentReference | FunctionNode | PatternSpec;

export const nodeSchema: z.ZodType<Node, unknown> = z.lazy(() =>
  z.union([z.string().min(1), functionNodeSchema, patternSpecSchema, agentReferenceSchema, agentDefinitionSchema]),
);

interface Common {
  name?: string;
  description?: string;
  max_cost?: number;
  max_tokens?: number;
}
interface ModelChoice {
  provider?: Provider;
  model?: string;
}
type Method = 'llm' | 'embedding';
export type ConversationFields = z.infer<z.ZodObject<typeof conversationFields>>;
interface LoopFields extends ConversationFields {
  history_limit_bytes: number;
}
export type Intent = { name: string; description: string; examples: string[] };

export type PatternSpec =
  | ({ type: 'agent'; agent: Node } & LoopFields & Common)
  | ({ type: 'orchestrator'; agents: Node[]; planner?: Node; plan_type: 'full' | 'iterative'; max_iterations: number } & ModelChoice & Common)
  | ({
      type: 'router';
      method: Method;
      agents: Node[];
      servers: string[];
      functions: string[];
      top_k: number;
      then: 'run' | 'classify';
      threshold?: number;
      embedding_provider?: 'openai' | 'cohere';
    } & ModelChoice &
      Common)
  | ({
      type: 'intent_classifier';
      method: Method;
      intents: Intent[];
      top_k: number;
      threshold?: number;
      embedding_provider?: 'openai' | 'cohere';
    } & ModelChoice &
      Common)
  | ({ type: 'parallel'; fan_out: Node[]; fan_in?: Node } & Common)
  | ({ type: 'evaluator_optimizer'; optimizer: Node; evaluator: Node; min_rating: Rating; max_refinements: number } & ModelChoice & Common)
  | ({ type: 'swarm'; agents: string[]; start?: string; context_variables: Record<string, unknown>; max_turns: number } & LoopFields &
      Common);
export type PatternType = PatternSpec['type'];


/**
 * Contract section 9: the run of a workflow entry may be a conversation that stays open after each
 * answer. Agent, swarm and code entries (a code workflow made with `{conversation: true}`) take
 * these keys; each entry decides for its own runs, as one workflow may serve several entries.
 */
export const conversationFields = {
  conversation: z.boolean().describe('Stay open after each answer and wait for the next message').default(false),
  on_message_while_busy: z
    .enum(['queue', 'reject', 'interrupt'])
    .describe('A message that arrives while a turn runs: wait for its turn, refuse it (409), or cancel the turn for it')
    .default('queue'),
  idle_timeout_seconds: z.number().positive().describe('A conversation with no message for this long completes').default(86_400),
};

/**
 * The agent loop, the swarm and a code workflow's conversation continue as new at a turn boundary
 * once history passes `history_limit_bytes`.
 */
export const historyLimitFields = {
  history_limit_bytes: z
    .number()
    .int()
    .min(16 * 1024)
    .max(40 * 1024 * 1024)
    .describe("Continue as new once an execution's history passes this: between turns, between a turn's steps, or while waiting for input")
    .default(DEFAULT_HISTORY_LIMIT_BYTES),
};
const loopFields = { ...conversationFields, ...historyLimitFields };

export const agentPatternSchema = z.object({ type: z.literal('agent'), agent: nodeSchema, ...loopFields, ...common }).strict();

export const orchestratorSchema = z
  .object({
    type: z.literal('orchestrator'),
    agents: z.array(nodeSchema).min(1),
    planner: nodeSchema.optional(),
    plan_type: z.enum(['full', 'iterative']).default('full'),
    max_iterations: z.number().int().min(1).max(50).default(5),
    ...modelChoice,
    ...common,
  })
  .strict();

export const routerSchema = z
  .object({
    type: z.literal('router'),
    method: methodSchema.default('llm'),
    agents: z.array(nodeSchema).default([]),
    servers: z.array(z.string().min(1)).default([]),
    functions: z.array(z.string().min(1)).default([]),
    top_k: z.number().int().min(1).default(1),
    then: z.enum(['run', 'classify']).default('run'),
    /** Routes scoring below this are dropped (embedding similarity, or LLM confidence 0..1). */
    threshold: z.number().min(0).max(1).optional(),
    embedding_provider: z.enum(['openai', 'cohere']).optional(),
    ...modelChoice,
    ...common,
  })
  .strict()
  .superRefine((router, ctx) => {
    if (router.agents.length + router.servers.length + router.functions.length === 0) {
      ctx.addIssue({ code: 'custom', path: [], message: 'a router needs at least one route: agents, servers or functions' });
    }
  });

export const intentSchema = z
  .object({ name: z.string().min(1), description: z.string().default(''), examples: z.array(z.string()).default([]) })
  .strict();

export const intentClassifierSchema = z
  .object({
    type: z.literal('intent_classifier'),
    method: methodSchema.default('llm'),
    intents: z.array(intentSchema).min(1),
    top_k: z.number().int().min(1).default(1),
    threshold: z.number().min(0).max(1).optional(),
    embedding_provider: z.enum(['openai', 'cohere']).optional(),
    ...modelChoice,
    ...common,
  })
  .strict();

export const parallelSchema = z
  .object({
    type: z.literal('parallel'),
    fan_out: z.array(nodeSchema).min(1),
    fan_in: nodeSchema.optional(),
    ...common,
  })
  .strict();

export const evaluatorOptimizerSchema = z
  .object({
    type: z.literal('evaluator_optimizer'),
    optimizer: nodeSchema,
    /** An evaluator node, or criteria text for a default evaluator. */
    evaluator: nodeSchema,
    min_rating: ratingSchema.default('good'),
    max_refinements: z.number().int().min(0).max(20).default(3),
    ...modelChoice,
    ...common,
  })
  .strict();

export const swarmSchema = z
  .object({
    type: z.literal('swarm'),
    agents: z.array(z.string().min(1)).min(1),
    start: z.string().min(1).optional(),
    context_variables: z.record(z.string(), z.unknown()).default({}),
    max_turns: z.number().int().min(1).max(200).default(20),
    ...loopFields,
    ...common,
  })
  .strict();

export const patternSpecSchema: z.ZodType<PatternSpec, unknown> = z.discriminatedUnion('type', [
  agentPatternSchema,
  orchestratorSchema,
  routerSchema,
  intentClassifierSchema,
  parallelSchema,
  evaluatorOptimizerSchema,
  swarmSchema,
]);

/**
 * What every resolved spec may carry: the run tree's budget, from the spec's `max_cost` and
 * `max_tokens` and, in a child, what its parent had left (src/patterns/budget.ts).
 */
export interface Budgeted {
  budget?: RunBudget;
}

/** An agent with every name looked up and every default filled: what a workflow runs. */
export interface ResolvedAgent extends AgentDefinition {
  name: string;
  provider: Provider;
  model: string;
  /** What the config says each of `functions` does, for the model's tool list. */
  function_descriptions?: Record<string, string>;
  /** The `calls` policy of each of `servers` that has one (config `mcp.servers.<name>.calls`). */
  server_calls?: Record<string, CallPolicy>;
}

/** A node after resolution: self-contained, so a config change never alters a running workflow. */
export type ResolvedNode =
  | { kind: 'agent'; name: string; agent: ResolvedAgent }
  | { kind: 'pattern'; name: string; spec: ResolvedSpec }
  | { kind: 'function'; name: string; function: string };

/** Where a pattern thinks for itself (planner fallback, router, classifier, default evaluator). */
export interface ResolvedModel {
  provider: Provider;
  model: string;
}

/** How a conversation behaves; absent for a run that answers one question. */
export type ResolvedConversation = Omit<ConversationFields, 'conversation'>;

/** What the agent loop and the swarm share: the conversation they may be, and their history limit. */
export interface ResolvedLoop extends Budgeted {
  conversation?: ResolvedConversation;
  /** Runs started before this setting existed carry none; the default then applies. */
  history_limit_bytes?: number;
}

export interface ResolvedAgentPattern extends ResolvedLoop {
  type: 'agent';
  agent: ResolvedAgent;
}

export interface ResolvedOrchestrator extends Budgeted {
  type: 'orchestrator';
  agents: ResolvedNode[];
  planner?: ResolvedNode;
  plan_type: 'full' | 'iterative';
  max_iterations: number;
  llm: ResolvedModel;
}

export interface ResolvedRouter extends Budgeted {
  type: 'router';
  method: 'llm' | 'embedding';
  agents: ResolvedNode[];
  servers: { name: string; description: string }[];
  functions: { name: string; description: string }[];
  top_k: number;
  then: 'run' | 'classify';
  threshold?: number;
  embedding: ResolvedEmbedding;
  llm: ResolvedModel;
}

export interface ResolvedEmbedding {
  provider: 'openai' | 'cohere';
  model: string;
}

export interface ResolvedIntentClassifier extends Budgeted {
  type: 'intent_classifier';
  method: 'llm' | 'embedding';
  intents: Intent[];
  top_k: number;
  threshold?: number;
  embedding: ResolvedEmbedding;
  llm: ResolvedModel;
}

export interface ResolvedParallel extends Budgeted {
  type: 'parallel';
  fan_out: ResolvedNode[];
  fan_in?: ResolvedNode;
}

export interface ResolvedEvaluatorOptimizer extends Budgeted {
  type: 'evaluator_optimizer';
  optimizer: ResolvedNode;
  /** An evaluator node, or criteria for the default evaluator. */
  evaluator: ResolvedNode | { kind: 'criteria'; criteria: string };
  min_rating: Rating;
  max_refinements: number;
  llm: ResolvedModel;
}

export interface ResolvedSwarm extends ResolvedLoop {
  type: 'swarm';
  agents: ResolvedAgent[];
  start: string;
  context_variables: Record<string, unknown>;
  max_turns: number;
  /** Descriptions of the functions the swarm's agents may call, by name. */
  functions: Record<string, string>;
}

export type ResolvedSpec =
  | ResolvedAgentPattern
  | ResolvedOrchestrator
  | ResolvedRouter
  | ResolvedIntentClassifier
  | ResolvedParallel
  | ResolvedEvaluatorOptimizer
  | ResolvedSwarm;

/** What a run carries: a resolved pattern spec, or a code workflow's. */
export type RunSpec = ResolvedSpec | ResolvedCode;

/** The single argument of every pattern workflow (contract section 5), and of code workflows. */
export interface WorkflowInput<S extends RunSpec = RunSpec> {
  name: string;
  spec: S;
  input: unknown;
}

