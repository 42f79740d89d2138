/**
 * `llm_delta` events as `watch`, `run --wait` and `chat` show them: the reply being written,
 * inline, on lines of its own under the call's llm_started line. A line says whose reply it is
 * when that is not the watched run (`[finder-1]` for a child) and which tool call's arguments it
 * is (`→ name(`). Pure but for the `write` it is given.
 *
 * Deltas of several calls at once (children of a parallel run) arrive interleaved, a few
 * characters each. Written as they came, each switch started a new line, so every reply was cut
 * into pieces mid-word (`[one-1] alph`, `[two-2] zeta`, `[one-1] a be`). Instead one call has the
 * open line and is written as it streams; the others' text is held until that line ends (the call
 * reaches a newline, the same run moves on to its next call, or any other output comes), then
 * the oldest held call takes the line, its text so far at once and the rest as it streams.
 */

type Data = Record<string, unknown>;

const INDENT = ' '.repeat(10);

/** One call's part (its text, or one tool call's arguments), as a line shows it. */
interface Part {
  key: string;
  runId: unknown;
  /** What the line starts with: the indent, whose it is, and `→ name(` for a tool call. */
  head: string;
  toolCall: boolean;
}

interface Held extends Part {
  text: string;
}

export class DeltaPrinter {
  /** The part the open line shows; undefined: no line is open. */
  private current?: Part;
  /** Parts waiting for the line, oldest first, with their text so far. */
  private readonly held = new Map<string, Held>();
  /** Each run's latest text part, whole so far: what chat compares an answer with. One per run, so it stays small. */
  private readonly lastTexts = new Map<unknown, { key: string; text: string }>();

  constructor(
    private readonly rootRunId: string,
    private readonly write: (text: string) => void,
  ) {}

  /** Shows one delta's data (runId, activityId, attempt, kind, text | index, name, arguments). */
  delta(data: Data): void {
    const part = this.partOf(data);
    const piece = String((part.toolCall ? data.arguments : data.text) ?? '');
    if (!part.toolCall) this.remember(part, piece);
    // A run makes one model call at a time: a new part of the same run means the open one is done.
    if (this.current && this.current.key !== part.key && this.current.runId === part.runId) this.endLine();
    if (!this.current) this.open(this.held.get(part.key) ?? { ...part, text: '' });
    if (this.current!.key !== part.key) {
      const held = this.held.get(part.key) ?? { ...part, text: '' };
      held.text += piece;
      this.held.set(part.key, held);
      return;
    }
    this.writeOpen(piece);
  }

  /** Ends the open line and writes whatever is held, each on a line of its own, before any other output. */
  end(): void {
    this.endLine();
    for (const held of this.held.values()) this.write(`${held.head}${indented(held.text)}${held.toolCall ? ')' : ''}\n`);
    this.held.clear();
  }

  /**
   * Whether a run's latest text part shown since `forget` was `text` (the whitespace around it
   * aside): the answer was seen being written, whole. Deltas are best effort, so one that went
   * missing makes this false, and the answer is then printed after all.
   */
  showed(text: string): boolean {
    const wanted = text.trim();
    return wanted !== '' && [...this.lastTexts.values()].some((shown) => shown.text.trim() === wanted);
  }

  /** Starts over for `showed`: the next answer is compared with what is written from now on. */
  forget(): void {
    this.lastTexts.clear();
  }

  private remember(part: Part, piece: string): void {
    const last = this.lastTexts.get(part.runId);
    if (last?.key === part.key) last.text += piece;
    else this.lastTexts.set(part.runId, { key: part.key, text: piece });
  }

  /** The open part's next piece; at a newline, the line goes to a held part if there is one. */
  private writeOpen(piece: string): void {
    const current = this.current!;
    const newline = piece.lastIndexOf('\n');
    if (current.toolCall || this.held.size === 0 || newline < 0) {
      if (piece) this.write(indented(piece));
      return;
    }
    this.write(indented(piece.slice(0, newline).replace(/\r$/, '')));
    this.endLine();
    const rest = piece.slice(newline + 1);
    if (rest) this.held.set(current.key, { ...current, text: rest });
    const [next] = this.held.values();
    this.open(next);
  }

  /** Gives the line to `part`, with what it has held so far. */
  private open(part: Held): void {
    this.held.delete(part.key);
    this.current = { key: part.key, runId: part.runId, head: part.head, toolCall: part.toolCall };
    this.write(`${part.head}${indented(part.text)}`);
  }

  private endLine(): void {
    if (this.current === undefined) return;
    const closing = this.current.toolCall ? ')' : '';
    this.current = undefined;
    this.write(`${closing}\n`);
  }

  private partOf(data: Data): Part {
    const toolCall = data.kind === 'tool_call';
    const key = [data.runId, data.activityId, data.attempt, toolCall ? 'tool_call' : 'text', toolCall ? data.index : ''].join('|');
    const start = toolCall ? `→ ${typeof data.name === 'string' ? data.name : `call ${String(data.index)}`}(` : '';
    return { key, runId: data.runId, head: `${INDENT}${this.whose(data.runId)}${start}`, toolCall };
  }

  private whose(runId: unknown): string {
    if (typeof runId !== 'string' || runId === this.rootRunId) return '';
    const below = runId.startsWith(`${this.rootRunId}/`) ? runId.slice(this.rootRunId.length + 1) : runId;
    return `[${below}] `;
  }
}

/** Later lines of a reply line up under its first. */
function indented(text: string): string {
  return text.replace(/\r?\n/g, `\n${INDENT}`);
}
