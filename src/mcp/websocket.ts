import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type JSONRPCMessage, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { type Dispatcher, getGlobalDispatcher, WebSocket } from 'undici';

/** What the SDK's WebSocketClientTransport asks for, so servers written for it accept us. */
export const MCP_WEBSOCKET_SUBPROTOCOL = 'mcp';

/**
 * The SDK's websocket client transport, on undici's WebSocket rather than the global one: Node 20
 * has the global only behind --experimental-websocket, and undici's is the same implementation.
 * Unlike the SDK's, `send` on a socket that is no longer open fails instead of dropping the
 * message, so the pool sees a lost connection at once rather than when the request times out.
 * `headers` (the server's configured `headers`, e.g. Authorization) go on the opening HTTP request.
 */
export class WebSocketClientTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private socket?: WebSocket;

  constructor(
    private readonly url: URL,
    private readonly headers: Record<string, string> = {},
  ) {}

  start(): Promise<void> {
    if (this.socket) throw new Error('WebSocketClientTransport already started');
    const handshake: Handshake = {};
    const socket = new WebSocket(this.url, {
      protocols: MCP_WEBSOCKET_SUBPROTOCOL,
      headers: this.headers,
      dispatcher: watchingHandshake(handshake),
    });
    this.socket = socket;
    let opened = false;
    return new Promise((resolve, reject) => {
      socket.onopen = () => {
        opened = true;
        resolve();
      };
      socket.onerror = (event) => {
        const error = (event as { error?: unknown }).error;
        let failure: Error;
        if (!opened) failure = openingFailure(this.url, handshake, error);
        else failure = error instanceof Error ? error : new Error(`WebSocket error on ${this.url.href}`);
        reject(failure);
        this.onerror?.(failure);
      };
      socket.onclose = () => this.onclose?.();
      socket.onmessage = (event) => this.receive(event.data);
    });
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.socket?.readyState !== WebSocket.OPEN) throw new Error('WebSocket not connected');
    this.socket.send(JSON.stringify(message));
  }

  async close(): Promise<void> {
    this.socket?.close();
  }

  private receive(data: unknown): void {
    let message: JSONRPCMessage;
    try {
      if (typeof data !== 'string') throw new Error('MCP over WebSocket carries JSON-RPC in text frames only');
      message = JSONRPCMessageSchema.parse(JSON.parse(data));
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.onmessage?.(message);
  }
}

/** What the opening request got back, which undici's WebSocket does not report when it fails. */
interface Handshake {
  status?: number;
  networkError?: Error;
}

/**
 * undici's WebSocket says only "Received network error or non-101 status code." when the opening
 * request fails, so the request goes through the global dispatcher with its answer noted on the way.
 */
function watchingHandshake(handshake: Handshake): Dispatcher {
  return getGlobalDispatcher().compose(
    (dispatch) => (options, handler) => dispatch(options, new HandshakeWatcher(handler, handshake)),
  );
}

/** Passes every callback on to undici's own handler (as itself), noting the status and any error. */
class HandshakeWatcher implements Dispatcher.DispatchHandlers {
  constructor(
    private readonly handler: Dispatcher.DispatchHandlers,
    private readonly handshake: Handshake,
  ) {}

  onConnect(abort: (err?: Error) => void): void {
    this.handler.onConnect?.(abort);
  }

  onError(err: Error): void {
    this.handshake.networkError ??= err;
    this.handler.onError?.(err);
  }

  onUpgrade(statusCode: number, headers: Buffer[] | string[] | null, socket: Duplex): void {
    this.handshake.status = statusCode;
    this.handler.onUpgrade?.(statusCode, headers, socket);
  }

  onResponseStarted(): void {
    this.handler.onResponseStarted?.();
  }

  onHeaders(statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode >= 200) this.handshake.status = statusCode;
    return this.handler.onHeaders?.(statusCode, headers, resume, statusText) ?? true;
  }

  onData(chunk: Buffer): boolean {
    return this.handler.onData?.(chunk) ?? true;
  }

  onComplete(trailers: string[] | null): void {
    this.handler.onComplete?.(trailers);
  }

  onBodySent(chunkSize: number, totalBytesSent: number): void {
    this.handler.onBodySent?.(chunkSize, totalBytesSent);
  }
}

/** Names the server by scheme, host and path: a query string may carry a token. */
function openingFailure(url: URL, handshake: Handshake, error: unknown): Error {
  const { status, networkError } = handshake;
  const where = `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  if (status !== undefined && status !== 101) {
    const http = [`HTTP ${status}`, STATUS_CODES[status]].filter(Boolean).join(' ');
    return new Error(`the server at ${where} refused the websocket connection: ${http}`, { cause: error });
  }
  if (networkError) {
    return new Error(`could not reach ${where}: ${networkError.message}`, { cause: networkError });
  }
  const reason = error instanceof Error ? error.message : 'unknown error';
  return new Error(`could not open a websocket connection to ${where}: ${reason}`, { cause: error });
}
