import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { isConnectionLoss, isRequestTimeout, networkCause, plainExcerpt, requestTimeoutSeconds, urlForMessages } from '../../src/mcp/errors';

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

describe('requestTimeoutSeconds', () => {
  it("reads the timeout of the SDK's RequestTimeout error, also as the cause of a failed connect", () => {
    const timeout = new McpError(ErrorCode.RequestTimeout, 'Request timed out', { timeout: 5000 });
    expect(requestTimeoutSeconds(timeout, 60)).toBe(5);
    expect(requestTimeoutSeconds(new Error('could not connect', { cause: timeout }), 60)).toBe(5);
    expect(requestTimeoutSeconds(new McpError(ErrorCode.RequestTimeout, 'Request timed out'), 60)).toBe(60);
    expect(requestTimeoutSeconds(new McpError(ErrorCode.ConnectionClosed, 'Connection closed'), 60)).toBeUndefined();
  });
});

describe('networkCause', () => {
  it("finds the network's reason behind fetch's \"fetch failed\"", () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7698'), { code: 'ECONNREFUSED' });
    expect(networkCause(new TypeError('fetch failed', { cause: refused }))).toBe('connect ECONNREFUSED 127.0.0.1:7698');
    // localhost tried as ::1 and 127.0.0.1: an AggregateError with a code and no message.
    const both = Object.assign(new AggregateError([refused], ''), { code: 'ECONNREFUSED' });
    expect(networkCause(new TypeError('fetch failed', { cause: both }))).toBe('connect ECONNREFUSED 127.0.0.1:7698');
    expect(networkCause(new TypeError('fetch failed'))).toBeUndefined();
    expect(networkCause(new McpError(ErrorCode.ConnectionClosed, 'Connection closed'))).toBeUndefined();
  });
});

describe('plainExcerpt', () => {
  it('turns an HTML error page into a short line of its text', () => {
    const page = '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot POST /register</pre>\n</body>\n</html>\n';
    expect(plainExcerpt(page)).toBe('Error Cannot POST /register');
    expect(plainExcerpt('x'.repeat(500), 20)).toBe(`${'x'.repeat(19)}…`);
    expect(plainExcerpt('a < b and c > d')).toBe('a < b and c > d');
  });
});

test('urlForMessages leaves out a query string, which may carry a token', () => {
  expect(urlForMessages('http://127.0.0.1:7698/mcp?token=secret')).toBe('http://127.0.0.1:7698/mcp');
  expect(urlForMessages(new URL('ws://example.com/'))).toBe('ws://example.com');
});
