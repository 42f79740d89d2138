import readline from 'node:readline';

/**
 * The terminal side of `mcp-agent chat`: lines from stdin (node:readline), text to stdout, and a
 * prompt only when stdin is a person's terminal. Piped, it reads line by line and prints whole
 * lines and nothing else, so scripts and tests can drive it.
 */

export type TerminalInput = { kind: 'line'; line: string } | { kind: 'end'; interrupted: boolean };

export class ChatTerminal {
  private readonly lines: readline.Interface;
  /** A prompt is on screen: output goes above it, and the prompt (with what was typed) is drawn again. */
  private prompting = false;
  /** A prompt taken away by write(), to show again after the next whole line. */
  private promptHidden = false;
  /** The last write() left a line open. */
  private partial = false;
  /** readline resumes stdin to prompt, even once closed, which would keep the process from exiting. */
  private closed = false;

  constructor(
    readonly interactive: boolean,
    onInput: (input: TerminalInput) => void,
  ) {
    this.lines = readline.createInterface({
      input: process.stdin,
      ...(interactive && { output: process.stdout }),
      terminal: interactive,
      crlfDelay: Infinity,
    });
    this.lines.on('line', (line) => {
      this.prompting = false;
      onInput({ kind: 'line', line });
    });
    // Ctrl-D, or the end of piped input.
    this.lines.on('close', () => {
      this.closed = true;
      // What comes next goes below the prompt Ctrl-D was typed at.
      if (this.prompting) process.stdout.write('\n');
      this.prompting = false;
      onInput({ kind: 'end', interrupted: false });
    });
    // Without a listener readline would only pause on Ctrl-C; here it leaves the chat, as /quit does.
    this.lines.on('SIGINT', () => onInput({ kind: 'end', interrupted: true }));
  }

  print(text: string): void {
    if (this.partial) {
      process.stdout.write('\n');
      this.partial = false;
    }
    if (this.prompting) {
      readline.clearLine(process.stdout, 0);
      readline.cursorTo(process.stdout, 0);
    }
    process.stdout.write(`${text}\n`);
    if (this.prompting || this.promptHidden) {
      this.promptHidden = false;
      this.prompting = true;
      this.lines.prompt(true);
    }
  }

  /**
   * Text that is not a whole line (a reply being written): the prompt goes away meanwhile and
   * comes back under the next whole line printed.
   */
  write(text: string): void {
    if (this.prompting) {
      readline.clearLine(process.stdout, 0);
      readline.cursorTo(process.stdout, 0);
      this.prompting = false;
      this.promptHidden = true;
    }
    process.stdout.write(text);
    this.partial = !text.endsWith('\n');
  }

  /** Shows `text` as the prompt (interactive only); undefined takes it away. */
  prompt(text: string | undefined): void {
    if (!this.interactive || this.closed) return;
    this.promptHidden = false;
    if (this.partial) {
      process.stdout.write('\n');
      this.partial = false;
    }
    if (text === undefined) {
      if (this.prompting) {
        readline.clearLine(process.stdout, 0);
        readline.cursorTo(process.stdout, 0);
      }
      this.prompting = false;
      return;
    }
    this.lines.setPrompt(text);
    this.lines.prompt(true);
    this.prompting = true;
  }

  close(): void {
    this.lines.close();
  }
}
