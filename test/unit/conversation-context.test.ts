import { contextView, EARLIER_LEFT_OUT, stubText } from '../../src/conversation/context';
import type { LoggedMessage } from '../../src/conversation/entry';
import { coveredMessages, messagesAfter, summaryCut, summaryRequestText, systemWithSummary } from '../../src/conversation/summary';
import { messageTokens, messagesTokens } from '../../src/conversation/tokens';

/** What the model is sent of a long conversation, under each strategy, and where a summary may end. */

const user = (turn: number, content: string): LoggedMessage => ({ role: 'user', content, turn });
const answer = (turn: number, content: string): LoggedMessage => ({ role: 'assistant', content, toolCalls: [], turn });
const call = (turn: number, id: string): LoggedMessage => ({
  role: 'assistant',
  content: '',
  toolCalls: [{ id, name: 'docs-search', arguments: { q: id } }],
  turn,
});
const result = (turn: number, id: string, chars: number): Extract<LoggedMessage, { role: 'tool' }> => ({
  role: 'tool',
  toolCallId: id,
  name: 'docs-search',
  content: 'r'.repeat(chars),
  isError: false,
  turn,
});

/** Three earlier turns with a 4000-character tool result each, then a fourth turn in progress. */
function longConversation(): LoggedMessage[] {
  const messages: LoggedMessage[] = [];
  for (let turn = 1; turn <= 3; turn++) {
    messages.push(user(turn, `question ${turn}`), call(turn, `c${turn}`), result(turn, `c${turn}`, 4000), answer(turn, `answer ${turn}`));
  }
  messages.push(user(4, 'question 4'), call(4, 'c4'), result(4, 'c4', 4000));
  return messages;
}

test('within budget, or with no budget, the model is sent everything', () => {
  const messages = longConversation();
  expect(contextView(messages, 100).messages).toBe(messages);
  const roomy = contextView(messages, 100, { max_tokens: 100_000, strategy: 'drop_oldest' });
  expect(roomy).toMatchObject({ messages, dropped: 0, stubbed: 0, tokens: 100 + messagesTokens(messages) });
});

test('drop_oldest leaves out whole earlier turns, oldest first, and keeps the current turn whole', () => {
  const messages = longConversation();
  const view = contextView(messages, 100, { max_tokens: 1500, strategy: 'drop_oldest' });
  expect(view.messages.map((m) => `${m.turn}:${m.role}`)).toEqual(['4:user', '4:assistant', '4:tool']);
  expect(view.dropped).toBe(12);
  expect(view.tokens).toBeLessThanOrEqual(1500);
  expect(view.fullTokens).toBe(100 + messagesTokens(messages));

  const roomier = contextView(messages, 100, { max_tokens: 2600, strategy: 'drop_oldest' });
  expect(roomier.messages[0]).toEqual(user(3, 'question 3'));
  expect(roomier.dropped).toBe(8);
});

test('stub_tool_results shortens old tool results first, keeps the latest step whole, then drops if still too much', () => {
  const messages = longConversation();
  const view = contextView(messages, 100, { max_tokens: 1400, strategy: 'stub_tool_results' });
  expect(view.stubbed).toBe(3);
  expect(view.dropped).toBe(0);
  expect(view.messages.filter((m) => m.role === 'tool').map((m) => m.content)).toEqual([
    stubText(4000),
    stubText(4000),
    stubText(4000),
    'r'.repeat(4000),
  ]);
  // Stubs keep their call ids, so every call still has its answer.
  expect(view.messages[2]).toMatchObject({ role: 'tool', toolCallId: 'c1' });

  const tight = contextView(messages, 100, { max_tokens: 1050, strategy: 'stub_tool_results' });
  expect(tight.stubbed).toBe(3);
  expect(tight.dropped).toBeGreaterThan(0);
  expect(tight.messages.at(-1)).toEqual(result(4, 'c4', 4000));
});

