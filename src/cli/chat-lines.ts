/**
 * What a line typed into `mcp-agent chat` means: a message, a slash command, or the answer to an
 * approval request. Pure, so the rules can be read and tested apart from the terminal.
 */

/** The slash commands, with the help line each shows. */
export const slashCommands = {
  close: 'end the conversation: it completes once its turns are answered',
  quit: 'leave, and leave the conversation open (so does Ctrl-D)',
  pause: 'pause the run at its next step boundary',
  resume: 'resume a paused run',
  status: 'show the run',
  history: 'show the whole transcript',
  help: 'this list',
} as const;
export type SlashCommand = keyof typeof slashCommands;

export type ChatLine =
  | { kind: 'blank' }
  | { kind: 'text'; text: string }
  | { kind: 'command'; command: SlashCommand }
  | { kind: 'unknown_command'; name: string };

function isSlashCommand(name: string): name is SlashCommand {
  return Object.prototype.hasOwnProperty.call(slashCommands, name);
}

/** A line that starts with "/" is a command; "//" sends the rest, slash and all, as text. */
export function parseChatLine(line: string): ChatLine {
  const text = line.trim();
  if (text === '') return { kind: 'blank' };
  if (text.startsWith('//')) return { kind: 'text', text: text.slice(1) };
  if (!text.startsWith('/')) return { kind: 'text', text };
  const name = text.slice(1).split(/\s+/)[0].toLowerCase();
  return isSlashCommand(name) ? { kind: 'command', command: name } : { kind: 'unknown_command', name };
}

export function unknownCommandHint(name: string): string {
  const commands = Object.keys(slashCommands).map((command) => `/${command}`);
  return `unknown command /${name}; commands: ${commands.join(' ')} (start a message with // to send a leading /)`;
}

export function chatHelp(): string {
  const width = Math.max(...Object.keys(slashCommands).map((command) => command.length)) + 3;
  return [
    'Type a message and press Enter. While the agent works, what you type waits for its answer;',
    'a slash command acts at once. When a tool call needs approval, answer y or n (and a reason).',
    ...Object.entries(slashCommands).map(([command, help]) => `  ${`/${command}`.padEnd(width)}${help}`),
  ].join('\n');
}

/** An approval request's answer, as `POST /runs/:runId/input` takes it. */
export interface ApprovalAnswer {
  approved: boolean;
  reason?: string;
}

/** `y`, `yes`, `n` or `no` in any case, then an optional reason: `n: not that file`. Undefined for anything else. */
export function parseApproval(line: string): ApprovalAnswer | undefined {
  const match = /^(y|yes|n|no)(?![\p{L}\p{N}_])[\s,:;.!-]*(.*)$/isu.exec(line.trim());
  if (!match) return undefined;
  const reason = match[2].trim();
  return { approved: match[1].toLowerCase().startsWith('y'), ...(reason !== '' && { reason }) };
}

export const APPROVAL_HINT = 'answer y or n, optionally followed by a reason (n: not that file)';

/**
 * An MCP server's question: `decline` or `cancel`, or the content as a JSON object (accepted), or
 * the whole answer `{"action": ..., "content"?: ...}`.
 */
export function parseElicitation(line: string): { action: 'accept' | 'decline' | 'cancel'; content?: unknown } | undefined {
  const text = line.trim();
  if (/^(decline|cancel)$/i.test(text)) return { action: text.toLowerCase() as 'decline' | 'cancel' };
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    return 'action' in parsed ? (parsed as { action: 'accept' }) : { action: 'accept', content: parsed };
  } catch {
    return undefined;
  }
}

export const ELICITATION_HINT = 'answer with the fields as JSON ({"name": "Ada"}), or decline, or cancel';
