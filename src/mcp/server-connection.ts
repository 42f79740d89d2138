import { AsyncLocalStorage } from 'node:async_hooks';
import { STATUS_CODES } from 'node:http';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { DEFAULT_REQUEST_TIMEOUT_MSEC, type RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  type CallToolResult,
  type ClientCapabilities,
  type CreateMessageResult,
  type CreateMessageResultWithTools,
  type ElicitResult,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  ListRootsRequestSchema,
  McpError,
  type GetPromptResult,
  type Prompt,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplate,
  type Tool,
  ToolListChangedNotificationSchema,
  LoggingMessageNotificationSchema,
  type LoggingMessageNotification,
  type Progress,
  ProgressNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import {
  errorMessage,
  isConnectionLoss,
  McpConnectionError,
  McpErrorAnswer,
  McpNotOfferedError,
  networkCause,
  plainExcerpt,
  requestTimeoutSeconds,
  urlForMessages,
} from './errors';
import { McpAuthError, McpTokenError } from './oauth';
import type { McpPoolLogger, McpServerSettings } from './pool';
import { filterAllowedTools, listAllPages, listAllTools, type Page } from './tool-list';
import type { McpServerRequest } from './server-requests';
import { TokenFileError } from './token-store';
import { openTransport, stdioStartFailure, type OpenedTransport } from './transports';

const CLIENT_INFO = { name: 'mcp-agent-temporal', version: '0.1.0' };
const TERMINATE_WAIT_MS = 2000;

interface Session {
  client: Client;
  transport: Transport;
  closed: boolean;
  /** Every tool the server offers (before `allowed_tools`); dropped on list_changed. */
  tools?: Promise<Tool[]>;
  /** Tool calls in flight on this session, to which the server's own requests may belong. */
  calls: Set<InFlightCall>;
  /** Lent to one tool call (see ServerConnection.lease). */
  leased?: boolean;
}

export interface CallOptions {
  signal?: AbortSignal;
  /**
   * Answers the server's sampling and elicitation requests made while this call runs. Without it
   * such requests are refused with an MCP error (the server sees the client cannot answer now).
   */
  onServerRequest?: ServerRequestHandler;
  /** The server's progress notifications for this call (which also restart its read timeout: the server is alive). */
  onProgress?: (progress: Progress) => void;
  /** The server's log messages that belong to this call (see `serverLog`). */
  onLog?: (message: LoggingMessageNotification['params']) => void;
}

/** What a server may ask its client in the middle of a tool call. */
export type ServerRequest = McpServerRequest;

export interface ServerRequestContext {
  /** Aborted when the server cancels the request or the connection closes. */
  signal: AbortSignal;
  /** Aborted only when the server itself cancelled the request, the session still open. */
  cancelledByServer: AbortSignal;
  /** 1 for the call's first request, and so on; counted afresh when the call is sent again on a new session. */
  sequence: number;
}

export type ServerRequestHandler = (
  request: ServerRequest,
  context: ServerRequestContext,
) => Promise<CreateMessageResult | CreateMessageResultWithTools | ElicitResult>;

interface InFlightCall {
  handler?: ServerRequestHandler;
  onLog?: CallOptions['onLog'];
  /** Ours, not the SDK's request id: see routeProgress. */
  progressToken: string;
  onProgress?: CallOptions['onProgress'];
  /** The server's requests of this call being answered: its read timeout stands still meanwhile. */
  answering: number;
  /** Requests the server made during this call so far. */
  requests: number;
  readTimer: ReadTimer;
}

/** The call a message from the server arrived for, where the transport's async context knows it (HTTP). */
const currentCall = new AsyncLocalStorage<InFlightCall>();

let progressTokens = 0;

/**
 * The tool call a server's message belongs to: the one whose HTTP response stream carried it, or,
 * where nothing in the message says (stdio, websocket), the one call in flight on the session.
 * Undefined when there is no telling.
 */
function callOf(session: Session): InFlightCall | undefined {
  const known = currentCall.getStore();
  if (known && session.calls.has(known)) return known;
  return session.calls.size === 1 ? [...session.calls][0] : undefined;
}

/**
 * One configured server inside one worker process: a lazily opened session that every activity on
 * the process shares, its tool list cache, and reconnection when the session dies. Tool calls to a
 * stdio, SSE or websocket server that may ask the run something (sampling, elicitation) take a
 * session of their own instead (see callsNeedOwnSession); roots, sampling and elicitation requests
 * from the server are answered here (see serverRequest).
 */
export class ServerConnection {
  private pending?: Promise<Session>;
  private live?: Session;
  /** Sessions opened beside the shared one for tool calls that may ask (see lease), idle ones first. */
  private readonly extras = new Set<Session>();
  private idleExtras: Session[] = [];
  private connects = 0;
  private shutDown = false;

  constructor(
    readonly name: string,
    readonly settings: McpServerSettings,
    private readonly log: McpPoolLogger,
  ) {}

  /** How many connections were opened so far (each reconnect counts). */
  get connectCount(): number {
    return this.connects;
  }

  get isConnected(): boolean {
    return this.live !== undefined && !this.live.closed;
  }

  /**
   * Tools after `allowed_tools`, from the cache unless `refresh` or the session is new. The fetch
   * is shared by concurrent callers, so no single caller's cancellation may abort it.
   */
  async tools(options: { refresh?: boolean } = {}): Promise<Tool[]> {
    const all = await this.withSession('tools/list', undefined, (session) => {
      if (options.refresh || !session.tools) session.tools = this.fetchTools(session);
      return session.tools;
    });
    return filterAllowedTools(all, this.settings.allowed_tools);
  }

  async callTool(tool: string, args: Record<string, unknown>, options: CallOptions = {}): Promise<CallToolResult> {
    // Parsed with the current CallToolResultSchema (the default), so never the legacy `toolResult` form.
    const mode = options.onServerRequest && this.callsNeedOwnSession() ? 'lease' : 'shared';
    return this.withSession(`tools/call ${tool}`, options.signal, async (session) => {
      const readTimer = new ReadTimer(this.settings.read_timeout_seconds, options.signal);
      const progressToken = `call-${++progressTokens}`;
      const call: InFlightCall = {
        handler: options.onServerRequest,
        onLog: options.onLog,
        progressToken,
        onProgress: options.onProgress,
        answering: 0,
        requests: 0,
        readTimer,
      };
      session.calls.add(call);
      try {
        // Our own read timeout, which stands still while the server waits for an answer from us
        // (a model, a person): the SDK's own would count that time against the server.
        const result = await currentCall.run(call, () =>
          session.client.callTool({ name: tool, arguments: args, _meta: { progressToken } }, undefined, {
            signal: readTimer.signal,
            timeout: NO_SDK_TIMEOUT_MS,
          }),
        );
        return result as CallToolResult;
      } catch (error) {
        // The timer's abort arrives as its reason, a RequestTimeout McpError, as the SDK's own would.
        throw readTimer.signal.aborted && !options.signal?.aborted ? readTimer.signal.reason : error;
      } finally {
        readTimer.stop();
        session.calls.delete(call);
      }
    }, mode);
  }

  /** Resources the server lists (not cached: servers add and drop them); none if it offers none. */
  async resources(): Promise<Resource[]> {
    return this.list('resources', (session, cursor) =>
      session.client
        .listResources(cursor ? { cursor } : undefined, this.requestOptions(undefined))
        .then((page) => ({ items: page.resources, nextCursor: page.nextCursor })),
    );
  }

  async resourceTemplates(): Promise<ResourceTemplate[]> {
    return this.list('resources', (session, cursor) =>
      session.client
        .listResourceTemplates(cursor ? { cursor } : undefined, this.requestOptions(undefined))
        .then((page) => ({ items: page.resourceTemplates, nextCursor: page.nextCursor })),
    );
  }

  async prompts(): Promise<Prompt[]> {
    return this.list('prompts', (session, cursor) =>
      session.client
        .listPrompts(cursor ? { cursor } : undefined, this.requestOptions(undefined))
        .then((page) => ({ items: page.prompts, nextCursor: page.nextCursor })),
    );
  }

  async readResource(uri: string, options: CallOptions = {}): Promise<ReadResourceResult> {
    return this.withSession(`resources/read ${uri}`, options.signal, async (session) => {
      this.require(session, 'resources');
      return session.client.readResource({ uri }, this.requestOptions(options.signal));
    });
  }

  async getPrompt(name: string, args: Record<string, string>, options: CallOptions = {}): Promise<GetPromptResult> {
    return this.withSession(`prompts/get ${name}`, options.signal, async (session) => {
      this.require(session, 'prompts');
      return session.client.getPrompt({ name, arguments: args }, this.requestOptions(options.signal));
    });
  }

  async close(): Promise<void> {
    this.shutDown = true;
    const pending = this.pending;
    this.pending = undefined;
    this.live = undefined;
    const extras = [...this.extras];
    this.extras.clear();
    this.idleExtras = [];
    await Promise.all(extras.map((extra) => this.closeSession(extra)));
    const session = await pending?.catch(() => undefined);
    if (session) await this.closeSession(session);
  }

  private async closeSession(session: Session): Promise<void> {
    session.closed = true;
    // Tells an HTTP server it may forget the session now rather than when it times out; an
    // unresponsive server must not hold up worker shutdown (closing the client aborts the request).
    if (session.transport instanceof StreamableHTTPClientTransport) {
      await Promise.race([
        session.transport.terminateSession().catch(() => undefined),
        sleep(TERMINATE_WAIT_MS, undefined, { ref: false }),
      ]);
    }
    await session.client.close();
  }

  /**
   * Runs a request on the shared session. If the connection turns out to be gone (the request
   * could not be sent, or the transport closed before the answer came), the session is dropped
   * and the request is sent once more on a fresh one. A request that reached the server before the
   * drop may therefore run twice; that is the same at-least-once contract a Temporal activity retry
   * gives, and retrying here keeps the new session on this worker and costs no retry backoff.
   * A second loss is thrown, for Temporal to retry later.
   */
  private async withSession<T>(
    operation: string,
    signal: AbortSignal | undefined,
    run: (session: Session) => Promise<T>,
    /** lease: a session of the call's own (see callsNeedOwnSession). */
    mode: 'shared' | 'lease' = 'shared',
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const session = mode === 'lease' ? await this.lease() : await this.session();
      try {
        return await run(session);
      } catch (error) {
        if (signal?.aborted || !(session.closed || isConnectionLoss(error))) throw error;
        this.drop(session);
        if (attempt >= 2) {
          throw new McpConnectionError(this.name, `connection lost during ${operation}: ${transportFailure(error, this.settings)}`, {
            cause: error,
          });
        }
        this.log.warn(
          { server: this.name, operation, err: errorMessage(error) },
          'MCP connection lost; reconnecting and retrying once',
        );
      } finally {
        if (mode === 'lease') this.giveBack(session);
      }
    }
  }

  /**
   * Over stdio, SSE and websocket nothing in a server's request says which tool call it belongs to.
   * For a server configured to sample or elicit, each tool call that could be asked on the run's
   * behalf therefore gets a session of its own: the shared one when it is free, else another
   * (another server process, for stdio), kept for later calls. Over streamable HTTP the call's
   * response stream places the request, and calls share the one session.
   */
  private callsNeedOwnSession(): boolean {
    const transport = this.settings.transport ?? (this.settings.url ? 'streamable_http' : 'stdio');
    return transport !== 'streamable_http' && (this.settings.sampling !== undefined || this.settings.elicitation !== undefined);
  }

  private async lease(): Promise<Session> {
    const shared = await this.session();
    if (!shared.leased && shared.calls.size === 0) {
      shared.leased = true;
      return shared;
    }
    let extra: Session | undefined;
    while ((extra = this.idleExtras.pop()) && extra.closed) this.extras.delete(extra);
    extra ??= await this.connect(false);
    extra.leased = true;
    return extra;
  }

  private giveBack(session: Session): void {
    session.leased = false;
    if (session === this.live || session.closed || this.shutDown) return;
    if (this.extras.has(session)) this.idleExtras.push(session);
  }

  /** Concurrent first uses share one connecting promise. */
  private session(): Promise<Session> {
    if (this.shutDown) {
      return Promise.reject(new McpConnectionError(this.name, 'the connection pool is closed'));
    }
    if (!this.pending) {
      const attempt = this.connect();
      this.pending = attempt;
      attempt.catch(() => {
        if (this.pending === attempt) this.pending = undefined;
      });
    }
    return this.pending;
  }

  /** `shared`: the session every activity uses; else one more, for lease. */
  private async connect(shared = true): Promise<Session> {
    this.connects++;
    const started = Date.now();
    const opened = openTransport(this.name, this.settings, (line) =>
      this.log.debug({ server: this.name, stderr: line }, 'MCP server stderr'),
    );
    const client = new Client(CLIENT_INFO, { capabilities: this.capabilities() });
    const session: Session = { client, transport: opened.transport, closed: false, calls: new Set() };
    if (this.settings.roots) {
      const roots = this.settings.roots.map(({ uri, name }) => ({ uri, ...(name !== undefined && { name }) }));
      client.setRequestHandler(ListRootsRequestSchema, () => ({ roots }));
    }
    if (this.settings.sampling) {
      client.setRequestHandler(CreateMessageRequestSchema, (request, extra) =>
        this.serverRequest(session, { kind: 'sampling', params: request.params }, extra.signal) as Promise<CreateMessageResult>,
      );
    }
    client.setRequestHandler(ElicitRequestSchema, (request, extra) =>
      this.serverRequest(session, { kind: 'elicitation', params: request.params }, extra.signal) as Promise<ElicitResult>,
    );
    client.onclose = () => {
      session.closed = true;
      this.forget(session);
      this.extras.delete(session);
      this.idleExtras = this.idleExtras.filter((idle) => idle !== session);
      this.log.info({ server: this.name }, 'MCP connection closed');
    };
    const connecting: { onNotJsonRpc?: () => void } = {};
    client.onerror = (error) => {
      // Closing a session aborts its streams, which the transport reports as errors: not news.
      if (session.closed) return;
      this.log.warn({ server: this.name, err: errorMessage(error) }, 'MCP transport error');
      if (opened.notJsonRpc() !== undefined) connecting.onNotJsonRpc?.();
      // A legacy SSE session lives exactly as long as its stream. Left alone, the SDK's EventSource
      // would reconnect by itself to a new server session that was never initialised and carry on
      // with it, so a broken stream ends the session and the next request connects afresh.
      if (error instanceof SseError && this.live === session) this.drop(session);
    };
    client.setNotificationHandler(LoggingMessageNotificationSchema, async (notification) => this.serverLog(session, notification.params));
    client.setNotificationHandler(ProgressNotificationSchema, async (notification) => this.routeProgress(session, notification.params));
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      session.tools = undefined;
      this.log.debug({ server: this.name }, 'MCP tool list changed');
    });
    // A stdio server that writes something other than JSON-RPC to stdout while connecting gets a
    // few seconds more to answer initialize (some print a banner, then work), then fails saying
    // what it wrote, rather than at the end of the whole read timeout.
    let notJsonRpcTimer: NodeJS.Timeout | undefined;
    const wroteNotJsonRpc = new Promise<never>((_, reject) => {
      connecting.onNotJsonRpc = () => {
        notJsonRpcTimer ??= setTimeout(() => reject(new Error('not JSON-RPC on stdout')), Math.min(NOT_JSON_RPC_GRACE_MS, this.timeoutMs()));
      };
    });
    try {
      await Promise.race([client.connect(opened.transport, this.requestOptions(undefined)), wroteNotJsonRpc]);
    } catch (error) {
      const failure = stdioStartFailure(this.name, this.settings, error) ?? (await connectFailure(this.name, error, opened, this.settings));
      // Only now: closing a stdio server's client ends its process, whose own exit says more.
      await client.close().catch(() => undefined);
      throw failure;
    } finally {
      clearTimeout(notJsonRpcTimer);
      connecting.onNotJsonRpc = undefined;
    }
    if (session.closed || this.shutDown) {
      await client.close();
      throw new McpConnectionError(this.name, 'the connection closed while it was being opened');
    }
    if (shared) this.live = session;
    else this.extras.add(session);
    this.log.info({ server: this.name, ms: Date.now() - started, connects: this.connects, shared }, 'MCP server connected');
    return session;
  }

  /** Roots when configured, sampling (with tools) when configured, form elicitation always. */
  private capabilities(): ClientCapabilities {
    return {
      ...(this.settings.roots && { roots: { listChanged: false } }),
      ...(this.settings.sampling && { sampling: { tools: {} } }),
      elicitation: { form: {} },
    };
  }

  /**
   * A server's sampling or elicitation request goes to the tool call it belongs to: the one whose
   * HTTP response stream carried it, or, over stdio and websocket where nothing in the message says,
   * the one call in flight on the session. With several in flight there is no telling whose it is,
   * and the request is refused rather than answered in the wrong run's name.
   */
  private async serverRequest(
    session: Session,
    request: ServerRequest,
    signal: AbortSignal,
  ): Promise<CreateMessageResult | CreateMessageResultWithTools | ElicitResult> {
    const method = request.kind === 'sampling' ? 'sampling/createMessage' : 'elicitation/create';
    const call = callOf(session);
    if (!call) {
      const why = session.calls.size === 0 ? 'outside a tool call' : `while ${session.calls.size} tool calls were in flight on one session`;
      throw new McpErrorAnswer(ErrorCode.InvalidRequest, `mcp-agent-temporal answers ${method} only during a tool call; it came ${why}`);
    }
    if (!call.handler) {
      throw new McpErrorAnswer(ErrorCode.InvalidRequest, `mcp-agent-temporal cannot answer ${method} for this call (a local activity, or no run to ask)`);
    }
    const sequence = ++call.requests;
    this.log.info({ server: this.name, method, sequence }, 'MCP server request during a tool call');
    // The SDK aborts a request's handler both when the server cancels it and when the connection
    // closes (before it reports the close): only a session still open after that means a cancel.
    const serverCancel = new AbortController();
    const onAbort = () => setImmediate(() => session.closed || serverCancel.abort());
    signal.addEventListener('abort', onAbort, { once: true });
    if (call.answering++ === 0) call.readTimer.pause();
    try {
      return await call.handler(request, { signal, cancelledByServer: serverCancel.signal, sequence });
    } finally {
      if (--call.answering === 0) call.readTimer.restart();
    }
  }

  /**
   * The SDK's own progress routing (`onprogress`) drops a call's last progress when the server
   * sends it right before the result: notifications are handled a microtask later, by when the
   * result has already removed the call's handler. Ours finds the call among those still in
   * flight, which it stays until the awaited result resumes callTool.
   */
  private routeProgress(session: Session, { progressToken, ...progress }: Progress & { progressToken: string | number }): void {
    const call = [...session.calls].find((inFlight) => inFlight.progressToken === progressToken);
    if (!call) return;
    if (call.answering === 0) call.readTimer.restart();
    call.onProgress?.(progress);
  }

  /**
   * A server's log message goes to the tool call it belongs to (callOf); one that belongs to no
   * call, or to no call we can tell, goes to the worker's log only.
   */
  private serverLog(session: Session, params: LoggingMessageNotification['params']): void {
    const call = callOf(session);
    if (call?.onLog) call.onLog(params);
    else this.log.debug({ server: this.name, level: params.level, logger: params.logger }, 'MCP server log message outside a tool call');
  }

  /** Every page of a list the capability covers; a server without the capability lists nothing. */
  private list<T>(capability: 'resources' | 'prompts', fetchPage: (session: Session, cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
    return this.withSession(`${capability}/list`, undefined, (session) => {
      if (!session.client.getServerCapabilities()?.[capability]) return Promise.resolve([]);
      return listAllPages(
        (cursor) => fetchPage(session, cursor),
        (pages, count) => this.log.warn({ server: this.name, pages, items: count }, `MCP ${capability} list truncated: too many pages`),
      );
    });
  }

  private require(session: Session, capability: 'resources' | 'prompts'): void {
    if (!session.client.getServerCapabilities()?.[capability]) throw new McpNotOfferedError(this.name, capability);
  }

  private fetchTools(session: Session): Promise<Tool[]> {
    // Servers that offer only resources or prompts answer tools/list with MethodNotFound.
    if (!session.client.getServerCapabilities()?.tools) return Promise.resolve([]);
    const fetched = listAllTools(
      (cursor) => session.client.listTools(cursor ? { cursor } : undefined, this.requestOptions(undefined)),
      (pages, count) =>
        this.log.warn({ server: this.name, pages, tools: count }, 'MCP tool list truncated: too many pages'),
    );
    fetched.catch(() => {
      if (session.tools === fetched) session.tools = undefined;
    });
    return fetched;
  }

  private drop(session: Session): void {
    this.forget(session);
    session.closed = true;
    session.client.close().catch((error) =>
      this.log.warn({ server: this.name, err: errorMessage(error) }, 'closing a dropped MCP session failed'),
    );
  }

  private forget(session: Session): void {
    if (this.live !== session) return;
    this.live = undefined;
    this.pending = undefined;
  }

  private requestOptions(signal: AbortSignal | undefined): RequestOptions {
    const seconds = this.settings.read_timeout_seconds;
    return { signal, ...(seconds ? { timeout: seconds * 1000 } : {}) };
  }

  private timeoutMs(): number {
    return (this.settings.read_timeout_seconds ?? DEFAULT_REQUEST_TIMEOUT_MSEC / 1000) * 1000;
  }
}

