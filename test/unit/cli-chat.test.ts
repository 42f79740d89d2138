import { APPROVAL_HINT, chatHelp, parseApproval, parseChatLine, parseElicitation, slashCommands, unknownCommandHint } from '../../src/cli/chat-lines';
import { comeBackHint, formatAnswer, formatFailedTurn, formatInterrupted, formatTranscriptMessage } from '../../src/cli/format-chat';

describe('parseChatLine', () => {
  it('reads text as a message, trimmed, and skips blank lines', () => {
    expect(parseChatLine('  add 2 and 3 ')).toEqual({ kind: 'text', text: 'add 2 and 3' });
    expect(parseChatLine('{"a": 1}')).toEqual({ kind: 'text', text: '{"a": 1}' });
    expect(parseChatLine('   ')).toEqual({ kind: 'blank' });
    expect(parseChatLine('')).toEqual({ kind: 'blank' });
  });

  it('reads every slash command, in any case and with words after it', () => {
    for (const command of Object.keys(slashCommands)) expect(parseChatLine(`/${command}`)).toEqual({ kind: 'command', command });
    expect(parseChatLine(' /CLOSE now')).toEqual({ kind: 'command', command: 'close' });
  });

  it('tells unknown commands apart, and sends a line that starts with // as text with one slash', () => {
    expect(parseChatLine('/exit')).toEqual({ kind: 'unknown_command', name: 'exit' });
    expect(parseChatLine('/')).toEqual({ kind: 'unknown_command', name: '' });
    expect(parseChatLine('//etc/hosts is what?')).toEqual({ kind: 'text', text: '/etc/hosts is what?' });
    expect(unknownCommandHint('exit')).toBe(
      'unknown command /exit; commands: /close /quit /pause /resume /status /history /help (start a message with // to send a leading /)',
    );
  });

  it('lists every command in the help, one a line', () => {
    const help = chatHelp().split('\n');
    for (const [command, text] of Object.entries(slashCommands)) {
      expect(help).toContainEqual(expect.stringMatching(new RegExp(`^  /${command} +${text.replace(/[()]/g, '\\$&')}$`)));
    }
  });
});

describe('parseApproval', () => {
  it('approves with y or yes and denies with n or no, in any case', () => {
    for (const yes of ['y', 'Y', 'yes', 'YES ', ' Yes']) expect(parseApproval(yes)).toEqual({ approved: true });
    for (const no of ['n', 'N', 'no', 'No']) expect(parseApproval(no)).toEqual({ approved: false });
  });

  it('takes the rest of the line as the reason', () => {
    expect(parseApproval('n not that file')).toEqual({ approved: false, reason: 'not that file' });
    expect(parseApproval('no: too risky')).toEqual({ approved: false, reason: 'too risky' });
    expect(parseApproval('y, go ahead')).toEqual({ approved: true, reason: 'go ahead' });
    expect(parseApproval('yes - fine by me')).toEqual({ approved: true, reason: 'fine by me' });
  });

  it('refuses anything else, including words that only start like an answer', () => {
    for (const other of ['', 'maybe', 'yesterday', 'nope', 'never', 'ok', '1']) expect(parseApproval(other)).toBeUndefined();
    expect(APPROVAL_HINT).toContain('y or n');
  });
});

describe('chat output', () => {
  it('labels answers so they stand apart from event lines, later lines indented under the first', () => {
    expect(formatAnswer('The sum is 5.')).toBe('assistant: The sum is 5.');
    expect(formatAnswer('one\ntwo')).toBe('assistant: one\n           two');
    expect(formatAnswer('')).toBe('assistant: (no text)');
    expect(formatAnswer('partial', 'max_iterations')).toBe('assistant: partial\n(the turn stopped at max_iterations before a final answer)');
    expect(formatInterrupted(3)).toBe('(turn 3 was interrupted by a newer message)');
    expect(formatFailedTurn(4, 'openai 400: too long')).toBe('(turn 4 failed: openai 400: too long; the conversation goes on with your next message)');
  });

  it('shows the transcript a message a line, tool calls and results cut to one line, and why a turn got no answer', () => {
    expect(formatTranscriptMessage({ turn: 1, role: 'user', text: 'Hi,\nI am Ada.' })).toBe('[1] user: Hi,\n          I am Ada.');
    expect(formatTranscriptMessage({ turn: 1, role: 'assistant', text: 'Hello Ada.' })).toBe('[1] assistant: Hello Ada.');
    expect(
      formatTranscriptMessage({
        turn: 2,
        role: 'assistant',
        text: '',
        toolCalls: [
          { id: 'c1', name: 'fixture-add', arguments: { a: 2, b: 3 } },
          { id: 'c2', name: 'fixture-echo', arguments: {} },
        ],
      }),
    ).toBe('[2] assistant calls fixture-add {"a":2,"b":3}\n[2] assistant calls fixture-echo {}');
    expect(formatTranscriptMessage({ turn: 2, role: 'tool', text: '5\n', tool: 'fixture-add', toolCallId: 'c1', isError: false })).toBe('[2] tool fixture-add: 5');
    expect(formatTranscriptMessage({ turn: 2, role: 'tool', text: 'x'.repeat(500), tool: 'fixture-echo', isError: true })).toBe(
      `[2] tool fixture-echo (error): ${'x'.repeat(199)}…`,
    );
    expect(formatTranscriptMessage({ turn: 3, role: 'assistant', text: '' })).toBe('[3] assistant: (no text)');
    expect(
      formatTranscriptMessage({ turn: 4, role: 'user', text: 'too much', outcome: 'failed', error: { code: 'provider_request_rejected', message: 'too long' } }),
    ).toBe('[4] user: too much\n[4] (the turn failed: too long)');
    expect(formatTranscriptMessage({ turn: 5, role: 'user', text: 'slow', outcome: 'interrupted' })).toBe('[5] user: slow\n[5] (the turn was interrupted by a newer message)');
  });

  it('says how to come back to a conversation, quoting an id the shell would split', () => {
    expect(comeBackHint('talk-1')).toBe('npx mcp-agent chat talk-1');
    expect(comeBackHint('my run')).toBe(`npx mcp-agent chat 'my run'`);
  });
});

describe('parseElicitation', () => {
  it('takes decline, cancel, the content as JSON, or the whole answer', () => {
    expect(parseElicitation(' Decline ')).toEqual({ action: 'decline' });
    expect(parseElicitation('cancel')).toEqual({ action: 'cancel' });
    expect(parseElicitation('{"name": "Ada"}')).toEqual({ action: 'accept', content: { name: 'Ada' } });
    expect(parseElicitation('{"action": "accept", "content": {"age": 3}}')).toEqual({ action: 'accept', content: { age: 3 } });
  });

  it('leaves anything else for a hint', () => {
    for (const line of ['Ada', '[1]', '"x"', 'nope']) expect(parseElicitation(line)).toBeUndefined();
  });
});
