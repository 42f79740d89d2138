/**
 * A Server-Sent Events client for tests: fetch, and a parser of the text/event-stream format as
 * the HTML standard defines it (fields, multi-line data, comments, any line ending).
 */

export interface SseEvent {
  id?: string;
  /** `message` when the server named none. */
  event: string;
  data: string;
}

export class SseParser {
  private buffer = '';
  private id?: string;
  private event?: string;
  private data: string[] = [];
  readonly comments: string[] = [];

  /** Takes the next chunk of text; returns the events it completed. */
  feed(text: string): SseEvent[] {
    this.buffer += text;
    const events: SseEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      // A lone \r at the end may be the first half of \r\n.
      if (!match || (match[0] === '\r' && match.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) {
      this.comments.push(line.slice(1).trimStart());
      return undefined;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') this.id = value;
    else if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const event = this.data.length > 0 ? { id: this.id, event: this.event ?? 'message', data: this.data.join('\n') } : undefined;
    this.event = undefined;
    this.data = [];
    return event;
  }
}

export interface SseStream {
  response: Response;
  /** The next event, or undefined once the server has ended the stream. */
  next(): Promise<SseEvent | undefined>;
  /** Every event from here until the server ends the stream. */
  rest(): Promise<SseEvent[]>;
  /** Comment lines seen so far (heartbeats). */
  comments: readonly string[];
  /** Goes away, as a client that disconnects does. */
  close(): void;
}

/** Opens the stream; with a status other than 200 the response is there to read as JSON. */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reader = response.ok && response.body ? response.body.getReader() : undefined;
  const queued: SseEvent[] = [];
  let ended = reader === undefined;

  async function next(): Promise<SseEvent | undefined> {
    while (queued.length === 0 && !ended) {
      const chunk = await reader!.read();
      if (chunk.done) ended = true;
      else queued.push(...parser.feed(decoder.decode(chunk.value, { stream: true })));
    }
    return queued.shift();
  }

  return {
    response,
    next,
    async rest() {
      const events: SseEvent[] = [];
      for (let event = await next(); event; event = await next()) events.push(event);
      return events;
    },
    comments: parser.comments,
    close: () => abort.abort(),
  };
}

export interface ParsedRunEvent {
  id: string;
  type: string;
  data: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- events of many shapes
}

/**
 * A run's events from the API's stream: until `until` says so (then the stream is left), or until
 * the run closes and the server ends it.
 */
export async function collectEvents(
  apiUrl: string,
  runId: string,
  options: { until?: (event: ParsedRunEvent) => boolean } = {},
): Promise<ParsedRunEvent[]> {
  const stream = await openSse(`${apiUrl}/runs/${encodeURIComponent(runId)}/events`);
  if (stream.response.status !== 200) throw new Error(`events of ${runId}: ${stream.response.status}`);
  const events: ParsedRunEvent[] = [];
  try {
    for (let message = await stream.next(); message; message = await stream.next()) {
      const event = JSON.parse(message.data) as ParsedRunEvent;
      events.push(event);
      if (options.until?.(event)) break;
    }
  } finally {
    stream.close();
  }
  return events;
}