/** Longer than any activity attempt: the call's own ReadTimer ends it instead. */
const NO_SDK_TIMEOUT_MS = 2 ** 31 - 1;

/** A tool call's read timeout that can stand still, and that aborts with the SDK's RequestTimeout error. */
/**
 * A call's read timeout, whose signal also carries the caller's abort: one signal for the SDK,
 * without AbortSignal.any (which costs more than the rest of this on every call).
 */
class ReadTimer {
  private readonly controller = new AbortController();
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly forward?: () => void;

  constructor(
    private readonly seconds: number | undefined,
    private readonly outer?: AbortSignal,
  ) {
    if (outer?.aborted) this.controller.abort(outer.reason);
    else if (outer) {
      this.forward = () => this.controller.abort(outer.reason);
      outer.addEventListener('abort', this.forward, { once: true });
    }
    this.restart();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  pause(): void {
    clearTimeout(this.timer);
  }

  /** A full read timeout again from now: the server got its answer and works on. */
  restart(): void {
    clearTimeout(this.timer);
    // A server request's handler may finish after its call did.
    if (this.stopped) return;
    const ms = (this.seconds ?? DEFAULT_REQUEST_TIMEOUT_MSEC / 1000) * 1000;
    this.timer = setTimeout(() => this.controller.abort(new McpError(ErrorCode.RequestTimeout, 'Request timed out', { timeout: ms })), ms);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.forward) this.outer!.removeEventListener('abort', this.forward);
  }
}

