import type { ResolvedCode } from '../spec/code';
import type { WorkflowInput } from '../spec/schema';
import { runToCompletion } from '../../workflows/lifecycle';
import { RunControl } from '../../workflows/run-control';
import { RunContext } from './context';

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
export function workflow<Input = unknown, Output = unknown>(
  body: (run: RunContext<Input>) => Promise<Output>,
): (args: WorkflowInput<ResolvedCode>) => Promise<Output> {
  return async (args) => {
    // Before any await, so that no early signal finds a handler missing.
    const control = new RunControl(args.name, 'code');
    return runToCompletion(control, () => body(new RunContext(args.input as Input, args.name, control)));
  };
}
