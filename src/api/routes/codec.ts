import type { Payload } from '@temporalio/common';
import { ExternalStorageRunner } from '@temporalio/common/lib/internal-non-workflow';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isRecord } from '../../config/values';
import type { ConversationStore } from '../../conversation/store';
import type { Storage } from '../../storage/open';
import { ApiError } from '../errors';
import { bodyErrors, errorBodySchema } from '../schemas';

/**
 * A codec endpoint for the Temporal Web UI (Settings → Codec Server, or `temporal server
 * start-dev --ui-codec-endpoint`): history keeps large payloads in the store as claims and long
 * tool results as a preview and a key, and `POST /codec/decode` gives the UI the real content to
 * show. Encoding is the identity, as this deployment's payloads are plain JSON. The browser calls
 * it from the UI's origin, so the routes answer CORS preflights.
 */

export interface CodecRouteOptions {
  storage: Storage;
  conversations: ConversationStore;
  /** The Web UI's base URL (TEMPORAL_UI_URL), whose origin may call the codec from the browser. */
  uiUrl: string;
}

const payloadJson = z.object({
  metadata: z.record(z.string(), z.string()).optional(),
  data: z.string().optional(),
});
/** The Web UI decodes a page of history at a time; far more in one request is not the UI. */
const MAX_PAYLOADS = 1000;
const payloadsBody = z.object({ payloads: z.array(payloadJson).max(MAX_PAYLOADS) });
type PayloadJson = z.infer<typeof payloadJson>;

function fromJson(payload: PayloadJson): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
    data: Buffer.from(payload.data ?? '', 'base64'),
  };
}

function toJson(payload: Payload): PayloadJson {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? []).toString('base64')])),
    data: Buffer.from(payload.data ?? []).toString('base64'),
  };
}

/** The UI's origin, and its loopback twin: a browser may open http://127.0.0.1:8233 for localhost:8233. */
export function uiOrigins(uiUrl: string): string[] {
  const url = new URL(uiUrl);
  const twin = { localhost: '127.0.0.1', '127.0.0.1': 'localhost' }[url.hostname];
  return twin ? [url.origin, `${url.protocol}//${twin}${url.port ? `:${url.port}` : ''}`] : [url.origin];
}

export const codecRoutes: FastifyPluginAsyncZod<CodecRouteOptions> = async (app, { storage, conversations, uiUrl }) => {
  const externalStorage = storage.dataConverter.externalStorage;
  const runner = externalStorage && new ExternalStorageRunner(externalStorage);
  const origins = uiOrigins(uiUrl);

  app.addHook('onSend', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin === undefined || !origins.includes(origin)) return;
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-allow-credentials', 'true');
    reply.header('vary', 'origin');
  });
  app.options('/codec/:operation', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .code(204)
      .header('access-control-allow-methods', 'POST, OPTIONS')
      .header('access-control-allow-headers', 'content-type, x-namespace, authorization')
      .header('access-control-max-age', '600')
      .send(),
  );

  const schema = { tags: ['codec'], body: payloadsBody, response: { 200: payloadsBody, 400: errorBodySchema, ...bodyErrors } };

  const decodeSchema = { ...schema, response: { ...schema.response, 422: errorBodySchema } };
  app.post('/codec/decode', { schema: { ...decodeSchema, summary: 'Payloads as the Web UI should show them: stored content read back' } }, async (request) => {
    const payloads = request.body.payloads.map(fromJson);
    let retrieved = payloads;
    try {
      if (runner) retrieved = await runner.retrieve(payloads);
    } catch (error) {
      throw new ApiError(422, 'payload_not_readable', `A stored payload could not be read: ${(error as Error).message}`);
    }
    return { payloads: (await Promise.all(retrieved.map((payload) => withStoredTexts(payload, conversations)))).map(toJson) };
  });

  app.post('/codec/encode', { schema: { ...schema, summary: 'The identity: payloads are plain JSON' } }, async (request) => ({
    payloads: request.body.payloads,
  }));
};

/** A JSON payload with every `{content, stored: {key}}` (a long tool result) holding its whole text again. */
async function withStoredTexts(payload: Payload, conversations: ConversationStore): Promise<Payload> {
  const encoding = Buffer.from(payload.metadata?.encoding ?? []).toString();
  if (encoding !== 'json/plain' || !payload.data) return payload;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload.data).toString('utf8'));
  } catch {
    return payload;
  }
  const expanded = await expand(value, conversations);
  return expanded === value ? payload : { ...payload, data: Buffer.from(JSON.stringify(expanded)) };
}

async function expand(value: unknown, conversations: ConversationStore): Promise<unknown> {
  if (Array.isArray(value)) {
    const items = await Promise.all(value.map((item) => expand(item, conversations)));
    return items.some((item, index) => item !== value[index]) ? items : value;
  }
  if (!isRecord(value)) return value;
  if (typeof value.content === 'string' && isRecord(value.stored) && typeof value.stored.key === 'string') {
    return { ...value, content: await conversations.text(value.stored.key).catch(() => value.content) };
  }
  const entries = await Promise.all(Object.entries(value).map(async ([key, item]) => [key, await expand(item, conversations)] as const));
  return entries.some(([key, item]) => item !== value[key]) ? Object.fromEntries(entries) : value;
}
