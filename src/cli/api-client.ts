import type { Run, RunViewStatus } from '../../client/run-view';
import type { TranscriptPage } from '../../client/transcripts';
import { CliError, ExitCode } from './exit-codes';
import { readSse, type SseEvent } from './sse';

/**
 * The HTTP API as the CLI uses it. Every failure becomes a CliError with the exit code that says
 * whose it is: 3 when the API answered with an error (its own message is shown), 4 when it could
 * not be reached.
 */

export interface WorkflowSummary {
  name: string;
  type: string;
  description: string;
}

export interface ServerSummary {
  name: string;
  transport: string;
  description?: string;
}

/** What the CLI reads of the MCP objects the API passes on as the servers list them. */
export interface ToolSummary {
  name: string;
  title?: string;
  description?: string;
}

export interface ResourceSummary {
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
}

export interface ResourceTemplateSummary {
  uriTemplate: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
}

export interface PromptSummary {
  name: string;
  title?: string;
  description?: string;
  arguments?: { name: string; description?: string; required?: boolean }[];
}

export interface ResourceContent {
  uri: string;
  mimeType?: string;
  text?: string;
  blob?: string;
}

export interface PromptContent {
  description?: string;
  messages: { role: string; content: { type: string; text?: string; [key: string]: unknown } }[];
}

export interface StartRunRequest {
  input: unknown;
  id?: string;
  spec?: Record<string, unknown>;
}

export interface ListRunsFilter {
  status?: RunViewStatus;
  workflow?: string;
  limit?: number;
}

export interface InputRequest {
  value: unknown;
  requestId?: string;
}

/** A reply's parsed body and the text it came from, which `--json` prints verbatim. */
export interface ApiReply<T> {
  status: number;
  body: T;
  text: string;
}

export type RunControl = 'pause' | 'resume' | 'cancel';

/** A conversation's reply to a message: the Run, and the turn the message starts or waits for. */
export type MessageRun = Run & { turn: number };

/** undici reports a refused connection as `TypeError: fetch failed` with the system error as its cause. */
function unreachableReason(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** The API answered with an error: its status, code and details let a command say it in its own words. */
export class ApiAnswerError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    readonly details: unknown,
    message: string,
  ) {
    super(ExitCode.ApiError, message);
    this.name = 'ApiAnswerError';
  }
}

function apiError(status: number, statusText: string, text: string): ApiAnswerError {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    if (typeof body.error?.message === 'string') {
      const code = typeof body.error.code === 'string' ? body.error.code : undefined;
      return new ApiAnswerError(status, code, body.error.details, `${body.error.message} (HTTP ${status}${code ? ` ${code}` : ''})`);
    }
  } catch {
    // Not our API's error shape; say what came back instead.
  }
  return new ApiAnswerError(status, undefined, undefined, `the API answered HTTP ${status} ${statusText}`.trimEnd());
}

export class ApiClient {
  private readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly token?: string,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  workflows(): Promise<ApiReply<{ workflows: WorkflowSummary[] }>> {
    return this.json('GET', '/workflows');
  }

  servers(): Promise<ApiReply<{ servers: ServerSummary[] }>> {
    return this.json('GET', '/servers');
  }

  tools(server: string): Promise<ApiReply<{ tools: ToolSummary[] }>> {
    return this.json('GET', `${serverPath(server)}/tools`);
  }

  resources(server: string): Promise<ApiReply<{ resources: ResourceSummary[]; resourceTemplates: ResourceTemplateSummary[] }>> {
    return this.json('GET', `${serverPath(server)}/resources`);
  }

  prompts(server: string): Promise<ApiReply<{ prompts: PromptSummary[] }>> {
    return this.json('GET', `${serverPath(server)}/prompts`);
  }

  readResource(server: string, uri: string): Promise<ApiReply<{ contents: ResourceContent[] }>> {
    return this.json('GET', `${serverPath(server)}/resources/read?uri=${encodeURIComponent(uri)}`);
  }

  getPrompt(server: string, prompt: string, args: Record<string, string>): Promise<ApiReply<PromptContent>> {
    return this.json('POST', `${serverPath(server)}/prompts/${encodeURIComponent(prompt)}`, { arguments: args });
  }

