/**
 * How a worker tells a workflow made with `workflow()` (define.ts) from any other function a
 * `type: code` entry might name: a non-enumerable property under a registered symbol. The worker
 * checks it in Node, on the module as `require` loads it, outside the bundle; `Symbol.for` is the
 * same symbol in every copy of this module (the bundle's, the checkout's, an installed package's)
 * and deterministic in the workflow sandbox, where the marking runs too. No imports: both sides
 * load it.
 */
export const WORKFLOW_MARK = Symbol.for('mcp-agent-temporal.workflow');

/**
 * A workflow made with `{conversation: true}`: only its runs can take messages, so a worker refuses
 * a config entry with `conversation: true` that names any other. A mark of its own, so that a
 * workflow marked by a copy of this package from before it still reads as a workflow.
 */
export const CONVERSATION_MARK = Symbol.for('mcp-agent-temporal.workflow.conversation');

/** Marks `fn` as made by `workflow()`; it stays callable and its own keys stay as they were. */
export function markWorkflow<F extends (...args: never[]) => unknown>(fn: F, options: { conversation?: boolean } = {}): F {
  Object.defineProperty(fn, WORKFLOW_MARK, { value: true });
  if (options.conversation) Object.defineProperty(fn, CONVERSATION_MARK, { value: true });
  return fn;
}

/** Whether `fn` was made by `workflow(body, {conversation: true})`. */
export function takesMessages(fn: unknown): boolean {
  return isMarkedWorkflow(fn) && (fn as unknown as Record<symbol, unknown>)[CONVERSATION_MARK] === true;
}

/** Whether `fn` was made by `workflow()` (of any copy of this package). */
export function isMarkedWorkflow(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as unknown as Record<symbol, unknown>)[WORKFLOW_MARK] === true;
}
