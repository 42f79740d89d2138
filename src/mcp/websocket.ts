import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type JSONRPCMessage, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { WebSocket } from 'undici';

/** What the SDK's WebSocketClientTransport asks for, so servers written for it accept us. */
export const MCP_WEBSOCKET_SUBPROTOCOL = 'mcp';

/**
 * The SDK's websocket client transport, on undici's WebSocket rather than the global one: Node 20
 * has the global only behind --experimental-websocket, and undici's is the same implementation.
 * Unlike the SDK's, `send` on a socket that is no longer open fails instead of dropping the
 * message, so the pool sees a lost connection at once rather than when the request times out.
 */
export class WebSocketClientTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private socket?: WebSocket;

  constructor(private readonly url: URL) {}

  start(): Promise<void> {
    if (this.socket) throw new Error('WebSocketClientTransport already started');
    const socket = new WebSocket(this.url, MCP_WEBSOCKET_SUBPROTOCOL);
    this.socket = socket;
    return new Promise((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = (event) => {
        const error = (event as { error?: unknown }).error;
        const failure = error instanceof Error ? error : new Error(`WebSocket error on ${this.url.href}`);
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
