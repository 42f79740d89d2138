import { formatPath } from '../config/problems';
import { isRecord } from '../config/values';

/**
 * Why `value` would not reach a workflow intact as JSON, or undefined when it would. JSON.stringify
 * throws on some of these (bigint, cycles) but silently drops or mangles the rest (functions become
 * nothing, NaN becomes null, a Map becomes {}), so a function author would never see the mistake.
 * An `undefined` property is fine: JSON omits it, as an optional field should be.
 */
export function jsonValueProblem(value: unknown, label: string): string | undefined {
  return problemAt(value, [label], new Set());
}

function problemAt(value: unknown, path: PropertyKey[], ancestors: Set<object>): string | undefined {
  const where = formatPath(path);
  switch (typeof value) {
    case 'undefined':
    case 'boolean':
    case 'string':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${where} is ${value}, which JSON cannot represent`;
    case 'bigint':
      return `${where} is a bigint, which JSON cannot represent; use a string or a number`;
    case 'function':
    case 'symbol':
      return `${where} is a ${typeof value}, which JSON cannot represent`;
  }
  if (value === null) return undefined;
  const object = value as object;
  if (ancestors.has(object)) return `${where} refers back to an object that contains it, which JSON cannot represent`;
  if (object instanceof Map) return `${where} is a Map, which JSON turns into {}; use a plain object`;
  if (object instanceof Set) return `${where} is a Set, which JSON turns into {}; use an array`;
  if (hasToJson(object)) return problemAt(object.toJSON(), path, ancestors);
  ancestors.add(object);
  try {
    const entries: [PropertyKey, unknown][] = Array.isArray(object)
      ? object.map((item, index) => [index, item])
      : Object.entries(object);
    for (const [key, child] of entries) {
      const problem = problemAt(child, [...path, key], ancestors);
      if (problem) return problem;
    }
    return undefined;
  } finally {
    ancestors.delete(object);
  }
}

function hasToJson(value: object): value is { toJSON(): unknown } {
  return isRecord(value) && typeof value.toJSON === 'function';
}
