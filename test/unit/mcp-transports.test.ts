import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServerConfigError, openTransport, transportKind } from '../../src/mcp/transports';
import { WebSocketClientTransport } from '../../src/mcp/websocket';

const ignoreStderr = () => undefined;

describe('transportKind', () => {
  it('is stdio when a command is set', () => {
    expect(transportKind('s', { command: 'node' })).toBe('stdio');
  });

  it('is streamable_http when a url is set', () => {
    expect(transportKind('s', { url: 'http://localhost:8000/mcp' })).toBe('streamable_http');
  });

  it('follows an explicit transport', () => {
    expect(transportKind('s', { transport: 'sse', url: 'http://localhost:8000/sse' })).toBe('sse');
    expect(transportKind('s', { transport: 'websocket', url: 'ws://localhost:8000' })).toBe('websocket');
  });

  it('rejects a server with neither command nor url, naming the server', () => {
    expect(() => transportKind('docs', {})).toThrow(McpServerConfigError);
    expect(() => transportKind('docs', {})).toThrow('MCP server "docs": needs either `command` (stdio) or `url`');
  });

  it('rejects a transport without what it needs', () => {
    expect(() => transportKind('s', { transport: 'stdio', url: 'http://x' })).toThrow('needs `command`');
    expect(() => transportKind('s', { transport: 'sse', command: 'node' })).toThrow('needs `url`');
  });
});

describe('openTransport', () => {
  it('builds the SDK transport of each kind without connecting', () => {
    expect(openTransport('s', { command: 'node' }, ignoreStderr).transport).toBeInstanceOf(StdioClientTransport);
    expect(openTransport('s', { url: 'http://localhost:1/mcp' }, ignoreStderr).transport).toBeInstanceOf(
      StreamableHTTPClientTransport,
    );
    expect(
      openTransport('s', { transport: 'sse', url: 'http://localhost:1/sse' }, ignoreStderr).transport,
    ).toBeInstanceOf(SSEClientTransport);
  });

  it('rejects an invalid url as a config error', () => {
    expect(() => openTransport('s', { url: 'not a url' }, ignoreStderr)).toThrow(McpServerConfigError);
  });

  it('rejects headers on websocket, which cannot send them', () => {
    expect(() =>
      openTransport('s', { transport: 'websocket', url: 'ws://localhost:1', headers: { a: 'b' } }, ignoreStderr),
    ).toThrow('MCP server "s": the websocket transport cannot send custom `headers`');
  });

  it('opens a websocket transport without headers or with the empty headers the config defaults to', () => {
    for (const headers of [undefined, {}]) {
      const opened = openTransport('s', { transport: 'websocket', url: 'ws://localhost:1', headers }, ignoreStderr);
      expect(opened.transport).toBeInstanceOf(WebSocketClientTransport);
    }
  });
});
