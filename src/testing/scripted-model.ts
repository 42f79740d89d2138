import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEmbeddingRoutes, type ScriptedEmbeddings } from './scripted-embeddings';
import { parseBody, readBody, RequestLog, sendJson, waitUnlessClosed } from './http-helpers';

/**
 * A fake LLM provider that speaks both wire formats over real HTTP, so tests drive the real SDK
 * clients. Each model name has its own FIFO queue of replies; tests use unique model names and can
 * share one server.
 *
 *   Anthropic: POST {anthropicBaseUrl}/v1/messages
 *   OpenAI:    POST {openaiBaseUrl}/chat/completions
 *
 * A request with `stream: true` gets the same reply as Server-Sent Events in the provider's own
 * streaming format (Anthropic's message_start ... message_stop events; OpenAI's chunks, a usage
 * chunk when `stream_options.include_usage` asks for one, and `[DONE]`): text and tool arguments
 * cut into pieces of `chunkChars`, with `chunkDelayMs` between pieces for a slow stream. Errors
 * are plain HTTP errors either way, as the providers answer them before a stream starts.
 *
 * Embeddings (OpenAI and Cohere) are served by ./scripted-embeddings.ts, scripted through `embeddings`.
 */

export type ProviderName = 'anthropic' | 'openai';

export interface ScriptedToolCall {
  name: string;
  arguments: Record<string, unknown>;
  id?: string;
}

/** How a reply is cut up when the request asks for a stream. */
export interface ScriptedStreaming {
  /** Characters of text or tool arguments per chunk (default 8). */
  chunkChars?: number;
  /** Wait between chunks, for a slow stream (default 0). */
  chunkDelayMs?: number;
  /** Ends the response cleanly after this many events, before the reply is whole (a connection cut short). */
  streamEndsAfter?: number;
}

export interface ScriptedSuccess extends ScriptedStreaming {
  text?: string;
  toolCalls?: ScriptedToolCall[];
  usage?: { input: number; output: number };
  delayMs?: number;
  /** The reply waits for this too (a test lets it go once a watcher is ready). */
  holdUntil?: Promise<unknown>;
}

export interface ScriptedError {
  status: number;
  /** Put into the provider's own error body; ignored when `body` is given. */
  message?: string;
  /** Sent verbatim instead of the provider's error body. */
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
}

/**
 * A structured-output reply in the provider's native way: OpenAI's JSON text, or Anthropic's call of
 * the forced tool (the request's `tool_choice`, else its first tool) with `json` as the input.
 */
export interface ScriptedStructured extends ScriptedStreaming {
  json: unknown;
  usage?: { input: number; output: number };
  delayMs?: number;
}

export type ScriptedReply =
  | ScriptedSuccess
  | ScriptedStructured
  | ScriptedError
  | ((request: RecordedRequest) => ScriptedReply);

export interface RecordedRequest {
  model: string;
  provider: ProviderName;
  body: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  /** Epoch milliseconds of arrival. */
  at: number;
  /** How the exchange ended: a reply was written, or the client went away first. */
  settled: Promise<'replied' | 'disconnected'>;
  /** The request asked for a stream (`stream: true`). */
  stream: boolean;
  /** Epoch milliseconds (fractional, from the high-resolution clock) when the first byte of a streamed reply's body was written. */
  firstChunkAt?: number;
}

export interface ScriptedProvider {
  url: string;
  anthropicBaseUrl: string;
  openaiBaseUrl: string;
  cohereBaseUrl: string;
  embeddings: ScriptedEmbeddings;
  script(model: string, replies: ScriptedReply[]): void;
  /**
   * Drops the replies scripted for `model` (every model without one) that no request took, and
   * returns them: a test that failed before its model calls leaves none for the next, and a test
   * can assert that its script was used up.
   */
  reset(model?: string): ScriptedReply[];
  requests(model?: string): RecordedRequest[];
  /** Resolves with the n-th (1-based) request for the model once it has arrived. */
  waitForRequest(model: string, n?: number): Promise<RecordedRequest>;
  close(): Promise<void>;
}

const DEFAULT_USAGE = { input: 10, output: 5 };

const ROUTES: Record<string, ProviderName> = {
  '/v1/messages': 'anthropic',
  '/v1/chat/completions': 'openai',
};

export interface ScriptedProviderOptions {
  /** Answers a request for a model with no scripted reply left (default: a 400 saying to script one). */
  fallback?: (request: RecordedRequest) => ScriptedReply;
  /** Keep every request for `requests()` and `waitForRequest()` (default true; a long-lived server may not want their bodies). */
  keepRequests?: boolean;
}

