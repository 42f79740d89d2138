/** How much of a long text history, events and markers keep for people to read. Pure. */
export const PREVIEW_CHARS = 240;

export function preview(text: string, max = PREVIEW_CHARS): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
