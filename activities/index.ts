import type { Config } from '../src/config/schema';
import type { FunctionRegistry } from '../src/functions/registry';
import type { McpPool } from '../src/mcp/pool';
import type { Activities } from './contracts';
import { createEmbedActivities } from './embed';
import { createFunctionActivities } from './functions';
import { createLlmActivities } from './llm';
import { createMcpActivities } from './mcp';

/** Every activity the worker registers, bound to this process's config, MCP pool and loaded functions. */
export function createActivities(config: Config, pool: McpPool, functions: FunctionRegistry): Activities {
  return {
    ...createLlmActivities({ anthropic: config.anthropic, openai: config.openai }),
    ...createMcpActivities(pool),
    ...createEmbedActivities({ openai: config.openai, cohere: config.cohere }),
    ...createFunctionActivities(functions),
  };
}
