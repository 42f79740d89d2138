import type { ResolvedCode } from '../spec/code';
import type { PatternType, ResolvedLoop, RunSpec, WorkflowInput } from '../spec/schema';
import { Conversation } from '../../workflows/conversation';
import { runToCompletion } from '../../workflows/lifecycle';
import { RunControl } from '../../workflows/run-control';
import { RunContext, type Carried } from './context';
import { markWorkflow } from './mark';

export interface WorkflowOptions {
  /** What the run reports as its pattern (the Run's `pattern`, `McpAgentPattern`); code workflows say `code`. */
  pattern?: PatternType | 'code';
  /**
   * The run takes messages (contract section 9) when its spec's `conversation` says so: the
   * `message` signal, the `send_message` Update and `close`, with `run.conversation` and
   * `ToolLoop.turns` to answer them turn by turn.
   */
  conversation?: boolean;
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
export function workflow<Input = unknown, Output = unknown, Spec extends RunSpec = ResolvedCode, State = unknown>(
  body: (run: RunContext<Input, Spec, State>) => Promise<Output>,
  options: WorkflowOptions = {},
): (args: WorkflowInput<Spec> & { carry?: Carried<State> }) => Promise<Output> {
  // Marked, so that a worker refuses a `type: code` entry naming a plain function (worker/code-workflows.ts).
  return markWorkflow(async (args: WorkflowInput<Spec> & { carry?: Carried<State> }) => {
    // Before any await, so that no early signal finds a handler missing.
    const control = new RunControl(args.name, options.pattern ?? 'code', args.carry?.control, args.spec.budget);
    const conversation = options.conversation
      ? new Conversation(
          (args.spec as ResolvedLoop).conversation,
          control,
          args.carry?.conversation ? { carry: args.carry.conversation } : { input: args.input },
        )
      : undefined;
    return runToCompletion(control, () => body(new RunContext(args, control, conversation)));
  });
}
