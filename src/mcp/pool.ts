import type {
  CallToolResult,
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplate,
  Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { UnknownMcpServerError } from './errors';
import { oauthProviderFor, type McpOAuthSettings } from './oauth';
import { type CallOptions, ServerConnection } from './server-connection';

export type McpTransportKind = 'stdio' | 'streamable_http' | 'sse' | 'websocket';

/** One entry of `mcp.servers` in the config file, keys as in the YAML. */
export interface McpServerSettings {
  /** Default: stdio when `command` is set, streamable_http when `url` is set. */
  transport?: McpTransportKind;
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  url?: string;
  headers?: Record<string, string>;
  /** OAuth for HTTP servers; the transport gets its tokens from src/mcp/oauth.ts. */
  auth?: { oauth: McpOAuthSettings };
  description?: string;
  /** Timeout of each request to the server, tool calls included (the SDK default is 60 s). */
  read_timeout_seconds?: number;
  /** Globs; when set, only matching tools are offered to models, and calls to others are refused. */
  allowed_tools?: string[];
  /** Declared to the server and listed on `roots/list`; absent: the client declares no roots. */
  roots?: McpRoot[];
  /** Set: the client offers sampling, answered by a model call of the run (src/mcp/server-requests.ts). */
  sampling?: { provider?: 'anthropic' | 'openai'; model?: string; max_tokens?: number; approve?: boolean };
  elicitation?: { timeout_seconds?: number };
}

export interface McpRoot {
  uri: string;
  name?: string;
}

/** The subset of a pino logger the pool writes to. */
export interface McpPoolLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const silentLogger: McpPoolLogger = { debug() {}, info() {}, warn() {} };

/**
 * The MCP sessions of one worker process, keyed by server name. Any activity on the process may
 * use any server: sessions open on first use and are shared, so no activity depends on a session
 * an earlier activity of its run opened (those may have run on another worker).
 */
export class McpPool {
  private readonly connections: ReadonlyMap<string, ServerConnection>;

  constructor(servers: Readonly<Record<string, McpServerSettings>>, logger: McpPoolLogger = silentLogger) {
    this.connections = new Map(
      Object.entries(servers).map(([name, settings]) => [name, new ServerConnection(name, settings, logger)]),
    );
    // Made now, so each OAuth server's tokens are shared by its reconnects and renewals are logged here.
    for (const [name, settings] of Object.entries(servers)) oauthProviderFor(name, settings, logger);
  }

  serverNames(): string[] {
    return [...this.connections.keys()];
  }

  has(server: string): boolean {
    return this.connections.has(server);
  }

  settings(server: string): McpServerSettings {
    return this.connection(server).settings;
  }

  /** The server's tools after `allowed_tools`; cached until the server reports a change or reconnects. */
  async listTools(server: string, options: { refresh?: boolean } = {}): Promise<Tool[]> {
    return this.connection(server).tools(options);
  }

  /** Resolves with the server's answer, `isError` results included; see ServerConnection for retries. */
  async callTool(
    server: string,
    tool: string,
    args: Record<string, unknown>,
    options?: CallOptions,
  ): Promise<CallToolResult> {
    return this.connection(server).callTool(tool, args, options);
  }

  /** Resources the server lists; an empty list when it offers none. */
  async listResources(server: string): Promise<Resource[]> {
    return this.connection(server).resources();
  }

  async listResourceTemplates(server: string): Promise<ResourceTemplate[]> {
    return this.connection(server).resourceTemplates();
  }

  /** The server's answer; its errors (an unknown URI) are thrown as the SDK's McpError. */
  async readResource(server: string, uri: string, options?: CallOptions): Promise<ReadResourceResult> {
    return this.connection(server).readResource(uri, options);
  }

  async listPrompts(server: string): Promise<Prompt[]> {
    return this.connection(server).prompts();
  }

  async getPrompt(server: string, name: string, args: Record<string, string> = {}, options?: CallOptions): Promise<GetPromptResult> {
    return this.connection(server).getPrompt(name, args, options);
  }

  /** Connections opened for `server` since the pool was made; each reconnect adds one. */
  connectCount(server: string): number {
    return this.connection(server).connectCount;
  }

  isConnected(server: string): boolean {
    return this.connection(server).isConnected;
  }

  /** For worker shutdown: closes every session and stops every stdio server process. */
  async close(): Promise<void> {
    await Promise.all([...this.connections.values()].map((connection) => connection.close()));
  }

  private connection(server: string): ServerConnection {
    const connection = this.connections.get(server);
    if (!connection) throw new UnknownMcpServerError(server, this.serverNames());
    return connection;
  }
}
