/**
 * Server-Sent Events as the HTML standard defines the stream format: `field: value` lines, an
 * event dispatched at each blank line, lines ending in LF, CRLF or CR. Chunks from the network cut
 * lines (and even a CRLF) anywhere, so the parser keeps what it has not finished reading.
 */

export interface SseEvent {
  /** `event:`; "message" when the server named none. */
  event: string;
  /** Every `data:` line of the event, joined with newlines. */
  data: string;
  /** The last `id:` the stream has set so far, which a reconnect sends as Last-Event-ID. */
  id?: string;
}

export class SseParser {
  private buffer = '';
  private started = false;
  private eventName = '';
  private dataLines: string[] = [];
  private lastEventId: string | undefined;

  /** Feeds a chunk of text; returns the events it completed. */
  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    if (!this.started && this.buffer.length > 0) {
      this.started = true;
      if (this.buffer.startsWith('\uFEFF')) this.buffer = this.buffer.slice(1);
    }
    const events: SseEvent[] = [];
    for (;;) {
      const end = this.buffer.search(/[\r\n]/);
      if (end < 0) break;
      // A CR as the last character may be the first half of a CRLF still on the way.
      if (this.buffer[end] === '\r' && end === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(this.buffer.startsWith('\r\n', end) ? end + 2 : end + 1);
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  /** The stream ended: a trailing lone CR still ends its line; an event without its blank line is dropped, as the standard says. */
  end(): SseEvent[] {
    const events = this.buffer.endsWith('\r') ? this.push('\n') : [];
    this.buffer = '';
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.eventName = value;
    else if (field === 'data') this.dataLines.push(value);
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const name = this.eventName;
    const dataLines = this.dataLines;
    this.eventName = '';
    this.dataLines = [];
    if (dataLines.length === 0) return undefined;
    return {
      event: name || 'message',
      data: dataLines.join('\n'),
      ...(this.lastEventId !== undefined && { id: this.lastEventId }),
    };
  }
}

/** The events of a byte stream (a fetch response body), as they complete. */
export async function* readSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  for await (const chunk of body) yield* parser.push(decoder.decode(chunk, { stream: true }));
  yield* parser.push(decoder.decode());
  yield* parser.end();
}
