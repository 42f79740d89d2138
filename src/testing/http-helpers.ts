import type { IncomingMessage, ServerResponse } from 'node:http';

/** Small HTTP pieces the scripted servers share. */

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function parseBody(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** False when the client hung up first: an aborted request must not keep the test waiting. */
export function waitUnlessClosed(ms: number, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(true);
    }, ms);
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    res.once('close', onClose);
  });
}

/** What a scripted server received, per model, with a way to wait for the n-th request. */
export class RequestLog<T extends { model: string }> {
  private readonly received: T[] = [];
  private readonly waiters: { model: string; n: number; resolve: (request: T) => void }[] = [];

  record(request: T): void {
    this.received.push(request);
    const count = this.requests(request.model).length;
    for (const waiter of this.waiters.filter((w) => w.model === request.model && w.n === count)) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(request);
    }
  }

  requests(model?: string): T[] {
    return model === undefined ? [...this.received] : this.received.filter((r) => r.model === model);
  }

  /** Resolves with the n-th (1-based) request for the model once it has arrived. */
  waitForRequest(model: string, n = 1): Promise<T> {
    const already = this.requests(model)[n - 1];
    if (already) return Promise.resolve(already);
    return new Promise((resolve) => this.waiters.push({ model, n, resolve }));
  }
}
