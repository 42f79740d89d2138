import { readSse, SseParser, type SseEvent } from '../../src/cli/sse';
import { streamedEvent } from '../../src/cli/follow';

function parseAll(chunks: string[]): SseEvent[] {
  const parser = new SseParser();
  return [...chunks.flatMap((chunk) => parser.push(chunk)), ...parser.end()];
}

describe('SseParser', () => {
  it('reads named events with ids and JSON data', () => {
    const stream = 'id: 0-5\nevent: llm_started\ndata: {"turn":1}\n\nid: 0-9\nevent: completed\ndata: {"text":"hi"}\n\n';
    expect(parseAll([stream])).toEqual([
      { event: 'llm_started', data: '{"turn":1}', id: '0-5' },
      { event: 'completed', data: '{"text":"hi"}', id: '0-9' },
    ]);
  });

  it('joins data lines with newlines and calls an unnamed event "message"', () => {
    expect(parseAll(['data: first\ndata: second\n\n'])).toEqual([{ event: 'message', data: 'first\nsecond' }]);
  });

  it('finds events however the chunks cut the stream, CRLF included', () => {
    const stream = 'event: paused\r\ndata: {}\r\n\r\nevent: resumed\rdata: {}\r\r';
    const whole = parseAll([stream]);
    expect(whole).toEqual([
      { event: 'paused', data: '{}' },
      { event: 'resumed', data: '{}' },
    ]);
    for (let cut = 1; cut < stream.length; cut++) {
      expect(parseAll([stream.slice(0, cut), stream.slice(cut)])).toEqual(whole);
    }
    expect(parseAll([...stream])).toEqual(whole);
  });

  it('ignores comments (keep-alives), unknown fields and events without data', () => {
    expect(parseAll([': keep-alive\n\nretry: 3000\nfoo: bar\n\nevent: nothing\n\ndata: x\n\n'])).toEqual([{ event: 'message', data: 'x' }]);
  });

  it('keeps the last id for later events, as a reconnect would send it', () => {
    expect(parseAll(['id: 7\ndata: a\n\ndata: b\n\n'])).toEqual([
      { event: 'message', data: 'a', id: '7' },
      { event: 'message', data: 'b', id: '7' },
    ]);
  });

  it('takes a value without its one leading space, and a field without a colon as empty', () => {
    expect(parseAll(['data:  two spaces\ndata\n\n'])).toEqual([{ event: 'message', data: ' two spaces\n' }]);
  });

  it('drops an event the stream ended before finishing, and a leading byte order mark', () => {
    expect(parseAll(['\uFEFFdata: done\n\ndata: cut off'])).toEqual([{ event: 'message', data: 'done' }]);
  });
});

describe('readSse', () => {
  it('decodes UTF-8 split across chunks', async () => {
    const bytes = new TextEncoder().encode('event: completed\ndata: {"text":"café ✓"}\n\n');
    async function* chunks() {
      for (let i = 0; i < bytes.length; i += 3) yield bytes.slice(i, i + 3);
    }
    const events: SseEvent[] = [];
    for await (const event of readSse(chunks())) events.push(event);
    expect(events).toEqual([{ event: 'completed', data: '{"text":"café ✓"}' }]);
  });
});

describe('streamedEvent', () => {
  it('reads a RunEvent from the data line and keeps the text for --json', () => {
    const json = '{"id":"0-5","type":"llm_started","at":"2025-01-01T00:00:00.000Z","data":{"turn":1,"model":"m"}}';
    expect(streamedEvent({ event: 'llm_started', data: json, id: '0-5' })).toEqual({
      name: 'llm_started',
      id: '0-5',
      at: '2025-01-01T00:00:00.000Z',
      data: { turn: 1, model: 'm' },
      json,
    });
  });

  it('still shows data that is not a RunEvent', () => {
    expect(streamedEvent({ event: 'note', data: 'plain words' })).toEqual({ name: 'note', data: { text: 'plain words' }, json: 'plain words' });
    expect(streamedEvent({ event: 'flat', data: '{"turn":2}' }).data).toEqual({ turn: 2 });
    expect(streamedEvent({ event: 'list', data: '[1]' }).data).toEqual({ value: [1] });
  });
});
