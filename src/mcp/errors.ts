import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

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
  constructor(
    readonly server: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`MCP server "${server}": ${message}`, options);
    this.name = 'McpConnectionError';
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

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
