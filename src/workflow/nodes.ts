import type { z } from 'zod';
import type { agentDefinitionSchema, agentReferenceSchema, FunctionNode, PatternType } from '../spec/schema';

/**
 * What code names as an agent, a pattern or a function, in the config file's own words (snake_case
 * keys), so a definition can move between YAML and code unchanged. The worker checks it against
 * the config when it is first used, with the key path of any problem.
 */

/** A configured agent's name, `{agent: name, ...overrides}`, or an inline definition. */
export type AgentSpec = string | z.input<typeof agentReferenceSchema> | z.input<typeof agentDefinitionSchema>;

/** Any pattern of contract section 4, at any depth: `{type: 'parallel', fan_out: [...]}`. */
export type PatternSpecInput = { type: PatternType } & Record<string, unknown>;

/** Wherever a node may stand: an agent, a pattern, or a configured function (`{function: name}`). */
export type NodeSpec = AgentSpec | PatternSpecInput | FunctionNode;
