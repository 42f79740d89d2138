import type { TranscriptMessage } from '../../client/transcripts';
import { oneLine, shellWord } from './format';

/**
 * What `mcp-agent chat` prints beside event lines: the agent's answers, the transcript, and how to
 * come back. Answers start with `assistant:` and event lines with a clock time, so the two stay
 * apart even when piped. Pure.
 */

const TOOL_RESULT_PREVIEW = 200;

/** A labelled text whose later lines line up under its first. */
function labelled(label: string, text: string): string {
  const indent = ' '.repeat(label.length + 2);
  return `${label}: ${text.split('\n').join(`\n${indent}`)}`;
}

export const MAX_ITERATIONS_NOTE = '(the turn stopped at max_iterations before a final answer)';

/** A turn's answer; a turn the model did not finish in `max_iterations` says so. */
export function formatAnswer(text: string, outcome?: string): string {
  const answer = labelled('assistant', text === '' ? '(no text)' : text);
  return outcome === 'max_iterations' ? `${answer}\n${MAX_ITERATIONS_NOTE}` : answer;
}

export function formatInterrupted(turn: number): string {
  return `(turn ${turn} was interrupted by a newer message)`;
}

export function formatFailedTurn(turn: number, why: string): string {
  return `(turn ${turn} failed${why ? `: ${why}` : ''}; the conversation goes on with your next message)`;
}

/**
 * One transcript message for `/history`: `[2] user: ...`; tool results are cut to one line. A user
 * message whose turn got no answer says why, since no answer follows it.
 */
export function formatTranscriptMessage(message: TranscriptMessage): string {
  const turn = `[${message.turn}]`;
  switch (message.role) {
    case 'user': {
      const text = labelled(`${turn} user`, message.text);
      return message.outcome ? `${text}\n${turn} ${unansweredNote(message.outcome, message.error?.message)}` : text;
    }
    case 'assistant': {
      const lines = message.text !== '' ? [labelled(`${turn} assistant`, message.text)] : [];
      for (const call of message.toolCalls ?? []) lines.push(`${turn} assistant calls ${call.name} ${oneLine(call.arguments, TOOL_RESULT_PREVIEW)}`);
      return lines.length > 0 ? lines.join('\n') : `${turn} assistant: (no text)`;
    }
    case 'tool':
      return `${turn} tool ${message.tool ?? ''}${message.isError ? ' (error)' : ''}: ${oneLine(message.text, TOOL_RESULT_PREVIEW)}`;
  }
}

function unansweredNote(outcome: 'failed' | 'interrupted', why = ''): string {
  if (outcome === 'interrupted') return '(the turn was interrupted by a newer message)';
  return `(the turn failed${why ? `: ${oneLine(why, TOOL_RESULT_PREVIEW)}` : ''})`;
}

export function comeBackHint(runId: string): string {
  return `npx mcp-agent chat ${shellWord(runId)}`;
}