export async function startScriptedProvider(options: ScriptedProviderOptions = {}): Promise<ScriptedProvider> {
  const queues = new Map<string, ScriptedReply[]>();
  const log = new RequestLog<RecordedRequest>();
  const embeddings = createEmbeddingRoutes();
  let sequence = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (await embeddings.handle(req, res)) return;
    const provider = req.method === 'POST' ? ROUTES[new URL(req.url ?? '/', 'http://x').pathname] : undefined;
    if (!provider) {
      sendJson(res, 404, { error: { message: `scripted provider: no route ${req.method} ${req.url}` } });
      return;
    }
    const body = parseBody(await readBody(req));
    const model = typeof body.model === 'string' ? body.model : '';
    let settle: (outcome: 'replied' | 'disconnected') => void = () => undefined;
    const settled = new Promise<'replied' | 'disconnected'>((resolve) => (settle = resolve));
    res.on('close', () => settle(res.writableFinished ? 'replied' : 'disconnected'));
    const stream = body.stream === true;
    const request: RecordedRequest = { model, provider, body, headers: req.headers, at: Date.now(), settled, stream };
    if (options.keepRequests !== false) log.record(request);

    let reply = queues.get(model)?.shift() ?? options.fallback?.(request);
    while (typeof reply === 'function') reply = reply(request);
    if (!reply) {
      // A 4xx, which the LLM activity does not retry: a forgotten reply fails the run at once, saying so.
      sendError(res, provider, { status: 400, message: `no scripted reply left for model ${model}: add one with env.model.script('${model}', [...])` });
      return;
    }
    if (reply.delayMs && !(await waitUnlessClosed(reply.delayMs, res))) return;
    if ('holdUntil' in reply && reply.holdUntil) await reply.holdUntil;
    sequence += 1;
    if ('status' in reply) {
      sendError(res, provider, reply);
      return;
    }
    const success = 'json' in reply ? structuredAsSuccess(provider, body, reply) : reply;
    if (stream) {
      const events =
        provider === 'anthropic' ? anthropicStream(model, success, sequence) : openAiStream(model, success, sequence, includeUsage(body));
      const sent = success.streamEndsAfter === undefined ? events : events.slice(0, success.streamEndsAfter);
      await sendStream(res, sent, success.chunkDelayMs ?? 0, () => (request.firstChunkAt ??= performance.timeOrigin + performance.now()));
      return;
    }
    sendJson(res, 200, provider === 'anthropic' ? anthropicBody(model, success, sequence) : openAiBody(model, success, sequence));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: `scripted provider failed: ${String(error)}` } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    anthropicBaseUrl: url,
    openaiBaseUrl: `${url}/v1`,
    cohereBaseUrl: url,
    embeddings,
    script(model, replies) {
      queues.set(model, [...(queues.get(model) ?? []), ...replies]);
    },
    reset(model) {
      const models = model === undefined ? [...queues.keys()] : [model];
      const left = models.flatMap((name) => queues.get(name) ?? []);
      for (const name of models) queues.delete(name);
      return left;
    },
    requests: (model) => log.requests(model),
    waitForRequest: (model, n) => log.waitForRequest(model, n),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function structuredAsSuccess(provider: ProviderName, body: Record<string, unknown>, reply: ScriptedStructured): ScriptedSuccess {
  const streaming = { chunkChars: reply.chunkChars, chunkDelayMs: reply.chunkDelayMs, streamEndsAfter: reply.streamEndsAfter };
  if (provider === 'openai') return { text: JSON.stringify(reply.json), usage: reply.usage, ...streaming };
  // Anthropic's tool input is always an object; tests may still send anything to see it rejected.
  return { toolCalls: [{ name: forcedToolName(body), arguments: reply.json as Record<string, unknown> }], usage: reply.usage, ...streaming };
}

function forcedToolName(body: Record<string, unknown>): string {
  const choice = body.tool_choice as { name?: unknown } | undefined;
  if (typeof choice?.name === 'string') return choice.name;
  const [first] = Array.isArray(body.tools) ? (body.tools as Array<{ name?: unknown }>) : [];
  return typeof first?.name === 'string' ? first.name : 'output';
}

function anthropicBody(model: string, reply: ScriptedSuccess, sequence: number): unknown {
  const usage = reply.usage ?? DEFAULT_USAGE;
  const toolCalls = reply.toolCalls ?? [];
  const content: unknown[] = [];
  if (reply.text !== undefined || toolCalls.length === 0) content.push({ type: 'text', text: reply.text ?? '', citations: null });
  toolCalls.forEach((call, index) => {
    content.push({ type: 'tool_use', id: call.id ?? `toolu_${sequence}_${index}`, name: call.name, input: call.arguments });
  });
  return {
    id: `msg_${sequence}`,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: toolCalls.length > 0 ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: usage.input,
      output_tokens: usage.output,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    },
  };
}

