import { ConfigError } from '../config/errors';
import type { Problem } from '../config/problems';
import type { Config } from '../config/schema';
import { loadExport } from '../config/module-export';
import type { AgentFunction } from './convention';

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

/** Loads every configured function when the worker starts; throws one ConfigError listing every problem. */
export function loadFunctions(functions: Config['functions']): FunctionRegistry {
  const loaded = new Map<string, AgentFunction>();
  const problems: Problem[] = [];
  for (const [name, config] of Object.entries(functions)) {
    const outcome = loadExport(['functions', name], config.module, config.export);
    if ('fn' in outcome) loaded.set(name, outcome.fn as AgentFunction);
    else problems.push(outcome.problem);
  }
  if (problems.length > 0) throw ConfigError.fromProblems('functions', problems);
  return new FunctionRegistry(loaded);
}
