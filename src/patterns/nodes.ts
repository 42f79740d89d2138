import type { ResolvedNode, ResolvedSpec } from '../spec/schema';

/** Pure helpers for running nodes: what a child is given and how its answer reads. */

/** The spec a node runs as its own workflow; an agent node becomes an agent pattern. */
export function nodeSpec(node: Exclude<ResolvedNode, { kind: 'function' }>): ResolvedSpec {
  return node.kind === 'agent' ? { type: 'agent', agent: node.agent } : node.spec;
}

/** Any value as text for a model: strings as they are, anything else as JSON. */
export function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value, null, 2) ?? '';
}

/** A pattern's result reads as its `text` when it has one (every pattern's result does). */
export function resultText(result: unknown): string {
  if (result && typeof result === 'object' && typeof (result as { text?: unknown }).text === 'string') {
    return (result as { text: string }).text;
  }
  return asText(result);
}
