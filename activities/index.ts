import type { Config } from '../src/config/schema';
import { ConversationStore } from '../src/conversation/store';
import type { FunctionRegistry } from '../src/functions/registry';
import type { McpPool } from '../src/mcp/pool';
import type { BlobStore } from '../src/storage/store';
import type { DeltaPublisher } from '../src/streaming/nats';
import type { Activities } from './contracts';
import { createEmbedActivities } from './embed';
import { createFunctionActivities } from './functions';
import { createLlmActivities } from './llm';
import { createMcpActivities } from './mcp';
import { createMcpResourceActivities } from './mcp-resources';
import { createResolveActivities } from './resolve';

/**
 * Every activity the worker registers, bound to this process's config, MCP pool, loaded functions,
 * blob store and, when streaming is configured, the publisher of LLM deltas.
 */
export function createActivities(
  config: Config,
  pool: McpPool,
  functions: FunctionRegistry,
  blobs: BlobStore,
  deltas?: DeltaPublisher,
): Activities {
  const conversations = new ConversationStore(blobs, config.storage.inline_bytes);
  return {
    ...createLlmActivities({ anthropic: config.anthropic, openai: config.openai, conversations, pricing: config.pricing, deltas }),
    ...createMcpActivities(pool, conversations, {
      provider: config.default_provider,
      models: { anthropic: config.anthropic.default_model, openai: config.openai.default_model },
    }, deltas),
    ...createMcpResourceActivities(pool, conversations),
    ...createEmbedActivities({ openai: config.openai, cohere: config.cohere }),
    ...createFunctionActivities(functions),
    ...createResolveActivities(config),
  };
}
