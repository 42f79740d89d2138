import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { matchesAny } from './naming';

export interface ToolPage {
  tools: Tool[];
  nextCursor?: string;
}

/** A server whose cursor never ends must not hang the worker: stop after this many pages. */
export const MAX_TOOL_PAGES = 100;

/** One page of any MCP list (tools, resources, resource templates, prompts). */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** Follows `nextCursor` until the last page, or until `maxPages` (then reports the truncation). */
export async function listAllPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
  onTruncated: (pagesRead: number, itemsRead: number) => void,
  maxPages = MAX_TOOL_PAGES,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const result = await fetchPage(cursor);
    items.push(...result.items);
    cursor = result.nextCursor;
    if (!cursor) return items;
  }
  onTruncated(maxPages, items.length);
  return items;
}

/** Follows `nextCursor` until the last page, or until `maxPages` (then reports the truncation). */
export async function listAllTools(
  fetchPage: (cursor: string | undefined) => Promise<ToolPage>,
  onTruncated: (pagesRead: number, toolsRead: number) => void,
  maxPages = MAX_TOOL_PAGES,
): Promise<Tool[]> {
  return listAllPages(
    async (cursor) => {
      const page = await fetchPage(cursor);
      return { items: page.tools, nextCursor: page.nextCursor };
    },
    onTruncated,
    maxPages,
  );
}

/** No `allowed_tools` means every tool; otherwise a tool must match one of the globs. */
export function filterAllowedTools<T extends { name: string }>(tools: readonly T[], allowed?: readonly string[]): T[] {
  return allowed ? tools.filter((tool) => matchesAny(allowed, tool.name)) : [...tools];
}
