/**
 * A model call's HTTP request gives up this long before its activity attempt does, so that the
 * provider's own "timed out" error (readable, and retried) ends the attempt, not Temporal's.
 */
export const REQUEST_TIMEOUT_MARGIN_MS = 5000;

/** The HTTP timeout of a model call whose activity attempt may take `startToCloseMs`. */
export function requestTimeoutMs(startToCloseMs: number | undefined): number {
  if (!startToCloseMs) return 10 * 60 * 1000;
  return Math.max(1000, startToCloseMs - REQUEST_TIMEOUT_MARGIN_MS);
}
