import type { ResolvedAgent } from './schema';

/**
 * The fast path for short calls: an MCP server or a function marked `local: true` in the config
 * has its calls run as Temporal local activities (workflows/activities.ts), in the worker that
 * runs the workflow task, with no activity task of their own on the server. A resolved agent
 * carries the names of its local servers and functions, never anything else of their config.
 *
 * These fields extend ResolvedAgent (src/spec/schema.ts) from here; a run started before they
 * existed carries neither, and runs every call as an ordinary activity, as it did.
 */
declare module './schema' {
  interface ResolvedAgent {
    /** Those of `servers` whose config sets `local: true`: their tool calls run as local activities. */
    local_servers?: string[];
    /** Those of `functions` whose config sets `local: true`: their calls run as local activities. */
    local_functions?: string[];
  }
}

/** Whether the agent's calls of this server's tools, or of this function, run as local activities. */
export function runsLocally(agent: ResolvedAgent, target: { server: string } | { function: string }): boolean {
  return 'server' in target ? (agent.local_servers?.includes(target.server) ?? false) : (agent.local_functions?.includes(target.function) ?? false);
}
