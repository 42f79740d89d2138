/**
 * How the worker calls a function named under `functions:` in the config.
 *
 * A function is `(args, context) => value` (or a promise of one), exported by name from its module:
 *
 *   export async function lookupOrder(args: Record<string, unknown>, context: FunctionContext) {
 *     context.contextVariables.last_order = args.id;   // swarm context variables, kept for later turns
 *     if (args.refund) context.transferTo('refunds');   // hand the conversation to another swarm agent
 *     return { id: args.id, status: 'shipped' };
 *   }
 *
 * - `args` is the JSON object a model's tool call passed; a function run as a node (a router's
 *   route, a parallel branch, an orchestrator's step, `run.node({ function }).call(x)`) gets
 *   `{ input: x }`, its input wrapped so that `args` is an object whatever the input is.
 * - `context.contextVariables` is a copy of the run's swarm context variables: read and change it
 *   freely (or assign a new object); what it holds when the function returns is kept. A function that
 *   throws leaves the run's variables as they were.
 * - `context.transferTo(agent)` hands the conversation to another swarm agent once the function
 *   returns; the last call wins.
 * - `context.signal` aborts when the run is cancelled; pass it to fetch and the like.
 * - The return value must survive JSON (plain objects, arrays, strings, finite numbers, booleans,
 *   null); `undefined` becomes null. The result goes into workflow history, so keep it small.
 * - A thrown error is an answer for the caller (`isError`), like an MCP tool's error, not a failure
 *   Temporal retries. To ask for a retry on purpose, throw an `ApplicationFailure` from
 *   `@temporalio/common`: it fails the activity and Temporal's retry policy applies.
 */

export interface FunctionContext {
  contextVariables: Record<string, unknown>;
  transferTo(agent: string): void;
  signal: AbortSignal;
}

export type AgentFunction = (args: Record<string, unknown>, context: FunctionContext) => unknown;
