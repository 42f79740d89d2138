import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { connectClient } from '../../client/connection';
import { buildApp } from '../../src/api/app';
import type { Config } from '../../src/config/schema';

/**
 * Real HTTP against an API listening on a free port. Jest cannot load the ESM-only packages behind
 * Fastify's `inject` (light-my-request → cookie), and a real socket tests more anyway.
 */

export interface ApiReply {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or the text when it is not JSON. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read replies of many shapes
}

export interface ApiHttp {
  url: string;
  request(method: string, path: string, options?: { json?: unknown; body?: string; headers?: Record<string, string> }): Promise<ApiReply>;
  get(path: string, headers?: Record<string, string>): Promise<ApiReply>;
  post(path: string, json?: unknown): Promise<ApiReply>;
}

export async function listenForTests(app: FastifyInstance): Promise<ApiHttp> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const request: ApiHttp['request'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    let body = options.body;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    const response = await fetch(`${url}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON (the docs page): keep the text.
    }
    return { status: response.status, headers: response.headers, body: parsed };
  };
  return {
    url,
    request,
    get: (path, headers) => request('GET', path, { headers }),
    post: (path, json) => request('POST', path, { json }),
  };
}

/** The Web UI base tests give the API, so Run links are predictable. */
export const TEST_UI_URL = 'http://ui.test';

export interface RunningApi {
  api: ApiHttp;
  close(): Promise<void>;
}

/** The real API app, on its own Temporal connection from `config`, listening on a free port. */
export async function startApi(config: Config, uiUrl = TEST_UI_URL, options: { tracing?: boolean } = {}): Promise<RunningApi> {
  const temporal = connectClient(config, options);
  const app = await buildApp({
    config,
    client: temporal.client,
    storage: temporal.storage,
    uiUrl,
    logger: pino({ level: 'silent' }),
    ...(options.tracing && { tracing: true }),
  });
  const api = await listenForTests(app);
  return {
    api,
    async close() {
      await app.close();
      await temporal.connection.close();
      temporal.storage.close();
    },
  };
}