/** How long a stdio server that wrote something other than JSON-RPC to stdout still has to answer initialize. */
const NOT_JSON_RPC_GRACE_MS = 5000;

async function connectFailure(server: string, error: unknown, opened: OpenedTransport, settings: McpServerSettings): Promise<McpConnectionError> {
  // Let the child's last stderr lines drain through readline before quoting them.
  await nextTurn();
  return new McpConnectionError(server, `could not connect: ${connectReason(error, opened, settings)}`, {
    cause: error,
    stderr: opened.recentStderr(),
  });
}

/**
 * Why a connect failed, in the words that help: what a stdio server wrote or how its process
 * ended (the SDK says only "Connection closed" or times out), the timeout and the setting that
 * sets it, the address the network could not reach.
 */
function connectReason(error: unknown, opened: OpenedTransport, settings: McpServerSettings): string {
  const reasons: string[] = [];
  const notJsonRpc = opened.notJsonRpc();
  if (notJsonRpc !== undefined) {
    reasons.push(
      `the server wrote something that is not JSON-RPC to stdout: "${plainExcerpt(notJsonRpc, 120)}" ` +
        '(a stdio server may write only MCP messages there; its logs belong on stderr)',
    );
  }
  const exit = opened.exited();
  if (exit) {
    const how = exit.code !== null ? `exited with code ${exit.code}` : `was killed by ${exit.signal}`;
    reasons.push(`the server process ${how} before it answered initialize`);
  }
  if (reasons.length > 0) return reasons.join('; ');
  const seconds = requestTimeoutSeconds(error, (settings.read_timeout_seconds ?? DEFAULT_REQUEST_TIMEOUT_MSEC / 1000));
  if (seconds !== undefined) {
    return `the server did not answer initialize within ${seconds} s; raise read_timeout_seconds in its config if it needs longer to start`;
  }
  return transportFailure(error, settings);
}

