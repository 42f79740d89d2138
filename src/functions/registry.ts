import { ConfigError } from '../config/errors';
import type { Problem } from '../config/problems';
import type { Config } from '../config/schema';
import type { AgentFunction } from './convention';
import { thrownMessage } from './thrown-message';

/** The functions this worker can run, by config name. */
export class FunctionRegistry {
  constructor(private readonly functions: ReadonlyMap<string, AgentFunction>) {}

  get(name: string): AgentFunction | undefined {
    return this.functions.get(name);
  }

  names(): string[] {
    return [...this.functions.keys()];
  }
}

type FunctionConfig = Config['functions'][string];

type Loaded = { fn: AgentFunction } | { problem: Problem };

/**
 * Loads every configured function when the worker starts, so a typo fails start-up rather than a
 * run. Modules load with `require`: the config loader has already made "./" paths absolute; any
 * other name resolves like a package import from this project. Under tsx (how the worker runs)
 * TypeScript modules load too. Throws one ConfigError listing every problem.
 */
export function loadFunctions(functions: Config['functions']): FunctionRegistry {
  const loaded = new Map<string, AgentFunction>();
  const problems: Problem[] = [];
  for (const [name, config] of Object.entries(functions)) {
    const outcome = loadFunction(name, config);
    if ('fn' in outcome) loaded.set(name, outcome.fn);
    else problems.push(outcome.problem);
  }
  if (problems.length > 0) throw ConfigError.fromProblems('functions', problems);
  return new FunctionRegistry(loaded);
}

function loadFunction(name: string, config: FunctionConfig): Loaded {
  const { module: modulePath, export: exportName } = config;
  let moduleExports: unknown;
  try {
    moduleExports = require(modulePath);
  } catch (error) {
    return problem(name, 'module', `cannot load ${modulePath}: ${firstLine(error)}`);
  }
  const exported = exportsOf(moduleExports);
  if (!(exportName in exported)) {
    const names = Object.keys(exported).filter((key) => typeof exported[key] === 'function').sort();
    const list = names.length > 0 ? names.join(', ') : 'none';
    return problem(name, 'export', `"${exportName}" is not exported by ${modulePath} (exported functions: ${list})`);
  }
  const value = exported[exportName];
  if (typeof value !== 'function') {
    return problem(name, 'export', `"${exportName}" exported by ${modulePath} is ${describe(value)}, not a function`);
  }
  return { fn: value as AgentFunction };
}

function problem(name: string, key: 'module' | 'export', message: string): Loaded {
  return { problem: { path: ['functions', name, key], message } };
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
