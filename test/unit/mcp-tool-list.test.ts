import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { filterAllowedTools, listAllTools, type ToolPage } from '../../src/mcp/tool-list';

function tool(name: string): Tool {
  return { name, inputSchema: { type: 'object' } };
}

describe('filterAllowedTools', () => {
  const tools = ['search_docs', 'search_code', 'delete_all', 'fetch'].map(tool);

  it('keeps every tool when allowed_tools is not set', () => {
    expect(filterAllowedTools(tools, undefined).map((t) => t.name)).toEqual([
      'search_docs',
      'search_code',
      'delete_all',
      'fetch',
    ]);
  });

  it('keeps only tools matching one of the globs', () => {
    expect(filterAllowedTools(tools, ['search*', 'fetch']).map((t) => t.name)).toEqual([
      'search_docs',
      'search_code',
      'fetch',
    ]);
  });

  it('keeps nothing for an empty list', () => {
    expect(filterAllowedTools(tools, [])).toEqual([]);
  });
});

describe('listAllTools', () => {
  /** A server whose pages are `pages`, addressed by cursors "1", "2", ... */
  function pagedServer(pages: string[][]) {
    const cursorsSeen: (string | undefined)[] = [];
    const fetchPage = async (cursor: string | undefined): Promise<ToolPage> => {
      cursorsSeen.push(cursor);
      const index = cursor ? Number(cursor) : 0;
      const next = index + 1 < pages.length ? String(index + 1) : undefined;
      return { tools: pages[index].map(tool), nextCursor: next };
    };
    return { fetchPage, cursorsSeen };
  }

  it('follows nextCursor through every page', async () => {
    const server = pagedServer([['a', 'b'], ['c'], ['d']]);
    const truncations: number[] = [];
    const tools = await listAllTools(server.fetchPage, (pages) => truncations.push(pages));
    expect(tools.map((t) => t.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(server.cursorsSeen).toEqual([undefined, '1', '2']);
    expect(truncations).toEqual([]);
  });

  it('stops at the page bound and reports the truncation', async () => {
    const endless = async (cursor: string | undefined): Promise<ToolPage> => {
      const index = cursor ? Number(cursor) : 0;
      return { tools: [tool(`t${index}`)], nextCursor: String(index + 1) };
    };
    const truncations: [number, number][] = [];
    const tools = await listAllTools(endless, (pages, count) => truncations.push([pages, count]), 5);
    expect(tools.map((t) => t.name)).toEqual(['t0', 't1', 't2', 't3', 't4']);
    expect(truncations).toEqual([[5, 5]]);
  });
});