/**
 * A transport's failure as a message: the address and the network's reason for one never
 * answered (fetch says only "fetch failed"), the status and a plain-text excerpt for an HTTP error
 * (servers answer with whole HTML pages), OAuth's own messages as they are.
 */
function transportFailure(error: unknown, settings: McpServerSettings): string {
  const message = errorMessage(error);
  if (error instanceof McpAuthError || error instanceof McpTokenError || error instanceof TokenFileError) return message;
  if (settings.url) {
    const where = urlForMessages(settings.url);
    // The SSE transport's EventSource keeps only the text of fetch's error ("TypeError: fetch failed: connect ECONNREFUSED ...").
    const network = networkCause(error) ?? (error instanceof SseError ? /fetch failed: (.+)$/.exec(message)?.[1] : undefined);
    if (network) return `could not reach ${where}: ${network}`;
    const status = (error as { code?: unknown }).code;
    if ((error instanceof StreamableHTTPError || error instanceof SseError) && typeof status === 'number' && status >= 100) {
      const detail = plainExcerpt(message.replace(/^(Streamable HTTP error|SSE error): /, '').replace(/^Non-200 status code \(\d+\)$/, ''));
      return `${where} answered HTTP ${status}${STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : ''}${detail ? ` (${detail})` : ''}`;
    }
  }
  return message.includes('<') ? plainExcerpt(message, 500) : message;
}
