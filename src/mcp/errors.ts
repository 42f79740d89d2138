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
 * Whether a failed request says the connection is gone rather than that the server answered.
 * A JSON-RPC error the server sent (invalid params, internal error, ...) and a timed-out request are
 * answers from a live connection; `ConnectionClosed` is raised by the SDK itself when the transport
 * closes. Anything that is not an McpError came from the transport (fetch failures, HTTP statuses
 * such as 404 for an expired session, writes to a dead process), except a result that failed schema
 * validation, which a live server sent.
 */
export function isConnectionLoss(error: unknown): boolean {
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
