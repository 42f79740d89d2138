/**
 * Roots: the client declares the roots a server's config entry lists and answers `roots/list`,
 * against real servers: server-everything and our fixture over stdio, the fixture over streamable HTTP.
 */
import path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { McpPool } from '../../src/mcp/pool';
import { startFixtureHttpServer, type FixtureHttpServer } from '../fixtures/mcp-fixture-server';

jest.setTimeout(60_000);

const everythingEntry = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');
const fixtureEntry = path.resolve(__dirname, '..', 'fixtures', 'mcp-fixture-server.ts');
const tsxCli = require.resolve('tsx/cli');

const roots = [
  { uri: 'file:///srv/project', name: 'Project' },
  { uri: 'file:///tmp/scratch' },
];

function resultText(result: CallToolResult): string {
  return result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

describe('MCP roots', () => {
  let fixture: FixtureHttpServer;
  let pool: McpPool;

  beforeAll(async () => {
    fixture = await startFixtureHttpServer();
    pool = new McpPool({
      everything: { command: process.execPath, args: [everythingEntry, 'stdio'], roots },
      local: { command: process.execPath, args: [tsxCli, fixtureEntry, 'stdio'], roots },
      fixture: { url: fixture.url, roots: [{ uri: 'file:///data', name: 'Data' }] },
      bare: { url: fixture.url },
    });
  });

  afterAll(async () => {
    await pool.close();
    await fixture.close();
  });

  it("server-everything's get-roots-list shows the configured roots (stdio)", async () => {
    const text = resultText(await pool.callTool('everything', 'get-roots-list', {}));
    expect(text).toContain('Current MCP Roots (2 total)');
    expect(text).toContain('1. Project\n   URI: file:///srv/project');
    expect(text).toContain('2. Unnamed Root\n   URI: file:///tmp/scratch');
  });

  it('a fixture server asking roots/list gets them, over stdio and streamable HTTP', async () => {
    expect(JSON.parse(resultText(await pool.callTool('local', 'roots', {})))).toEqual(roots);
    expect(JSON.parse(resultText(await pool.callTool('fixture', 'roots', {})))).toEqual([{ uri: 'file:///data', name: 'Data' }]);
  });

  it('a server without roots in its config is told of none: roots/list is refused', async () => {
    const result = await pool.callTool('bare', 'roots', {});
    expect(result.isError).toBe(true);
    expect(resultText(result)).toContain('Method not found');
  });
});