function openAiBody(model: string, reply: ScriptedSuccess, sequence: number): unknown {
  const usage = reply.usage ?? DEFAULT_USAGE;
  const toolCalls = reply.toolCalls ?? [];
  const message: Record<string, unknown> = { role: 'assistant', content: reply.text ?? null, refusal: null };
  if (toolCalls.length > 0) {
    message.tool_calls = toolCalls.map((call, index) => ({
      id: call.id ?? `call_${sequence}_${index}`,
      type: 'function',
      function: { name: call.name, arguments: JSON.stringify(call.arguments) },
    }));
  }
  return {
    id: `chatcmpl-${sequence}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop' }],
    usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output },
  };
}

const DEFAULT_CHUNK_CHARS = 8;

/** One Server-Sent Event; `[DONE]`-style data goes as it is. */
interface StreamEvent {
  event?: string;
  data: unknown;
  /** A piece of text or arguments: the server waits `chunkDelayMs` before each but the first. */
  piece?: boolean;
}

function pieces(text: string, size: number): string[] {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return parts;
}

async function sendStream(res: ServerResponse, events: StreamEvent[], delayMs: number, firstByte: () => void): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  let pieceSent = false;
  for (const event of events) {
    if (event.piece && pieceSent && delayMs > 0 && !(await waitUnlessClosed(delayMs, res))) return;
    if (event.piece) pieceSent = true;
    const data = typeof event.data === 'string' ? event.data : JSON.stringify(event.data);
    firstByte();
    res.write(`${event.event ? `event: ${event.event}\n` : ''}data: ${data}\n\n`);
  }
  res.end();
}

function anthropicStream(model: string, reply: ScriptedSuccess, sequence: number): StreamEvent[] {
  const whole = anthropicBody(model, reply, sequence) as {
    content: Array<{ type: string; text?: string; id?: string; name?: string; input?: unknown }>;
    stop_reason: string;
    usage: Record<string, number>;
  };
  const size = reply.chunkChars ?? DEFAULT_CHUNK_CHARS;
  const event = (type: string, data: Record<string, unknown>, piece = false): StreamEvent => ({ event: type, data: { type, ...data }, piece });
  const events: StreamEvent[] = [
    event('message_start', {
      message: { ...whole, content: [], stop_reason: null, usage: { ...whole.usage, output_tokens: 1 } },
    }),
  ];
  whole.content.forEach((block, index) => {
    if (block.type === 'text') {
      events.push(event('content_block_start', { index, content_block: { type: 'text', text: '', citations: null } }));
      for (const text of pieces(block.text ?? '', size)) events.push(event('content_block_delta', { index, delta: { type: 'text_delta', text } }, true));
    } else {
      events.push(event('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } }, true));
      for (const json of pieces(JSON.stringify(block.input), size)) {
        events.push(event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: json } }, true));
      }
    }
    events.push(event('content_block_stop', { index }));
  });
  events.push(
    event('message_delta', { delta: { stop_reason: whole.stop_reason, stop_sequence: null }, usage: { output_tokens: whole.usage.output_tokens } }),
    event('message_stop', {}),
  );
  return events;
}

function openAiStream(model: string, reply: ScriptedSuccess, sequence: number, withUsage: boolean): StreamEvent[] {
  const size = reply.chunkChars ?? DEFAULT_CHUNK_CHARS;
  const usage = reply.usage ?? DEFAULT_USAGE;
  const toolCalls = reply.toolCalls ?? [];
  const base = { id: `chatcmpl-${sequence}`, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model };
  const chunk = (delta: Record<string, unknown>, finish: string | null = null, piece = false): StreamEvent => ({
    data: { ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(withUsage && { usage: null }) },
    piece,
  });
  const events: StreamEvent[] = [chunk({ role: 'assistant', content: '', refusal: null })];
  for (const text of pieces(reply.text ?? '', size)) events.push(chunk({ content: text }, null, true));
  toolCalls.forEach((call, index) => {
    const id = call.id ?? `call_${sequence}_${index}`;
    events.push(chunk({ tool_calls: [{ index, id, type: 'function', function: { name: call.name, arguments: '' } }] }, null, true));
    for (const json of pieces(JSON.stringify(call.arguments), size)) {
      events.push(chunk({ tool_calls: [{ index, function: { arguments: json } }] }, null, true));
    }
  });
  events.push(chunk({}, toolCalls.length > 0 ? 'tool_calls' : 'stop'));
  if (withUsage) {
    events.push({
      data: { ...base, choices: [], usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output } },
    });
  }
  events.push({ data: '[DONE]' });
  return events;
}

function includeUsage(body: Record<string, unknown>): boolean {
  const options = body.stream_options as { include_usage?: unknown } | undefined;
  return options?.include_usage === true;
}

function sendError(res: ServerResponse, provider: ProviderName, reply: ScriptedError): void {
  const message = reply.message ?? `scripted ${reply.status}`;
  const body =
    reply.body !== undefined
      ? reply.body
      : provider === 'anthropic'
        ? { type: 'error', error: { type: anthropicErrorType(reply.status), message } }
        : { error: { message, type: openAiErrorType(reply.status), param: null, code: null } };
  sendJson(res, reply.status, body, reply.headers);
}

function anthropicErrorType(status: number): string {
  const types: Record<number, string> = {
    400: 'invalid_request_error',
    401: 'authentication_error',
    403: 'permission_error',
    404: 'not_found_error',
    413: 'request_too_large',
    429: 'rate_limit_error',
    529: 'overloaded_error',
  };
  return types[status] ?? 'api_error';
}

function openAiErrorType(status: number): string {
  if (status === 429) return 'rate_limit_exceeded';
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}
