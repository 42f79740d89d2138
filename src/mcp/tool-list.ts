import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { matchesAny } from './naming';

export interface ToolPage {
  tools: Tool[];
  nextCursor?: string;
}

/** A server whose cursor never ends must not hang the worker: stop after this many pages. */
export const MAX_TOOL_PAGES = 100;

/** Follows `nextCursor` until the last page, or until `maxPages` (then reports the truncation). */
export async function listAllTools(
  fetchPage: (cursor: string | undefined) => Promise<ToolPage>,
  onTruncated: (pagesRead: number, toolsRead: number) => void,
  maxPages = MAX_TOOL_PAGES,
): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const result = await fetchPage(cursor);
    tools.push(...result.tools);
    cursor = result.nextCursor;
    if (!cursor) return tools;
  }
  onTruncated(maxPages, tools.length);
  return tools;
}

/** No `allowed_tools` means every tool; otherwise a tool must match one of the globs. */
export function filterAllowedTools<T extends { name: string }>(tools: readonly T[], allowed?: readonly string[]): T[] {
  return allowed ? tools.filter((tool) => matchesAny(allowed, tool.name)) : [...tools];
}
