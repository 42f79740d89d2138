import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { isConnectionLoss, isRequestTimeout } from '../../src/mcp/errors';

describe('isConnectionLoss', () => {
  it('is true for a closed connection and for transport failures', () => {
    expect(isConnectionLoss(new McpError(ErrorCode.ConnectionClosed, 'Connection closed'))).toBe(true);
    expect(isConnectionLoss(new Error('Not connected'))).toBe(true);
    expect(isConnectionLoss(new TypeError('fetch failed'))).toBe(true);
    expect(isConnectionLoss(new StreamableHTTPError(404, 'Session not found'))).toBe(true);
  });

  it('is false for answers a live server sent', () => {
    expect(isConnectionLoss(new McpError(ErrorCode.InvalidParams, 'bad arguments'))).toBe(false);
    expect(isConnectionLoss(new McpError(ErrorCode.InternalError, 'boom'))).toBe(false);
    expect(isConnectionLoss(new McpError(ErrorCode.RequestTimeout, 'Request timed out'))).toBe(false);
    expect(isConnectionLoss(z.object({ a: z.string() }).safeParse({}).error)).toBe(false);
  });
});

describe('isRequestTimeout', () => {
  it('recognises only the SDK request timeout', () => {
    expect(isRequestTimeout(new McpError(ErrorCode.RequestTimeout, 'Request timed out'))).toBe(true);
    expect(isRequestTimeout(new McpError(ErrorCode.ConnectionClosed, 'Connection closed'))).toBe(false);
    expect(isRequestTimeout(new Error('timeout'))).toBe(false);
  });
});
