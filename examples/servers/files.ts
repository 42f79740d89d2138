/**
 * A small, read-only filesystem MCP server over stdio, for the examples to run offline:
 *
 *   node --import tsx examples/servers/files.ts <directory> [<directory> ...]
 *
 * It offers the official `@modelcontextprotocol/server-filesystem`'s reading tools under the same
 * names and arguments (`list_directory`, `read_text_file`), and like it refuses any path outside
 * the directories it was started with. With network access, or once that package is installed,
 * swap it in: only the server's `command`/`args` in mcp_agent.config.yaml change, the agents and
 * workflows do not.
 */
import { readdir, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const roots = process.argv.slice(2).map((dir) => path.resolve(dir));
if (roots.length === 0) {
  process.stderr.write('usage: files.ts <directory> [<directory> ...]\n');
  process.exit(2);
}

const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });
const refusal = (value: string) => ({ ...text(value), isError: true });

/** A relative path is taken from the first directory; any path must end up inside one of them. */
async function allowed(requested: string): Promise<string | undefined> {
  const resolved = await realpath(path.resolve(roots[0], requested)).catch(() => undefined);
  if (!resolved) return undefined;
  for (const root of roots) {
    const real = await realpath(root).catch(() => root);
    if (resolved === real || resolved.startsWith(real + path.sep)) return resolved;
  }
  return undefined;
}

const server = new McpServer({ name: 'example-files', version: '1.0.0' });

server.registerTool(
  'list_directory',
  {
    description: 'Lists the files and directories in a directory, each prefixed [FILE] or [DIR].',
    inputSchema: { path: z.string().describe('A directory, relative to the first allowed one or absolute') },
  },
  async ({ path: requested }) => {
    const dir = await allowed(requested);
    if (!dir) return refusal(`Access denied or not found: ${requested}`);
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => undefined);
    if (!entries) return refusal(`Not a directory: ${requested}`);
    return text(entries.map((entry) => `${entry.isDirectory() ? '[DIR]' : '[FILE]'} ${entry.name}`).join('\n'));
  },
);

server.registerTool(
  'read_text_file',
  {
    description: 'Reads a text file whole, or only its first (head) or last (tail) lines.',
    inputSchema: {
      path: z.string().describe('A file, relative to the first allowed directory or absolute'),
      head: z.number().int().positive().optional(),
      tail: z.number().int().positive().optional(),
    },
  },
  async ({ path: requested, head, tail }) => {
    const file = await allowed(requested);
    if (!file) return refusal(`Access denied or not found: ${requested}`);
    const content = await readFile(file, 'utf8').catch(() => undefined);
    if (content === undefined) return refusal(`Not a readable file: ${requested}`);
    const lines = content.split('\n');
    if (head) return text(lines.slice(0, head).join('\n'));
    if (tail) return text(lines.slice(-tail).join('\n'));
    return text(content);
  },
);

server.connect(new StdioServerTransport()).then(
  // The client closing our stdin ends the session.
  () => process.stdin.on('end', () => process.exit(0)),
  (error: unknown) => {
    process.stderr.write(`files server: ${String(error)}\n`);
    process.exit(1);
  },
);
