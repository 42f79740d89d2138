import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServerConfigError, openTransport, transportKind, WatchedStdioTransport } from '../../src/mcp/transports';
import { WebSocketServer } from 'ws';
import { MCP_WEBSOCKET_SUBPROTOCOL, WebSocketClientTransport } from '../../src/mcp/websocket';

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

  it('opens a websocket transport without headers, with the empty headers the config defaults to, or with headers', () => {
    const headerSets: (Record<string, string> | undefined)[] = [undefined, {}, { Authorization: 'Bearer t' }];
    for (const headers of headerSets) {
      const opened = openTransport('s', { transport: 'websocket', url: 'ws://localhost:1', headers }, ignoreStderr);
      expect(opened.transport).toBeInstanceOf(WebSocketClientTransport);
    }
  });
});

describe('WatchedStdioTransport', () => {
  it("keeps what the SDK's errors leave out: the first line on stdout that is not JSON-RPC, and the exit code", async () => {
    // Reads the SDK transport's private child process and read buffer: this fails if an SDK update moves them.
    const transport = new WatchedStdioTransport({
      command: process.execPath,
      args: ['-e', 'console.log("Server starting on stdio..."); console.log(JSON.stringify({ jsonrpc: "2.0", method: "x" })); setTimeout(() => process.exit(3), 100)'],
      stderr: 'pipe',
    });
    const messages: unknown[] = [];
    const errors: Error[] = [];
    transport.onmessage = (message) => messages.push(message);
    transport.onerror = (error) => errors.push(error);
    const closed = new Promise<void>((resolve) => (transport.onclose = resolve));
    await transport.start();
    expect(transport.watched).toEqual({ exit: true, stdout: true });
    await closed;
    expect(transport.firstNotJsonRpc).toBe('Server starting on stdio...');
    expect(errors).toHaveLength(1);
    expect(messages).toEqual([{ jsonrpc: '2.0', method: 'x' }]);
    expect(transport.exit()).toEqual({ code: 3, signal: null });
  });

  it('keeps at most 2 KB of stderr, the last lines', async () => {
    const opened = openTransport('s', { command: process.execPath, args: ['-e', 'for (let i = 0; i < 100; i++) console.error(`line ${i} ` + "x".repeat(100))'] }, ignoreStderr);
    const closed = new Promise<void>((resolve) => (opened.transport.onclose = resolve));
    await opened.transport.start();
    await closed;
    await new Promise((resolve) => setImmediate(resolve));
    const kept = opened.recentStderr();
    expect(kept.join('').length).toBeLessThanOrEqual(2048);
    expect(kept.at(-1)).toMatch(/^line 99 /);
    expect(opened.exited()).toEqual({ code: 0, signal: null });
  });
});

describe('WebSocketClientTransport', () => {
  let server: WebSocketServer;
  let url: string;
  const seen: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      handleProtocols: () => MCP_WEBSOCKET_SUBPROTOCOL,
      verifyClient: (info, accept) => {
        seen.push(info.req.headers);
        if (info.req.url?.startsWith('/locked')) accept(false, 403, 'Forbidden');
        else accept(true);
      },
    });
    await new Promise((resolve) => server.once('listening', resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  });

  async function openingHeaders(headers?: Record<string, string>): Promise<IncomingHttpHeaders> {
    const transport = new WebSocketClientTransport(new URL(url), headers);
    await transport.start();
    await transport.close();
    return seen[seen.length - 1];
  }

  it('sends the configured headers on the opening request, and nothing extra for empty headers', async () => {
    const bare = await openingHeaders();
    expect(Object.keys(await openingHeaders({})).sort()).toEqual(Object.keys(bare).sort());
    const withToken = await openingHeaders({ Authorization: 'Bearer secret', 'X-Team': 'a' });
    expect(withToken).toMatchObject({ authorization: 'Bearer secret', 'x-team': 'a' });
    expect(Object.keys(withToken).sort()).toEqual([...Object.keys(bare), 'authorization', 'x-team'].sort());
    expect(withToken['sec-websocket-protocol']).toBe(MCP_WEBSOCKET_SUBPROTOCOL);
  });

  it('says the server refused the connection, with the HTTP status, and leaves any query string out', async () => {
    const transport = new WebSocketClientTransport(new URL(`${url}/locked?token=secret`));
    const errors: Error[] = [];
    transport.onerror = (error) => errors.push(error);
    await expect(transport.start()).rejects.toThrow(
      `the server at ${url}/locked refused the websocket connection: HTTP 403 Forbidden`,
    );
    // The SDK's client hears of it too, through onerror, in the same words.
    expect(errors.map((error) => error.message)).toEqual([
      `the server at ${url}/locked refused the websocket connection: HTTP 403 Forbidden`,
    ]);
  });

  it('says why a server that cannot be reached was not reached', async () => {
    const closed = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => closed.once('listening', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const transport = new WebSocketClientTransport(new URL(`ws://127.0.0.1:${port}`));
    await expect(transport.start()).rejects.toThrow(`could not reach ws://127.0.0.1:${port}: `);
  });
});
