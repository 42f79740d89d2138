import type { Problem } from './problems';
import { isRecord } from './values';

/**
 * `${VAR}` in config strings, replaced from the environment.
 *
 * - `${VAR:-fallback}` gives `fallback` when VAR is unset or empty, as in a shell.
 * - A string that is nothing but `${VAR}`, with VAR unset or empty, means "not configured": its key
 *   (or array element) is dropped, so `api_key: "${OPENAI_API_KEY}"` without the variable leaves the
 *   key unset and schema defaults apply, rather than an empty key being sent to a provider.
 * - Inside a longer string an unset VAR is a problem reported at the key, since half a URL or a
 *   `Bearer ` header with no token is never what was meant. `${VAR:-}` opts into an empty value.
 * - `$${` writes a literal `${`.
 *
 * Keys left empty in YAML (`key:` or `key: null`) are dropped too, for the same reason.
 */

const REFERENCE = /\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

type Env = Readonly<Record<string, string | undefined>>;

function interpolateString(
  text: string,
  env: Env,
  path: readonly PropertyKey[],
  problems: Problem[],
): string | undefined {
  const whole = WHOLE_REFERENCE.exec(text);
  if (whole) return env[whole[1]] || undefined;
  return text.replace(REFERENCE, (match, escaped: string | undefined, name: string, fallback: string | undefined) => {
    if (escaped) return match.slice(1);
    const value = env[name];
    if (fallback !== undefined) return value || fallback;
    if (value === undefined) {
      problems.push({ path, message: `environment variable ${name} is not set (write \${${name}:-} to allow empty)` });
      return '';
    }
    return value;
  });
}

function interpolateValue(value: unknown, env: Env, path: readonly PropertyKey[], problems: Problem[]): unknown {
  if (typeof value === 'string') return interpolateString(value, env, path, problems);
  if (Array.isArray(value)) {
    return value
      .map((item, index) => interpolateValue(item, env, [...path, index], problems))
      .filter((item) => item !== undefined);
  }
  if (isRecord(value)) {
    const entries = Object.entries(value)
      .map(([key, item]) => [key, interpolateValue(item, env, [...path, key], problems)] as const)
      .filter(([, item]) => item !== undefined && item !== null);
    return Object.fromEntries(entries);
  }
  return value;
}

/** Returns the value with every reference replaced, and the references that could not be. */
export function interpolateEnv(value: unknown, env: Env): { value: unknown; problems: Problem[] } {
  const problems: Problem[] = [];
  return { value: interpolateValue(value, env, [], problems), problems };
}