test('within one long turn the oldest steps go, never the question or the latest step', () => {
  const messages: LoggedMessage[] = [user(1, 'research this')];
  for (let step = 1; step <= 5; step++) messages.push(call(1, `s${step}`), result(1, `s${step}`, 2000));
  const view = contextView(messages, 0, { max_tokens: 1200, strategy: 'drop_oldest' });
  expect(view.messages[0]).toEqual(user(1, 'research this'));
  expect(view.messages.slice(-2)).toEqual(messages.slice(-2));
  expect(view.messages.filter((m) => m.role === 'tool')).toHaveLength(2);
});

test('a view that would start with the model speaking gets a stand-in user message', () => {
  const view = contextView([answer(2, 'where were we'), user(3, 'go on')], 0);
  expect(view.messages[0]).toEqual(user(2, EARLIER_LEFT_OUT));
});

test('a stored tool result counts at its whole size, not its preview', () => {
  const stored: LoggedMessage = { ...result(1, 'x', 10), stored: { key: 'text/abc', bytes: 40_000 } };
  expect(messageTokens(stored)).toBe(10_000 + 4);
});

describe('summaries', () => {
  const chain = [
    { messages: [user(1, 'q1'), call(1, 'a')] },
    { messages: [result(1, 'a', 400), answer(1, 'a1')] },
    { messages: [user(2, 'q2'), call(2, 'b')] },
    { messages: [result(2, 'b', 400), answer(2, 'a2')] },
    { messages: [user(3, 'q3'), answer(3, 'a3')] },
  ];

  test('a summary ends at the end of a turn, early enough to leave the recent part outside it', () => {
    // Only the last entry fits in 50 tokens; the entry before it ends turn 2.
    expect(summaryCut(chain, 0, 50)).toBe(3);
    // Everything after entry 1 fits in a roomy budget: the summary may end after turn 1.
    expect(summaryCut(chain, 0, 10_000)).toBe(1);
    // Nothing new since the last summary.
    expect(summaryCut(chain, 5, 50)).toBeUndefined();
  });

  test('a summary never ends where tool results follow, stored or still pending', () => {
    const midTurn = chain.slice(0, 3);
    // The last entry's call is answered by a pending result: the summary ends at turn 1 instead.
    expect(summaryCut(midTurn, 0, 50, { tokens: 1000, startsWithTool: true })).toBe(1);
    expect(summaryCut(midTurn, 0, 50, { tokens: 1000, startsWithTool: false })).toBe(2);
    // Entry 0 is followed by its tool result in entry 1: never a place to end.
    expect(summaryCut(midTurn.slice(0, 2), 0, 10_000, { tokens: 0, startsWithTool: true })).toBeUndefined();
  });

  test('what a summary covers and what is sent beside it never split a call from its result', () => {
    expect(coveredMessages(chain, 0, 0).map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(messagesAfter(chain, 0).map((m) => m.role)).toEqual(['assistant', 'user', 'assistant', 'tool', 'assistant', 'user', 'assistant']);
    expect(messagesAfter(chain, 1)[0]).toEqual(user(2, 'q2'));
    expect(messagesAfter(chain, -1)).toHaveLength(10);
  });

  test('the request quotes the summary so far, and the summary rides in the system prompt', () => {
    const text = summaryRequestText('Ada wants a refund.', [user(2, 'for order 7'), call(2, 'x'), result(2, 'x', 5)]);
    expect(text).toContain('The summary so far:\nAda wants a refund.');
    expect(text).toContain('User: for order 7');
    expect(text).toContain('[calls docs-search({"q":"x"})]');
    expect(text).toContain('Tool docs-search: rrrrr');
    expect(systemWithSummary('You help.', 'Ada wants a refund.')).toBe(
      'You help.\n\nSummary of the conversation so far (earlier messages are not shown):\nAda wants a refund.',
    );
  });
});
