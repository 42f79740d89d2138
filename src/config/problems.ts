import type { z } from 'zod';
import { isRecord } from './values';

/** One thing wrong with a config or spec, located by key path. */
export interface Problem {
  path: readonly PropertyKey[];
  message: string;
}

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

/** `agents.finder.servers[1]`; keys that would read ambiguously are quoted: `mcp.servers["a b"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else {
      const key = String(segment);
      if (PLAIN_KEY.test(key)) text += text ? `.${key}` : key;
      else text += `[${JSON.stringify(key)}]`;
    }
  }
  return text;
}

export function formatProblem(problem: Problem): string {
  return problem.path.length > 0 ? `${formatPath(problem.path)}: ${problem.message}` : problem.message;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Zod's sentences start "Invalid input: ..."; the key path already says where, so keep the detail. */
function plainMessage(message: string): string {
  // zod calls a map of names to values a record; in JSON, and to people, it is an object.
  const detail = message.replace(/^Invalid input: /, '').replace(/^expected record\b/, 'expected object');
  return detail.charAt(0).toLowerCase() + detail.slice(1);
}

function isRootTypeMismatch(branch: readonly z.core.$ZodIssue[]): boolean {
  return branch.length === 1 && branch[0].code === 'invalid_type' && branch[0].path.length === 0;
}

/** A complaint that the value lacks the key that would make it this shape (`type`, `function`). */
function missesIdentifyingKey(issue: z.core.$ZodIssue): boolean {
  if (issue.code === 'invalid_type') return issue.path.length === 1 && issue.input === undefined;
  if (issue.code === 'invalid_union' && issue.discriminator) {
    return !isRecord(issue.input) || issue.input[issue.discriminator] === undefined;
  }
  return false;
}

function unionProblems(issue: z.core.$ZodIssueInvalidUnion, path: readonly PropertyKey[]): Problem[] {
  if (issue.inclusive !== false && issue.discriminator && issue.options) {
    const options = issue.options.map((o) => JSON.stringify(o)).join(', ');
    const given = isRecord(issue.input) ? issue.input[issue.discriminator] : undefined;
    const message =
      given === undefined
        ? `required, one of ${options}`
        : `unknown value ${JSON.stringify(given)}; expected one of ${options}`;
    return [{ path, message }];
  }
  // A string-or-object union given an object: only the object branch's complaints say anything useful.
  const matching = issue.errors.filter((branch) => !isRootTypeMismatch(branch));
  if (matching.length === 1) return zodIssueProblems(matching[0], path);
  // Of several object shapes (a node: function, pattern or agent), the value was meant for the
  // one whose identifying key it has.
  const fitting = matching.filter((branch) => !branch.some(missesIdentifyingKey));
  if (fitting.length === 1) return zodIssueProblems(fitting[0], path);
  // Still two (an inline agent and `{agent: name}` both have no required key but that one): the
  // shape that knows every key given.
  const knowsKeys = fitting.filter((branch) => !branch.some((i) => i.code === 'unrecognized_keys' && i.path.length === 0));
  if (knowsKeys.length === 1) return zodIssueProblems(knowsKeys[0], path);
  if (matching.length === 0 && issue.errors.length > 0) {
    const expected = issue.errors.map((branch) => (branch[0] as z.core.$ZodIssueInvalidType).expected);
    const received = 'input' in issue ? `, received ${describeType(issue.input)}` : '';
    return [{ path, message: `expected ${[...new Set(expected)].join(' or ')}${received}` }];
  }
  return [{ path, message: plainMessage(issue.message) }];
}

/**
 * Flattens zod issues into one problem per real mistake: an unknown key per key, a union's
 * complaint from the branch the value was meant for. Parse with `reportInput: true` for the
 * clearest messages.
 */
export function zodIssueProblems(
  issues: readonly z.core.$ZodIssue[],
  basePath: readonly PropertyKey[] = [],
): Problem[] {
  return issues.flatMap((issue): Problem[] => {
    const path = [...basePath, ...issue.path];
    switch (issue.code) {
      case 'unrecognized_keys':
        return issue.keys.map((key) => ({ path: [...path, key], message: 'unknown key' }));
      case 'invalid_union':
        return unionProblems(issue, path);
      case 'invalid_key':
        return issue.issues.map((inner) => ({ path, message: `invalid name: ${plainMessage(inner.message)}` }));
      default:
        return [{ path, message: plainMessage(issue.message) }];
    }
  });
}
