import { once } from 'node:events';
import type { ServerResponse } from 'node:http';

/** Writing Server-Sent Events (text/event-stream) to a raw Node response. */

export interface SseMessage {
  id?: string;
  event?: string;
  /** Sent as JSON on one `data:` line (JSON.stringify escapes every line break). */
  data: unknown;
}

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  // Proxies such as nginx would otherwise hold events back in their buffers.
  'x-accel-buffering': 'no',
} as const;

export function formatSseMessage(message: SseMessage): string {
  const lines = [];
  if (message.id !== undefined) lines.push(`id: ${message.id}`);
  if (message.event !== undefined) lines.push(`event: ${message.event}`);
  lines.push(`data: ${JSON.stringify(message.data)}`);
  return `${lines.join('\n')}\n\n`;
}

/** A comment line: clients ignore it, proxies and load balancers see a live connection. */
export function formatSseComment(text: string): string {
  return `: ${text}\n\n`;
}

/** Writes, waiting for the socket to drain when its buffer is full; the signal ends the wait. */
export async function writeSse(response: ServerResponse, chunk: string, signal: AbortSignal): Promise<void> {
  if (response.write(chunk)) return;
  await once(response, 'drain', { signal });
}
