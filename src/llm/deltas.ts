/**
 * What a streamed model reply says while it is being written: pieces of its text, and pieces of
 * each tool call's arguments (JSON text, which parses only once the call is whole). Best effort
 * and for watching only: the activity's durable result is assembled from the same stream.
 */
export type ReplyDelta =
  | { kind: 'text'; text: string }
  | {
      kind: 'tool_call';
      /** The call's position among the reply's tool calls, from 0. */
      index: number;
      /** Sent with a call's first delta. */
      id?: string;
      name?: string;
      /** The next piece of the arguments' JSON text (may be empty on the first delta). */
      arguments: string;
    };

/** Where a streaming call hands its deltas as they arrive. */
export type DeltaSink = (delta: ReplyDelta) => void;

/**
 * Neighbouring deltas of the same text or the same tool call, merged: a provider's chunks are
 * often a token each, and one message per chunk costs more than it shows.
 */
export function mergeDeltas(deltas: readonly ReplyDelta[]): ReplyDelta[] {
  const merged: ReplyDelta[] = [];
  for (const delta of deltas) {
    const last = merged.at(-1);
    if (last?.kind === 'text' && delta.kind === 'text') {
      merged[merged.length - 1] = { kind: 'text', text: last.text + delta.text };
    } else if (last?.kind === 'tool_call' && delta.kind === 'tool_call' && last.index === delta.index && !delta.id && !delta.name) {
      merged[merged.length - 1] = { ...last, arguments: last.arguments + delta.arguments };
    } else {
      merged.push({ ...delta });
    }
  }
  return merged;
}
