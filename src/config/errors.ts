import { formatProblem, type Problem } from './problems';
import { closestName } from './suggest';

/** The config file (or the environment) is unusable; start-up stops with every problem listed. */
export class ConfigError extends Error {
  readonly code = 'invalid_config';
  /** One line per problem, `key.path: what is wrong`. */
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[]) {
    super(`Invalid configuration (${source}):\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }

  static fromProblems(source: string, problems: readonly Problem[]): ConfigError {
    return new ConfigError(source, problems.map(formatProblem));
  }
}

/** A run names neither a config workflow nor a pattern type (the API answers 404). */
export class UnknownWorkflowError extends Error {
  readonly code = 'workflow_not_found';

  /** `known`: the names that would have been found (the config's workflows, the pattern types), for a suggestion. */
  constructor(
    readonly workflowName: string,
    known: Iterable<string> = [],
  ) {
    const meant = closestName(workflowName, known);
    super(`No workflow or pattern type is named "${workflowName}".${meant ? ` Did you mean "${meant}"?` : ''}`);
    this.name = 'UnknownWorkflowError';
  }
}

/** A spec that cannot run: malformed, or naming agents or servers that do not exist (the API answers 400). */
export class SpecError extends Error {
  readonly code = 'invalid_spec';
  /** One line per problem, `spec.agent.servers[0]: unknown MCP server "x"`. */
  readonly problems: readonly string[];

  constructor(problems: readonly Problem[]) {
    const lines = problems.map(formatProblem);
    super(`Invalid spec: ${lines.join('; ')}`);
    this.name = 'SpecError';
    this.problems = lines;
  }
}

/** A code workflow's input that does not match its input_schema (the API answers 400 invalid_input). */
export class InvalidInputError extends Error {
  readonly code = 'invalid_input';
  /** One line per problem, `input.priority: too small: expected number to be >=1`. */
  readonly problems: readonly string[];

  constructor(workflowName: string, problems: readonly Problem[]) {
    const lines = problems.map(formatProblem);
    super(`The input does not match the input_schema of "${workflowName}": ${lines.join('; ')}`);
    this.name = 'InvalidInputError';
    this.problems = lines;
  }
}
