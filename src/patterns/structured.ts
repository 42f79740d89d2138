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
 * of the object's shape, and tool schemas are not meant to carry it. A schema it cannot be is a
 * TypeError that says what to write instead: the types let a z.date() or a union through.
 */
export function outputJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, {
    target: 'draft-7',
    io: 'input',
    unrepresentable: refuseUnrepresentable,
  }) as Record<string, unknown>;
  if (jsonSchema.type !== 'object') {
    const { found, example } = rootKind(jsonSchema);
    throw new TypeError(`structured output must be an object schema (z.object({...})), not ${found}; wrap it in one, e.g. ${example}`);
  }
  return jsonSchema;
}

/** A part of a schema that JSON Schema has no word for, as zod's JSON Schema generator reports it. */
interface UnrepresentablePart {
  zodSchema: { _zod: { def: { type: string } } };
  path: ReadonlyArray<string | number>;
  message: string;
}

/** What to write instead of a zod type that no JSON holds, by the type's name in zod. */
const JSON_INSTEAD: Record<string, string> = {
  date: 'z.iso.datetime() (an ISO 8601 string; add .transform((s) => new Date(s)) for a Date) or z.string()',
  bigint: 'z.number().int() or z.string()',
  map: 'z.record(z.string(), ...)',
  set: 'z.array(...)',
  undefined: '.optional() on the field, or z.null()',
  void: '.optional() on the field, or z.null()',
};

/**
 * Zod's own error ("Date cannot be represented in JSON Schema") names neither the field nor the
 * way out, and as a plain Error it reads as a bug of the library's.
 */
function refuseUnrepresentable(part: UnrepresentablePart): never {
  const instead = JSON_INSTEAD[part.zodSchema._zod.def.type] ?? 'a type JSON holds (a string, number, boolean, null, array or object)';
  throw new TypeError(
    `structured output's schema has a part JSON Schema cannot express, at ${partPath(part.path)} (${part.message}): ` +
      `the model writes JSON, so use ${instead} there`,
  );
}

/** `properties.steps.items.properties.when` → `steps[].when`: where the part is in the object the model writes. */
function partPath(schemaPath: ReadonlyArray<string | number>): string {
  let text = '';
  for (let i = 0; i < schemaPath.length; i++) {
    const step = schemaPath[i];
    if (step === 'properties') {
      const name = String(schemaPath[++i]);
      text += text ? `.${name}` : name;
    } else if (step === 'items') {
      // A tuple's items are numbered; a list's are all alike.
      const index = schemaPath[i + 1];
      if (typeof index === 'number') {
        text += `[${index}]`;
        i++;
      } else {
        text += '[]';
      }
    } else if (step === 'additionalProperties') {
      text += '[key]';
    }
    // Anything else (anyOf and its member's index) is no step into the data.
  }
  return text || '(root)';
}

/** A root that is not an object, said as the user wrote it, and the object to put it in. */
function rootKind(jsonSchema: Record<string, unknown>): { found: string; example: string } {
  const { type } = jsonSchema;
  if (type === 'array') return { found: '"array"', example: 'z.object({ items: z.array(...) })' };
  if (jsonSchema.oneOf) return { found: 'a union', example: 'z.object({ result: z.discriminatedUnion(...) })' };
  if (Array.isArray(jsonSchema.anyOf)) {
    const members = jsonSchema.anyOf as Array<{ type?: unknown }>;
    const nullable = members.some((member) => member.type === 'null');
    return nullable
      ? { found: 'a nullable schema', example: 'z.object({ result: z.object({...}).nullable() })' }
      : { found: 'a union', example: 'z.object({ result: z.union([...]) })' };
  }
  if (typeof type === 'string') return { found: JSON.stringify(type), example: `z.object({ value: ${singleValue(type, jsonSchema)} })` };
  const found = type === undefined ? 'a schema without one type' : JSON.stringify(type);
  return { found, example: 'z.object({ value: ... })' };
}

function singleValue(type: string, jsonSchema: Record<string, unknown>): string {
  if (jsonSchema.enum) return 'z.enum([...])';
  const constructors: Record<string, string> = { string: 'z.string()', number: 'z.number()', integer: 'z.number().int()', boolean: 'z.boolean()' };
  return constructors[type] ?? '...';
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
