import { z } from 'zod';
import type { LlmResponse, Message } from '../llm/messages';

/**
 * Pure pieces of structured output, shared by workflows/structured.ts and unit tests: the JSON
 * Schema sent to the provider, the check of what came back, and the wording of the repair turn
 * and of the final failure.
 */

/** The failure type of a run whose model would not produce a valid object even after a repair turn. */
export const STRUCTURED_OUTPUT_INVALID = 'StructuredOutputInvalid';

/** Enough for the model to fix its reply, without one bad reply flooding the history. */
export const MAX_QUOTED_PROBLEMS = 20;

export type StructuredCheck<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/**
 * The JSON Schema of what the model must produce. Draft 7 is what both providers accept; the
 * schema describes the input side of the zod schema, since that is what the model writes and
 * `safeParse` reads (fields with defaults may be left out). `$schema` is dropped: it is no part
 * of the object's shape, and tool schemas are not meant to carry it.
 */
export function outputJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, { target: 'draft-7', io: 'input' }) as Record<
    string,
    unknown
  >;
  if (jsonSchema.type !== 'object') {
    const found = jsonSchema.type === undefined ? 'a union or other schema without one type' : JSON.stringify(jsonSchema.type);
    throw new TypeError(
      `structured output must be an object schema (z.object({...})), not ${found}; wrap it in one, e.g. z.object({ items: z.array(...) })`,
    );
  }
  return jsonSchema;
}

/** The reply's structured value checked against the schema, or what is wrong with it, by path. */
export function checkStructured<T>(schema: z.ZodType<T>, response: LlmResponse): StructuredCheck<T> {
  if (response.structured === undefined) {
    const problem =
      response.stopReason === 'max_tokens'
        ? 'the reply was cut off at the token limit before the object was complete'
        : notJson(response.message.content);
    return { ok: false, problems: [`(root): ${problem}`] };
  }
  const result = schema.safeParse(response.structured);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: result.error.issues.map((issue) => `${issuePath(issue.path)}: ${issue.message}`) };
}

/** What a reply that holds no JSON object said instead, so that a reader sees why (a refusal, prose, a demo model's notice). */
export function notJson(text: string): string {
  const said = text.trim().replace(/\s+/g, ' ');
  if (!said) return 'the reply was empty, not a JSON object';
  return `the reply was not a JSON object; it began: ${JSON.stringify(said.length > 100 ? `${said.slice(0, 100)}…` : said)}`;
}

/** `steps[0].tasks[1].agent` as one reads it; `(root)` for the object itself. */
export function issuePath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) text += text ? `.${key}` : key;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text || '(root)';
}

export function repairPrompt(problems: readonly string[]): string {
  return [
    'Your reply does not match the required schema:',
    ...quoted(problems),
    'Reply again with the complete, corrected object.',
  ].join('\n');
}

/**
 * What the repair turn adds to the conversation: the reply as the model wrote it, then the
 * problems. Tool calls are left out because no results will follow them, and an empty reply is
 * left out because Anthropic rejects an empty assistant message.
 */
export function repairMessages(response: LlmResponse, problems: readonly string[]): Message[] {
  const messages: Message[] = [];
  if (response.message.content) messages.push({ role: 'assistant', content: response.message.content, toolCalls: [] });
  messages.push({ role: 'user', content: repairPrompt(problems) });
  return messages;
}

/** `call` names the model call as the Web UI does (its activity summary), so the failure says whose answer it was. */
export function structuredFailureMessage(name: string, problems: readonly string[], call?: string): string {
  const whose = call ? ` (${call})` : '';
  return [`The model's "${name}" output${whose} is still invalid after a repair turn:`, ...quoted(problems)].join('\n');
}

function quoted(problems: readonly string[]): string[] {
  const lines = problems.slice(0, MAX_QUOTED_PROBLEMS).map((problem) => `- ${problem}`);
  const more = problems.length - MAX_QUOTED_PROBLEMS;
  if (more > 0) lines.push(`- …and ${more} more`);
  return lines;
}
