/** Tools are offered to models as `<server>-<tool>` (the seeds' separator). */
export const TOOL_SEPARATOR = '-';

export function namespacedToolName(server: string, tool: string): string {
  return `${server}${TOOL_SEPARATOR}${tool}`;
}

/**
 * Splits a namespaced name back into server and tool. Server names may themselves contain the
 * separator, so the longest known server prefix wins.
 */
export function splitToolName(
  name: string,
  servers: readonly string[],
): { server: string; tool: string } | undefined {
  let best: string | undefined;
  for (const server of servers) {
    const prefix = server + TOOL_SEPARATOR;
    if (name.startsWith(prefix) && name.length > prefix.length && (!best || server.length > best.length)) {
      best = server;
    }
  }
  return best ? { server: best, tool: name.slice(best.length + TOOL_SEPARATOR.length) } : undefined;
}

/** `*` matches any run of characters, `?` one character; everything else is literal. */
export function globMatch(pattern: string, text: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(text);
}

export function matchesAny(patterns: readonly string[], text: string): boolean {
  return patterns.some((p) => globMatch(p, text));
}
