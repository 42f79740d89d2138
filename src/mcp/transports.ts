import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { oauthProviderFor } from './oauth';
import type { McpServerSettings, McpTransportKind } from './pool';
import { WebSocketClientTransport } from './websocket';

/** A server definition that can never connect: retrying will not help, the config must change. */
export class McpServerConfigError extends Error {
  constructor(
    readonly server: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`MCP server "${server}": ${problem}`, options);
    this.name = 'McpServerConfigError';
  }
}

/** What spawn reports for a program that is not there, or that may not be run. */
const UNSTARTABLE: Record<string, string> = {
  ENOENT: 'no such file',
  ENOTDIR: 'a part of its path is not a directory',
  EACCES: 'permission denied: not an executable file',
};

/**
 * A stdio server whose command cannot be started at all (spawn's ENOENT, EACCES, ENOTDIR) as the
 * config error it is, naming the command, or its `cwd` when that is what is missing (spawn says
 * ENOENT for the command then too): no retry brings the file into being, so the activity fails at
 * once instead of retrying for minutes. Undefined for any other failure, such as a server that
 * starts and then exits, which another attempt may get past.
 */
export function stdioStartFailure(server: string, settings: McpServerSettings, error: unknown): McpServerConfigError | undefined {
  const failure = error as NodeJS.ErrnoException | undefined;
  const reason = UNSTARTABLE[failure?.code ?? ''];
  if (!reason || !failure?.syscall?.startsWith('spawn') || transportKind(server, settings) !== 'stdio') return undefined;
  if (settings.cwd !== undefined && !existsSync(settings.cwd)) {
    return new McpServerConfigError(server, `cannot start: its working directory (cwd) "${settings.cwd}" does not exist`, { cause: error });
  }
  const command = settings.command as string;
  // A bare name is looked up on the server's PATH (its `env`, else the worker's).
  const why = failure.code === 'ENOENT' && !command.includes('/') ? 'not found on its PATH' : reason;
  return new McpServerConfigError(server, `cannot start its command "${command}": ${why} (${failure.code})`, { cause: error });
}

/** `transport:` wins; otherwise a command means stdio and a url means streamable HTTP. */
export function transportKind(server: string, settings: McpServerSettings): McpTransportKind {
  const kind = settings.transport ?? (settings.command ? 'stdio' : settings.url ? 'streamable_http' : undefined);
  if (!kind) throw new McpServerConfigError(server, 'needs either `command` (stdio) or `url`');
  if (kind === 'stdio' && !settings.command) {
    throw new McpServerConfigError(server, 'the stdio transport needs `command`');
  }
  if (kind !== 'stdio' && !settings.url) {
    throw new McpServerConfigError(server, `the ${kind} transport needs \`url\``);
  }
  return kind;
}

const STDERR_LINES_KEPT = 20;

export interface OpenedTransport {
  transport: Transport;
  /** The last lines a stdio server wrote to stderr: usually why it failed to start. */
  recentStderr(): string[];
}

/**
 * Builds the SDK transport for one server. Stdio children get the SDK's safe inherited
 * environment (HOME, LOGNAME, PATH, SHELL, TERM, USER; see getDefaultEnvironment) overlaid with the
 * server's own `env`, so worker secrets such as API keys are not handed to every tool server.
 */
export function openTransport(
  server: string,
  settings: McpServerSettings,
  onStderrLine: (line: string) => void,
): OpenedTransport {
  const kind = transportKind(server, settings);
  if (kind === 'stdio') return openStdio(settings, onStderrLine);
  const url = parseUrl(server, settings.url as string);
  const requestInit: RequestInit | undefined = settings.headers ? { headers: settings.headers } : undefined;
  // OAuth (src/mcp/oauth.ts): the transport asks the provider for a fresh token before each request.
  const authProvider = oauthProviderFor(server, settings);
  switch (kind) {
    case 'streamable_http':
      return withoutStderr(new StreamableHTTPClientTransport(url, { requestInit, authProvider }));
    case 'sse':
      return withoutStderr(new SSEClientTransport(url, { requestInit, authProvider }));
    case 'websocket':
      // The headers go on the opening HTTP request, as the HTTP transports send them on every request.
      return withoutStderr(new WebSocketClientTransport(url, settings.headers));
  }
}

function openStdio(settings: McpServerSettings, onStderrLine: (line: string) => void): OpenedTransport {
  const transport = new StdioClientTransport({
    command: settings.command as string,
    args: settings.args,
    env: settings.env,
    cwd: settings.cwd,
    // Piped (not inherited) so the worker's log carries it and connect errors can quote it.
    stderr: 'pipe',
  });
  const recent: string[] = [];
  // With stderr 'pipe' the SDK hands out a PassThrough before the process starts.
  const stderr = transport.stderr as Readable | null;
  if (stderr) {
    createInterface({ input: stderr }).on('line', (line) => {
      recent.push(line);
      if (recent.length > STDERR_LINES_KEPT) recent.shift();
      onStderrLine(line);
    });
  }
  return { transport, recentStderr: () => [...recent] };
}

function parseUrl(server: string, url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new McpServerConfigError(server, `invalid url "${url}"`);
  }
}

function withoutStderr(transport: Transport): OpenedTransport {
  return { transport, recentStderr: () => [] };
}
