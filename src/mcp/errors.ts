import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { errorChain } from '../error-causes';

/** The server is not in the config: a config error, never worth retrying. */
export class UnknownMcpServerError extends Error {
  constructor(
    readonly server: string,
    readonly known: readonly string[],
  ) {
    super(`Unknown MCP server "${server}". Configured: ${known.length ? known.join(', ') : '(none)'}`);
    this.name = 'UnknownMcpServerError';
  }
}

/** The server could not be reached, or the connection was lost and a reconnect did not help. */
export class McpConnectionError extends Error {
  /** A stdio server's last stderr lines (bounded), also at the end of the message: usually why it failed. */
  readonly stderr?: string[];

  constructor(
    readonly server: string,
    message: string,
    options?: { cause?: unknown; stderr?: string[] },
  ) {
    const stderr = options?.stderr?.length ? options.stderr : undefined;
    super(`MCP server "${server}": ${message}${stderr ? `\nserver stderr:\n${stderr.join('\n')}` : ''}`, options);
    this.name = 'McpConnectionError';
    if (stderr) this.stderr = stderr;
  }
}

/**
 * The server does not declare the capability a request needs (resources, prompts): asking would
 * only get MethodNotFound back, so the request is not sent.
 */
export class McpNotOfferedError extends Error {
  constructor(
    readonly server: string,
    readonly capability: 'resources' | 'prompts',
  ) {
    super(`MCP server "${server}" offers no ${capability}`);
    this.name = 'McpNotOfferedError';
  }
}

/**
 * An error answer to a server's own request (sampling, elicitation, roots), thrown by our handler
 * of it: the SDK sends a handler's `code` and `message` as they are. Not an McpError, whose message
 * already starts with "MCP error <code>: ", which the server's SDK then adds a second time.
 */
export class McpErrorAnswer extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'McpErrorAnswer';
  }
}

/**
 * The code of a user's rejection of a server's request: the MCP specification's sampling example
 * answers "User rejected sampling request" with -1 (the SDK's ErrorCode has no name for it).
 */
export const USER_REJECTED = -1;

/** MCP's "resource not found" error code (the specification's -32002; the SDK has no name for it). */
export const RESOURCE_NOT_FOUND = -32002;

/**
 * An error the server itself answered with (not a lost connection nor a timeout): its JSON-RPC code
 * and message, which callers report as the server's answer.
 */
export function serverAnswer(error: unknown): { code: number; message: string } | undefined {
  if (!(error instanceof McpError)) return undefined;
  if (error.code === ErrorCode.ConnectionClosed || error.code === ErrorCode.RequestTimeout) return undefined;
  // McpError prefixes its message with "MCP error <code>: ", which says nothing to a reader.
  return { code: error.code, message: error.message.replace(/^(MCP error -?\d+: )+/, '') };
}

/** The server answered that it does not have what was asked for (a resource, a prompt). */
export function isNotFoundAnswer(answer: { code: number; message: string }): boolean {
  return answer.code === RESOURCE_NOT_FOUND || (answer.code === ErrorCode.InvalidParams && /not found|unknown/i.test(answer.message));
}

/**
 * Whether a failed request says the connection is gone rather than that the server answered.
 * A JSON-RPC error the server sent (invalid params, internal error, ...) and a timed-out request are
 * answers from a live connection; `ConnectionClosed` is raised by the SDK itself when the transport
 * closes. Anything that is not an McpError came from the transport (fetch failures, HTTP statuses
 * such as 404 for an expired session, writes to a dead process), except a result that failed schema
 * validation, which a live server sent.
 */
export function isConnectionLoss(error: unknown): boolean {
  if (error instanceof McpNotOfferedError) return false;
  if (error instanceof McpError) return error.code === ErrorCode.ConnectionClosed;
  return !isSchemaValidationError(error);
}

function isSchemaValidationError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && Array.isArray((error as { issues?: unknown }).issues);
}

export function isRequestTimeout(error: unknown): boolean {
  return error instanceof McpError && error.code === ErrorCode.RequestTimeout;
}

/**
 * The request timeout behind a failure, in seconds, when the failure is one: the SDK's or our read
 * timer's RequestTimeout McpError (it carries `{timeout}` in ms), itself or as the cause of a
 * failed connect. `fallbackSeconds` when the error does not say.
 */
export function requestTimeoutSeconds(error: unknown, fallbackSeconds: number): number | undefined {
  const timeout = [...errorChain(error)].find(isRequestTimeout) as McpError | undefined;
  if (!timeout) return undefined;
  const ms = (timeout.data as { timeout?: unknown } | undefined)?.timeout;
  return typeof ms === 'number' && ms > 0 ? ms / 1000 : fallbackSeconds;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A URL as messages name it: scheme, host and path, never a query string (it may carry a token). */
export function urlForMessages(url: URL | string): string {
  if (typeof url === 'string' && !URL.canParse(url)) return url;
  const parsed = typeof url === 'string' ? new URL(url) : url;
  return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}

/**
 * What the network said when a request never got an answer. Node's fetch reports only "fetch
 * failed" and keeps the reason in its cause (`connect ECONNREFUSED 127.0.0.1:7698`, `getaddrinfo
 * ENOTFOUND host`); undefined when no link of the chain is a network error.
 */
export function networkCause(error: unknown): string | undefined {
  // By shape, not instanceof: fetch's errors come from undici, which may be another realm's (Jest's sandbox).
  let link = error as { code?: unknown; message?: unknown; errors?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; typeof link === 'object' && link !== null && depth < 10; link = link.cause as typeof link, depth++) {
    const code = link.code;
    if (typeof code !== 'string' || !/^(E[A-Z]+|UND_ERR_\w+)$/.test(code)) continue;
    if (typeof link.message === 'string' && link.message) return link.message;
    // Several addresses tried (localhost as ::1 and 127.0.0.1): an AggregateError without a message.
    const tried = Array.isArray(link.errors) ? (link.errors as { message?: unknown }[]) : [];
    const first = tried.find((inner) => typeof inner?.message === 'string' && inner.message !== '');
    return (first?.message as string | undefined) ?? code;
  }
  return undefined;
}

const EXCERPT_CHARS = 200;

/**
 * A response body or an error text as a short plain-text excerpt for a message: servers answer
 * errors with whole HTML pages, which say little and read badly in a terminal or a JSON error.
 */
export function plainExcerpt(text: string, max = EXCERPT_CHARS): string {
  const plain = /<(!doctype|html|head|body|title|pre|p|div|h\d)\b/i.test(text)
    ? text
        .replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ')
        .replace(/<[^>]*>/g, ' ')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&nbsp;/g, ' ')
        .replace(/&amp;/g, '&')
    : text;
  const collapsed = plain.replace(/\s+/g, ' ').trim();
  return collapsed.length > max ? `${collapsed.slice(0, max - 1)}…` : collapsed;
}
