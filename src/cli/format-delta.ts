/**
 * `llm_delta` events as `watch`, `run --wait` and `chat` show them: the reply being written,
 * inline, on lines of its own under the call's llm_started line. A line says whose reply it is
 * when that is not the watched run (`[finder-1]` for a child) and which tool call's arguments it
 * is (`→ name(`). Deltas of several calls at once (children of a parallel run) interleave: each
 * switch starts a new line that says whose it is. Pure but for the `write` it is given.
 */

type Data = Record<string, unknown>;

const INDENT = ' '.repeat(10);

export class DeltaPrinter {
  /** Which call and part the open line shows; undefined: no line is open. */
  private current?: string;

  constructor(
    private readonly rootRunId: string,
    private readonly write: (text: string) => void,
  ) {}

  /** Shows one delta's data (runId, activityId, attempt, kind, text | index, name, arguments). */
  delta(data: Data): void {
    const kind = data.kind === 'tool_call' ? 'tool_call' : 'text';
    const piece = String((kind === 'text' ? data.text : data.arguments) ?? '');
    const key = [data.runId, data.activityId, data.attempt, kind, kind === 'tool_call' ? data.index : ''].join('|');
    if (key !== this.current) {
      this.end();
      this.current = key;
      const whose = this.whose(data.runId);
      const start = kind === 'tool_call' ? `→ ${typeof data.name === 'string' ? data.name : `call ${String(data.index)}`}(` : '';
      this.write(`${INDENT}${whose}${start}`);
    }
    if (piece) this.write(piece.replace(/\r?\n/g, `\n${INDENT}`));
  }

  /** Ends the open line, before any other output. */
  end(): void {
    if (this.current === undefined) return;
    const closing = this.current.includes('|tool_call|') ? ')' : '';
    this.current = undefined;
    this.write(`${closing}\n`);
  }

  private whose(runId: unknown): string {
    if (typeof runId !== 'string' || runId === this.rootRunId) return '';
    const below = runId.startsWith(`${this.rootRunId}/`) ? runId.slice(this.rootRunId.length + 1) : runId;
    return `[${below}] `;
  }
}
