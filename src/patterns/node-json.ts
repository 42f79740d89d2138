import type { z } from 'zod';
import { issuePath, MAX_QUOTED_PROBLEMS, notJson, outputJsonSchema, type StructuredCheck } from './structured';

/**
 * Structured answers from nodes that cannot be asked for structured output natively: a nested
 * pattern or a function standing as a planner or evaluator. They are told the JSON Schema in their
 * input and their reply is checked here; there is no repair turn, since a pattern or function
 * would most likely answer the same way again.
 */

/** What such a node's input ends with, so it knows the shape it must reply in. */
export function jsonReplyInstruction(schema: z.ZodType): string {
  return [
    'Reply with only a JSON object (no other text) that matches this JSON Schema:',
    JSON.stringify(outputJsonSchema(schema)),
  ].join('\n');
}

/**
 * The first JSON value in a reply: the whole text, else a fenced block, else the span from the
 * first `{` to the last `}`. Models wrap JSON in prose and fences even when told not to.
 */
export function extractJson(text: string): { found: true; value: unknown } | { found: false } {
  const candidates = [text.trim()];
  const fenced = /```(?:json)?\s*\n?([\s\S]*?)```/i.exec(text);
  if (fenced) candidates.push(fenced[1].trim());
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start >= 0 && end > start) candidates.push(text.slice(start, end + 1));
  for (const candidate of candidates) {
    try {
      return { found: true, value: JSON.parse(candidate) as unknown };
    } catch {
      // Not this candidate; try the next.
    }
  }
  return { found: false };
}

/**
 * A node's answer checked against `schema`. A function's non-string value is checked as it is;
 * any other answer (a pattern's text, a function's string) must contain the JSON.
 */
export function checkNodeJson<T>(
  schema: z.ZodType<T>,
  answer: { kind: 'agent' | 'pattern' | 'function'; text: string; result: unknown },
): StructuredCheck<T> {
  let value: unknown;
  if (answer.kind === 'function' && typeof answer.result !== 'string') {
    value = answer.result;
  } else {
    const extracted = extractJson(answer.text);
    if (!extracted.found) return { ok: false, problems: [`(root): ${notJson(answer.text)}`] };
    value = extracted.value;
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((issue) => `${issuePath(issue.path)}: ${issue.message}`) };
}

/** Why the run fails when such a node's reply is not the object asked for. */
export function nodeJsonFailureMessage(
  name: string,
  node: { kind: 'agent' | 'pattern' | 'function'; name: string },
  problems: readonly string[],
): string {
  const lines = problems.slice(0, MAX_QUOTED_PROBLEMS).map((problem) => `- ${problem}`);
  if (problems.length > MAX_QUOTED_PROBLEMS) lines.push(`- …and ${problems.length - MAX_QUOTED_PROBLEMS} more`);
  return [`The ${node.kind} "${node.name}" did not reply with a valid "${name}" object:`, ...lines].join('\n');
}
