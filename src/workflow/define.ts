import type { ResolvedCode } from '../spec/code';
import type { PatternType, RunSpec, WorkflowInput } from '../spec/schema';
import { runToCompletion } from '../../workflows/lifecycle';
import { RunControl } from '../../workflows/run-control';
import { RunContext } from './context';

export interface WorkflowOptions {
  /** What the run reports as its pattern (the Run's `pattern`, `McpAgentPattern`); code workflows say `code`. */
  pattern?: PatternType | 'code';
}

/**
 * Makes a Temporal workflow of `body`: export the result from a module that a `type: code` config
 * entry names, and the API, the CLI and the MCP server start and steer it as they do the patterns.
 *
 * ```ts
 * export const triage = workflow(async (run: RunContext<{ ticket: string }>) => {
 *   const kind = await run.agent('classifier').generateStructured(run.input.ticket, kindSchema);
 *   return { kind, reply: await run.agent('writer').generate(run.input.ticket) };
 * });
 * ```
 */
export function workflow<Input = unknown, Output = unknown, Spec extends RunSpec = ResolvedCode>(
  body: (run: RunContext<Input, Spec>) => Promise<Output>,
  options: WorkflowOptions = {},
): (args: WorkflowInput<Spec>) => Promise<Output> {
  return async (args) => {
    // Before any await, so that no early signal finds a handler missing.
    const control = new RunControl(args.name, options.pattern ?? 'code', undefined, args.spec.budget);
    return runToCompletion(control, () => body(new RunContext(args, control)));
  };
}
