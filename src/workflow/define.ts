import { ApplicationFailure, patched, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { FailureTypes } from '../failure-types';
import type { ResolvedCode } from '../spec/code';
import type { PatternType, ResolvedConversation, RunSpec, WorkflowInput } from '../spec/schema';
import { Conversation } from '../../workflows/conversation';
import { Patches, searchAttributes } from '../../workflows/definitions';
import { runToCompletion } from '../../workflows/lifecycle';
import { RunControl } from '../../workflows/run-control';
import { RunContext, type Carried } from './context';
import { markWorkflow } from './mark';

export interface WorkflowOptions {
  /** What the run reports as its pattern (the Run's `pattern`, `McpAgentPattern`); code workflows say `code`. */
  pattern?: PatternType | 'code';
  /**
   * The workflow can be a conversation (contract section 9): a run whose config entry says
   * `conversation: true` (its spec's `conversation`) takes messages, by the `message` signal, the
   * `send_message` Update and `close`, with `run.conversation` and `ToolLoop.turns` to answer them
   * turn by turn; a run of an entry without it answers its input alone. An entry with
   * `conversation: true` naming a workflow made without this is refused by the worker.
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
    // Arguments no API start would send (a Temporal client's own start) would otherwise throw a
    // TypeError below, before runToCompletion could fail the run: the workflow task would fail and
    // be retried forever while the run looked running. The run fails at once instead.
    const problems = argumentProblems(args, options);
    if (problems.length > 0) {
      // Runs that failed here before the patch recorded no upsert, and must replay without one.
      if (patched(Patches.SearchAttributesOfMalformedRuns)) markMalformedRun(args, options);
      throw ApplicationFailure.create({
        type: FailureTypes.InvalidSpec,
        message:
          `${workflowInfo().workflowType} cannot start: ${problems.join('; ')}. ` +
          'Its argument is {name, spec, input} with the spec resolved from the config: start runs through the API, the CLI or the MCP server.',
        nonRetryable: true,
      });
    }
    // Before any await, so that no early signal finds a handler missing.
    const control = new RunControl(args.name, options.pattern ?? 'code', args.carry?.control, args.spec.budget);
    const conversation = options.conversation
      ? new Conversation(
          conversationOf(args.spec),
          control,
          args.carry?.conversation ? { carry: args.carry.conversation } : { input: args.input },
        )
      : undefined;
    return runToCompletion(control, () => {
      refuseConversationWithoutTurns(args.spec, options);
      return body(new RunContext(args, control, conversation));
    });
  }, options);
}

/** A run's conversation settings: its entry said `conversation: true` (agent, swarm and code entries can). */
function conversationOf(spec: RunSpec): ResolvedConversation | undefined {
  return 'conversation' in spec ? spec.conversation : undefined;
}

/**
 * A spec that says conversation, for a workflow that has no turns to take messages with, would
 * otherwise make a run that answers its input alone and refuses every message: it fails at once,
 * saying why (the worker refuses such a config entry; a run may still come from another worker's
 * config or a Temporal client's own start). Runs from before this check ran as single questions,
 * and replay so.
 */
function refuseConversationWithoutTurns(spec: RunSpec, options: WorkflowOptions): void {
  if (options.conversation || conversationOf(spec) === undefined || !patched(Patches.RefuseConversationWithoutTurns)) return;
  throw ApplicationFailure.create({
    type: FailureTypes.InvalidSpec,
    message:
      `${workflowInfo().workflowType} cannot be a conversation: its spec says conversation: true, but the workflow is not made with ` +
      'workflow(body, { conversation: true }), so it could take no messages. Make it so (and answer them with ToolLoop.turns or run.conversation), ' +
      'or leave conversation: true out of its config entry.',
    nonRetryable: true,
  });
}

/**
 * A run whose argument is malformed fails before RunControl would set its search attributes, and
 * a start from a Temporal client of its own sets none: listings (which require McpAgentWorkflow)
 * and the Web UI's filters would never find it. Without a name it goes by its workflow type, as
 * the Run shows it then.
 */
function markMalformedRun(args: unknown, options: WorkflowOptions): void {
  const info = workflowInfo();
  const name = isObject(args) && typeof args.name === 'string' ? args.name : undefined;
  upsertSearchAttributes([
    { key: searchAttributes.workflow, value: name ?? info.typedSearchAttributes.get(searchAttributes.workflow) ?? info.workflowType },
    { key: searchAttributes.pattern, value: options.pattern ?? 'code' },
    { key: searchAttributes.status, value: 'failed' },
  ]);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** What is wrong with a workflow's argument, in the parts the wrapper reads before the body runs. */
function argumentProblems(args: unknown, options: WorkflowOptions): string[] {
  if (!isObject(args)) return [`its argument is ${args === undefined ? 'missing' : 'not an object'}`];
  const problems: string[] = [];
  if (typeof args.name !== 'string') problems.push(args.name === undefined ? '"name" is missing' : '"name" is not a string');
  const { spec, carry } = args;
  if (!isObject(spec)) problems.push(spec === undefined ? '"spec" is missing' : '"spec" is not an object');
  else {
    if (spec.budget !== undefined && !isObject(spec.budget)) problems.push('"spec.budget" is not an object');
    if (options.conversation && spec.conversation !== undefined && !isObject(spec.conversation)) {
      problems.push('"spec.conversation" is not an object');
    }
  }
  if (carry !== undefined) {
    if (!isObject(carry)) problems.push('"carry" is not an object');
    else {
      for (const key of ['control', 'conversation']) {
        if (carry[key] !== undefined && !isObject(carry[key])) problems.push(`"carry.${key}" is not an object`);
      }
    }
  }
  return problems;
}
