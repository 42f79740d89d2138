import { z } from 'zod';

/**
 * Pattern specs: the shapes a run carries. They are written in the config file's own snake_case
 * so that an ad-hoc `spec` in an API request and a `workflows:` entry in YAML read the same.
 * Workflow code imports this module, so it must stay free of I/O.
 */

export const providerSchema = z.enum(['anthropic', 'openai']);
export type Provider = z.infer<typeof providerSchema>;

export const agentDefinitionSchema = z
  .object({
    instruction: z.string().min(1).default('You are a helpful agent.'),
    description: z.string().optional(),
    servers: z.array(z.string().min(1)).default([]),
    provider: providerSchema.optional(),
    model: z.string().min(1).optional(),
    max_iterations: z.number().int().min(1).max(200).default(10),
    max_tokens: z.number().int().min(1).default(4096),
    temperature: z.number().min(0).max(2).optional(),
    human_input: z.boolean().default(false),
    approve_tools: z.array(z.string().min(1)).default([]),
    input_timeout_seconds: z.number().positive().default(86_400),
  })
  .strict();
export type AgentDefinition = z.infer<typeof agentDefinitionSchema>;

/** A node names a configured agent or defines one inline; later patterns may stand here too. */
export const agentNodeSchema = z.union([z.string().min(1), agentDefinitionSchema]);
export type AgentNode = z.infer<typeof agentNodeSchema>;

export const agentPatternSchema = z
  .object({
    type: z.literal('agent'),
    agent: agentNodeSchema,
    description: z.string().optional(),
  })
  .strict();

export const patternSpecSchema = z.discriminatedUnion('type', [agentPatternSchema]);
export type PatternSpec = z.infer<typeof patternSpecSchema>;
export type PatternType = PatternSpec['type'];

/** An agent with every name looked up and every default filled: what a workflow runs. */
export interface ResolvedAgent extends AgentDefinition {
  name: string;
  provider: Provider;
  model: string;
}

export interface ResolvedAgentPattern {
  type: 'agent';
  agent: ResolvedAgent;
}

export type ResolvedSpec = ResolvedAgentPattern;

/** The single argument of every pattern workflow (contract section 5). */
export interface WorkflowInput<S extends ResolvedSpec = ResolvedSpec> {
  name: string;
  spec: S;
  input: unknown;
}

export const workflowTypeByPattern: Record<PatternType, string> = {
  agent: 'agentWorkflow',
};
