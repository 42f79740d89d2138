import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport, type StdioServerParameters } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { deserializeMessage, STDIO_DEFAULT_MAX_BUFFER_SIZE } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
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
/** Quoted in connect errors, which travel as activity failures and API error details: the tail only. */
const STDERR_CHARS_KEPT = 2048;

/** How a stdio server's process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface OpenedTransport {
  transport: Transport;
  /** The last lines a stdio server wrote to stderr (at most STDERR_CHARS_KEPT): usually why it failed to start. */
  recentStderr(): string[];
  /** How a stdio server's process ended, once it has; undefined while it runs, and for other transports. */
  exited(): ProcessExit | undefined;
  /** The first line a stdio server wrote to stdout that is not a JSON-RPC message, if any. */
  notJsonRpc(): string | undefined;
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
      return withoutProcess(new StreamableHTTPClientTransport(url, { requestInit, authProvider }));
    case 'sse':
      return withoutProcess(new SSEClientTransport(url, { requestInit, authProvider }));
    case 'websocket':
      // The headers go on the opening HTTP request, as the HTTP transports send them on every request.
      return withoutProcess(new WebSocketClientTransport(url, settings.headers));
  }
}

function openStdio(settings: McpServerSettings, onStderrLine: (line: string) => void): OpenedTransport {
  const transport = new WatchedStdioTransport({
    command: settings.command as string,
    args: settings.args,
    env: settings.env,
    cwd: settings.cwd,
    // Piped (not inherited) so the worker's log carries it and connect errors can quote it.
    stderr: 'pipe',
  });
  const recent: string[] = [];
  let kept = 0;
  // With stderr 'pipe' the SDK hands out a PassThrough before the process starts.
  const stderr = transport.stderr as Readable | null;
  if (stderr) {
    createInterface({ input: stderr }).on('line', (line) => {
      const bounded = line.length > STDERR_CHARS_KEPT ? `…${line.slice(-STDERR_CHARS_KEPT + 1)}` : line;
      recent.push(bounded);
      kept += bounded.length;
      while (recent.length > STDERR_LINES_KEPT || (recent.length > 1 && kept > STDERR_CHARS_KEPT)) kept -= recent.shift()!.length;
      onStderrLine(line);
    });
  }
  return { transport, recentStderr: () => [...recent], exited: () => transport.exit(), notJsonRpc: () => transport.firstNotJsonRpc };
}

/**
 * The SDK's stdio transport, watched for the two things its errors leave out. A server that exits
 * during start-up shows up only as "Connection closed": the exit code, which the SDK drops, says
 * more. A line on stdout that is not JSON-RPC (a banner, a log line) is reported as a bare
 * JSON.parse error and then ignored, so the client waits its whole timeout for an initialize
 * answer that never comes: the line itself says what went wrong.
 *
 * Neither is public in the SDK: the child process and the read buffer are private fields
 * (`_process`, `_readBuffer`). Each is used only when it is there as expected; otherwise errors
 * read as they did (test/unit/mcp-transports.test.ts fails if an SDK update removes them).
 */
export class WatchedStdioTransport extends StdioClientTransport {
  firstNotJsonRpc?: string;
  private child?: ChildProcess;

  constructor(params: StdioServerParameters) {
    super(params);
    const internals = this as unknown as { _readBuffer?: { readMessage?: unknown } };
    if (typeof internals._readBuffer?.readMessage === 'function') {
      internals._readBuffer = new LineKeepingReadBuffer((line) => (this.firstNotJsonRpc ??= line));
    }
  }

  override async start(): Promise<void> {
    await super.start();
    // Kept here: the SDK forgets its process when it closes, which is when the exit code matters.
    const child = (this as unknown as { _process?: unknown })._process;
    if (child && typeof (child as ChildProcess).pid === 'number') this.child = child as ChildProcess;
  }

  /** Whether the watching works (the SDK's internals were where expected): for tests. */
  get watched(): { exit: boolean; stdout: boolean } {
    return {
      exit: this.child !== undefined,
      stdout: (this as unknown as { _readBuffer?: unknown })._readBuffer instanceof LineKeepingReadBuffer,
    };
  }

  exit(): ProcessExit | undefined {
    const child = this.child;
    if (!child || (child.exitCode === null && child.signalCode === null)) return undefined;
    return { code: child.exitCode, signal: child.signalCode };
  }
}

/**
 * The SDK's ReadBuffer (newline-delimited JSON-RPC, the same size limit), which also hands each
 * line that is not a JSON-RPC message to `onRejected` before throwing as the SDK's does.
 */
class LineKeepingReadBuffer {
  private buffer?: Buffer;

  constructor(private readonly onRejected: (line: string) => void) {}

  append(chunk: Buffer): void {
    const size = (this.buffer?.length ?? 0) + chunk.length;
    if (size > STDIO_DEFAULT_MAX_BUFFER_SIZE) {
      this.clear();
      throw new Error(`ReadBuffer exceeded maximum size of ${STDIO_DEFAULT_MAX_BUFFER_SIZE} bytes`);
    }
    this.buffer = this.buffer ? Buffer.concat([this.buffer, chunk]) : chunk;
  }

  readMessage(): JSONRPCMessage | null {
    if (!this.buffer) return null;
    const index = this.buffer.indexOf('\n');
    if (index === -1) return null;
    const line = this.buffer.toString('utf8', 0, index).replace(/\r$/, '');
    this.buffer = this.buffer.subarray(index + 1);
    try {
      return deserializeMessage(line);
    } catch (error) {
      this.onRejected(line);
      throw error;
    }
  }

  clear(): void {
    this.buffer = undefined;
  }
}

function parseUrl(server: string, url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new McpServerConfigError(server, `invalid url "${url}"`);
  }
}

function withoutProcess(transport: Transport): OpenedTransport {
  return { transport, recentStderr: () => [], exited: () => undefined, notJsonRpc: () => undefined };
}
