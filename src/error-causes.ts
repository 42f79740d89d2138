/**
 * An error and the errors it wraps, outermost first: Temporal's and the SDKs' failures arrive
 * wrapped (ServiceError → cause, McpConnectionError → transport error), and any link may be the one
 * that says what happened. Bounded, in case a chain loops.
 */
export function* errorChain(error: unknown, maxDepth = 10): Generator<Error> {
  for (let current = error, depth = 0; current instanceof Error && depth < maxDepth; current = current.cause, depth++) yield current;
}
