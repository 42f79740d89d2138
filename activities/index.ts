import type { Config } from '../src/config/schema';
import type { McpPool } from '../src/mcp/pool';
import type { Activities } from './contracts';
import { createLlmActivities } from './llm';
import { createMcpActivities } from './mcp';

/** Every activity the worker registers, bound to this process's config and MCP pool. */
export function createActivities(config: Config, pool: McpPool): Activities {
  return {
    ...createLlmActivities({ anthropic: config.anthropic, openai: config.openai }),
    ...createMcpActivities(pool),
  };
}
