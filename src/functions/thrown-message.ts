/**
 * The message of whatever a function or module threw. Checked by shape, not `instanceof Error`:
 * errors made in another realm (a vm context, a test runner's module loader) are still errors.
 */
export function thrownMessage(thrown: unknown): string {
  if (typeof thrown === 'object' && thrown !== null) {
    const { message, name } = thrown as { message?: unknown; name?: unknown };
    if (typeof message === 'string' && message !== '') return message;
    if (typeof name === 'string' && name !== '') return name;
  }
  return String(thrown);
}