  startRun(workflow: string, request: StartRunRequest): Promise<ApiReply<Run>> {
    return this.json('POST', `/workflows/${encodeURIComponent(workflow)}/run`, request);
  }

  run(runId: string): Promise<ApiReply<Run>> {
    return this.json('GET', runPath(runId));
  }

  /** 200 once the run has closed, 202 if it is still open after `waitSeconds`. */
  result(runId: string, waitSeconds: number): Promise<ApiReply<Run>> {
    return this.json('GET', `${runPath(runId)}/result?wait=${waitSeconds}`);
  }

  listRuns(filter: ListRunsFilter): Promise<ApiReply<{ runs: Run[] }>> {
    const query = new URLSearchParams();
    if (filter.status) query.set('status', filter.status);
    if (filter.workflow) query.set('workflow', filter.workflow);
    if (filter.limit !== undefined) query.set('limit', String(filter.limit));
    const search = query.toString();
    return this.json('GET', search ? `/runs?${search}` : '/runs');
  }

  /** Pause, resume or cancel; `body` is the cancel's `{reason}`. */
  control(runId: string, action: RunControl, body?: { reason: string }): Promise<ApiReply<Run>> {
    return this.json('POST', `${runPath(runId)}/${action}`, body);
  }

  provideInput(runId: string, request: InputRequest): Promise<ApiReply<Run>> {
    return this.json('POST', `${runPath(runId)}/input`, request);
  }

  /** A conversation's next message; 202 at once, with the turn it starts or is queued for. */
  sendMessage(runId: string, input: unknown): Promise<ApiReply<MessageRun>> {
    return this.json('POST', `${runPath(runId)}/messages`, { input });
  }

  /** A page of the run's transcript, oldest message first; `next` is the cursor of the page after. */
  messages(runId: string, cursor?: string): Promise<ApiReply<TranscriptPage>> {
    return this.json('GET', `${runPath(runId)}/messages${cursor === undefined ? '' : `?cursor=${encodeURIComponent(cursor)}`}`);
  }

  /** Asks a conversation to complete once its running turn and queued messages are answered. */
  close(runId: string): Promise<ApiReply<Run>> {
    return this.json('POST', `${runPath(runId)}/close`);
  }

  /**
   * The run's event stream from the start, or from after `lastEventId`; it ends when the run
   * closes, or when `signal` aborts (a chat that detaches from a conversation still open).
   */
  async *events(runId: string, lastEventId?: string, signal?: AbortSignal): AsyncGenerator<SseEvent> {
    const response = await this.fetch(
      'GET',
      `${runPath(runId)}/events`,
      { accept: 'text/event-stream', ...(lastEventId !== undefined && { 'last-event-id': lastEventId }) },
      undefined,
      signal,
    );
    if (!response.ok) throw apiError(response.status, response.statusText, await response.text());
    if (!response.body) return;
    try {
      yield* readSse(response.body);
    } catch (error) {
      throw new CliError(ExitCode.Unreachable, `lost the event stream from ${this.baseUrl}: ${unreachableReason(error)}`);
    }
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<ApiReply<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await this.fetch(method, path, headers, body === undefined ? undefined : JSON.stringify(body));
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new CliError(ExitCode.Unreachable, `lost the connection to ${this.baseUrl}: ${unreachableReason(error)}`);
    }
    if (!response.ok) throw apiError(response.status, response.statusText, text);
    try {
      return { status: response.status, body: JSON.parse(text) as T, text };
    } catch {
      throw new CliError(ExitCode.ApiError, `${this.baseUrl}${path} did not answer with JSON; is that the mcp-agent API?`);
    }
  }

  private async fetch(method: string, path: string, headers: Record<string, string>, body?: string, signal?: AbortSignal): Promise<Response> {
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    try {
      return await fetch(`${this.baseUrl}${path}`, { method, headers, body, signal });
    } catch (error) {
      throw new CliError(ExitCode.Unreachable, `cannot reach the API at ${this.baseUrl}: ${unreachableReason(error)}`);
    }
  }
}

function serverPath(server: string): string {
  return `/servers/${encodeURIComponent(server)}`;
}

function runPath(runId: string): string {
  return `/runs/${encodeURIComponent(runId)}`;
}
