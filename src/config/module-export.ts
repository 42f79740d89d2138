import { thrownMessage } from '../functions/thrown-message';
import type { Problem } from './problems';

/**
 * A function a config entry names by `module` and `export` (functions, code workflows), loaded
 * with `require` when the worker starts, so a typo fails start-up rather than a run. The config
 * loader has already made "./" paths absolute; any other name resolves like a package import from
 * this project. Under tsx (how the worker runs) TypeScript modules load too.
 */

export type LoadedExport = { fn: (...args: never[]) => unknown } | { problem: Problem };

/** `path` is the entry's key path; a problem names its `module` or `export` key. */
export function loadExport(path: readonly PropertyKey[], modulePath: string, exportName: string): LoadedExport {
  const problem = (key: 'module' | 'export', message: string): LoadedExport => ({ problem: { path: [...path, key], message } });
  let moduleExports: unknown;
  try {
    moduleExports = require(modulePath);
  } catch (error) {
    return problem('module', `cannot load ${modulePath}: ${firstLine(error)}`);
  }
  const exported = exportsOf(moduleExports);
  if (!Object.hasOwn(exported, exportName)) {
    const names = Object.keys(exported).filter((key) => typeof exported[key] === 'function').sort();
    const list = names.length > 0 ? names.join(', ') : 'none';
    return problem('export', `"${exportName}" is not exported by ${modulePath} (exported functions: ${list})`);
  }
  const value = exported[exportName];
  if (typeof value !== 'function') {
    return problem('export', `"${exportName}" exported by ${modulePath} is ${describe(value)}, not a function`);
  }
  return { fn: value as (...args: never[]) => unknown };
}

function exportsOf(moduleExports: unknown): Record<string, unknown> {
  return typeof moduleExports === 'object' || typeof moduleExports === 'function'
    ? { ...(moduleExports as Record<string, unknown>) }
    : {};
}

/** Node appends the whole require stack to "Cannot find module"; the first line says it all. */
function firstLine(error: unknown): string {
  return thrownMessage(error).split('\n')[0];
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
