import { McpServer, type RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { CallToolRequestSchema, type CallToolResult, type ServerNotification, type ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { isClosedRunStatus, type Run } from '../../client/run-view';
import type { RunsClient } from '../../client/runs';
import { ApiError, logApiError, toApiError } from '../api/errors';
import {
  cancelBody,
  MAX_WAIT_SECONDS,
  messageRunSchema,
  provideInputBody,
  runSchema,
  sendMessageBody,
  sendMessageHeaders,
  startRunBody,
  workflowNameParams,
  workflowsSchema,
} from '../api/schemas';
import { formatPath, formatProblem, zodIssueProblems } from '../config/problems';
import { checkInput, listWorkflows, resolveRun } from '../config/resolve';
import { packageManifest } from '../package-info';
import { approvalDecisionSchema } from '../patterns/human-input';
import type { Config } from '../config/schema';

/**
 * The workflows as MCP tools (contract section 8), so any MCP client can list, run, watch,
 * pause, resume, answer and cancel runs. Inputs reuse the API's request schemas and every result
 * is the API's Run object; failures are tool errors carrying the API's `{"error": {code, message}}`
 * body, so a model reads why and can try again.
 */

export interface McpServerLogger {
  error(details: object, message: string): void;
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

export interface WorkflowsMcpServerOptions {
  config: Config;
  runs: RunsClient;
  /** Where failed tool calls are logged, as the API logs failed requests (logApiError); callers see only code and message. */
  logger?: McpServerLogger;
}

export const MCP_SERVER_NAME = 'mcp-agent';

/** While a run is awaited, a progress notification this often keeps clients' request timeouts from firing. */
const PROGRESS_INTERVAL_MS = 5000;

const runIdShape = { run_id: z.string().min(1).describe('The run id (its Temporal workflow ID)') };

export const runToolInput = z
  .object({
    name: workflowNameParams.shape.name,
    ...startRunBody.shape,
    spec: startRunBody.shape.spec.describe(
      'Only for ad-hoc runs (when `name` is a pattern type); `type` may be left out. Its `max_cost` (USD) and `max_tokens` set a budget for the run and all its children',
    ),
    wait_seconds: z
      .number()
      .min(0)
      .optional()
      .describe(
        `Seconds to wait for the run's answer (it closes, or a conversation is idle) or its request to a person; at most ${MAX_WAIT_SECONDS} are used`,
      ),
  })
  .strict();

export const runIdInput = z.object(runIdShape).strict();

/** workflows-list takes no arguments; one sent anyway is refused like any unknown argument, not ignored. */
const noArguments = z.object({}).strict();

const cancelInput = z.object({ ...runIdShape, reason: cancelBody.unwrap().shape.reason }).strict();

/**
 * The Run schema without its OpenAPI id: with one, its JSON Schema is a `$ref` to a definition,
 * and MCP wants an output schema whose top level is an object.
 */
export const runOutput = z.object(runSchema.shape);

/**
 * The answer's schema spelled out, so that generic MCP clients (the MCP Inspector builds forms
 * from it) can send an approval object as easily as a line of text.
 */
const inputValue = z
  .union([
    approvalDecisionSchema.describe('For an approval: {"approved": true|false, "reason"?: "..."}'),
    z.string().describe('For an input request: the answer as text'),
    z.number(),
    z.boolean(),
    z.array(z.unknown()),
    z.record(z.string(), z.unknown()),
  ])
  .describe('The answer: {approved, reason?} for an approval; text or any JSON for an input request');

export const provideInputToolInput = z
  .object({ ...runIdShape, value: inputValue, request_id: provideInputBody.shape.requestId })
  .strict();

export const sendMessageToolInput = z
  .object({
    ...runIdShape,
    input: sendMessageBody.shape.input,
    message_id: sendMessageHeaders.shape['idempotency-key'],
    wait_seconds: z
      .number()
      .min(0)
      .optional()
      .describe(`Seconds to wait for the answer to this message (or a request to a person); at most ${MAX_WAIT_SECONDS} are used`),
  })
  .strict();

export const messageRunOutput = z.object(messageRunSchema.shape);

type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

function success(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], structuredContent: value };
}

/**
 * An error result has no structuredContent: clients check structured content against the tool's
 * output schema, and an error body is not a Run.
 */
function failure(error: unknown, logger: McpServerLogger | undefined): CallToolResult {
  const apiError = toApiError(error);
  if (logger) logApiError(logger, apiError, error);
  return { content: [{ type: 'text', text: JSON.stringify(apiError.body()) }], isError: true };
}

/** The value at `path` in the arguments; undefined where a key on the way is missing. */
function valueAt(args: unknown, path: readonly PropertyKey[]): unknown {
  let value = args;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * Arguments that do not match a tool's input schema: the API's 400 for a bad body, with each
 * argument named by its path (`value: required`, `wait_seconds: too small: ...`). An argument left
 * out is `required`, not zod's list of the types it could have had.
 */
export function invalidArguments(tool: string, args: unknown, issues: readonly z.core.$ZodIssue[]): ApiError {
  const problems = zodIssueProblems(issues).map((problem) =>
    problem.path.length > 0 && valueAt(args, problem.path) === undefined ? { ...problem, message: 'required' } : problem,
  );
  const summary = problems.map(formatProblem).join('; ');
  return new ApiError(
    400,
    'invalid_request',
    `The arguments of ${tool} are not valid: ${summary}.`,
    problems.map((problem) => ({ path: formatPath(problem.path), message: problem.message })),
  );
}

async function answer(work: () => Promise<Record<string, unknown>>, logger: McpServerLogger | undefined): Promise<CallToolResult> {
  try {
    return success(await work());
  } catch (error) {
    return failure(error, logger);
  }
}

/** Sends progress while `work` runs, if the client asked for it by giving a progress token. */
async function withProgress<T>(extra: ToolExtra, message: string, work: Promise<T>): Promise<T> {
  const progressToken = extra._meta?.progressToken;
  if (progressToken === undefined) return work;
  let progress = 0;
  const timer = setInterval(() => {
    progress += 1;
    extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, message } }).catch(() => {
      // The client went away; the wait ends by itself.
    });
  }, PROGRESS_INTERVAL_MS);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

async function startRun(runs: RunsClient, config: Config, input: z.infer<typeof runToolInput>, extra: ToolExtra): Promise<Run> {
  // The spec is resolved now, so a later config change never alters this run.
  const resolved = resolveRun(config, input.name, input.spec);
  checkInput(resolved, input.input);
  const { run } = await runs.start({ ...resolved, input: input.input, id: input.id });
  const wait = Math.min(input.wait_seconds ?? 0, MAX_WAIT_SECONDS);
  if (wait === 0 || isClosedRunStatus(run.status)) return run;
  return withProgress(extra, `waiting for run ${run.runId}`, runs.waitForAnswer(run.runId, wait));
}

async function sendMessage(runs: RunsClient, input: z.infer<typeof sendMessageToolInput>, extra: ToolExtra) {
  const { turn } = await runs.sendMessage(input.run_id, input.input, { ...(input.message_id && { messageId: input.message_id }) });
  const wait = Math.min(input.wait_seconds ?? 0, MAX_WAIT_SECONDS);
  const { run, answer } = await withProgress(extra, `waiting for turn ${turn} of ${input.run_id}`, runs.waitForTurn(input.run_id, turn, wait));
  return { ...run, turn, ...(answer && { answer }) };
}

export function createWorkflowsMcpServer({ config, runs, logger }: WorkflowsMcpServerOptions): McpServer {
  const server = new McpServer(
    { name: MCP_SERVER_NAME, version: packageManifest().version },
    {
      instructions:
        'Runs AI agent workflows on Temporal. workflows-list names them; workflows-run starts one and returns its Run ' +
        '(runId, status, result once completed); follow a run with workflows-get_status, answer a waiting_for_input ' +
        'run with workflows-provide_input; talk to a conversation run with workflows-send_message.',
    },
  );

  const tools = new Map<string, RegisteredTool>();
  const registerTool: McpServer['registerTool'] = (name, config, callback) => {
    const registered = server.registerTool(name, config, callback);
    tools.set(name, registered);
    return registered;
  };

  registerTool(
    'workflows-list',
    {
      title: 'List workflows',
      description: 'The workflows this server can run, from its config file, with their pattern type.',
      inputSchema: noArguments,
      outputSchema: workflowsSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async () => answer(async () => ({ workflows: listWorkflows(config) }), logger),
  );

  registerTool(
    'workflows-run',
    {
      title: 'Run a workflow',
      description:
        'Starts a run of a config workflow (or of an ad-hoc `spec` when `name` is a pattern type such as "agent") and ' +
        'returns the Run. With wait_seconds it answers once the run closes (a conversation: once it is idle after ' +
        'answering), waits for input (see pendingInput), or that time passes, whichever is first; ' +
        'a run still going can be followed with workflows-get_status.',
      inputSchema: runToolInput,
      outputSchema: runOutput,
      // Idempotent only with an `id`; without one every call starts another run.
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    async (input, extra) => answer(() => startRun(runs, config, input, extra), logger),
  );

  registerTool(
    'workflows-get_status',
    {
      title: 'Get a run',
      description:
        'The Run: status (running, paused, waiting_for_input, completed, failed, cancelled, terminated, timed_out), ' +
        'result or error once closed, the pending input request while waiting, and token usage.',
      inputSchema: runIdInput,
      outputSchema: runOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ run_id }) => answer(() => runs.get(run_id), logger),
  );

  registerTool(
    'workflows-pause',
    {
      title: 'Pause a run',
      description: 'Pauses the run at its next step boundary; workflows-resume lets it go on.',
      inputSchema: runIdInput,
      outputSchema: runOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async ({ run_id }) => answer(() => runs.pause(run_id), logger),
  );

  registerTool(
    'workflows-resume',
    {
      title: 'Resume a run',
      description: 'Resumes a paused run.',
      inputSchema: runIdInput,
      outputSchema: runOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async ({ run_id }) => answer(() => runs.resume(run_id), logger),
  );

  registerTool(
    'workflows-provide_input',
    {
      title: 'Answer a run',
      description:
        "Answers the run's pending request (see pendingInput in its Run): any JSON value for an input request, " +
        '{"approved": true|false, "reason"?: "..."} for an approval, {"action": "accept" | "decline" | "cancel", "content"?: {...}} ' +
        "matching the request's schema for an elicitation. request_id defaults to the oldest pending request.",
      inputSchema: provideInputToolInput,
      outputSchema: runOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    async ({ run_id, value, request_id }) => answer(() => runs.provideInput(run_id, { value, requestId: request_id }), logger),
  );

  registerTool(
    'workflows-send_message',
    {
      title: 'Message a conversation',
      description:
        'Sends the next message to a conversation run (one started from a workflow with conversation: true) and ' +
        'returns the Run with the turn that answers it. With wait_seconds it answers once that turn is done, with ' +
        "`answer`: that turn's own outcome and text (the Run's result is the latest answer), or as soon as the run " +
        'waits for input (see pendingInput).',
      inputSchema: sendMessageToolInput,
      outputSchema: messageRunOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    async (input, extra) => answer(() => sendMessage(runs, input, extra), logger),
  );

  registerTool(
    'workflows-close',
    {
      title: 'Close a conversation',
      description: 'Ends a conversation run once its running turn and queued messages are answered; it completes with its last answer.',
      inputSchema: runIdInput,
      outputSchema: runOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async ({ run_id }) => answer(() => runs.close(run_id), logger),
  );

  registerTool(
    'workflows-cancel',
    {
      title: 'Cancel a run',
      description: 'Cancels the run and its running activities; the run ends as cancelled.',
      inputSchema: cancelInput,
      outputSchema: runOutput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ run_id, reason }) => answer(() => runs.cancel(run_id, reason ?? 'cancelled through MCP'), logger),
  );

  answerToolCalls(server, tools, logger);
  return server;
}

/**
 * tools/call answered here rather than by the SDK's McpServer, which checks the arguments itself
 * and answers a mismatch with its own text (`MCP error -32602: Input validation error: Invalid
 * arguments for tool ...`) before a handler runs. Every failure of these tools is the API's error
 * body, so a bad argument is too: a tool error with `invalid_request` naming the argument, as the
 * API's 400 for a bad body. The tools stay registered with McpServer, which lists them with the
 * same schemas that are checked here. Installed last: McpServer sets its own handler when the first
 * tool is registered, and this replaces it.
 */
function answerToolCalls(server: McpServer, tools: ReadonlyMap<string, RegisteredTool>, logger: McpServerLogger | undefined): void {
  server.server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name } = request.params;
    const tool = tools.get(name);
    if (!tool) {
      const known = [...tools.keys()].join(', ');
      return failure(new ApiError(404, 'tool_not_found', `There is no tool "${name}"; the tools are ${known}.`), logger);
    }
    const args = request.params.arguments ?? {};
    const parsed = (tool.inputSchema as z.ZodType).safeParse(args);
    if (!parsed.success) return failure(invalidArguments(name, args, parsed.error.issues), logger);
    // Every tool here has an input schema, so its handler takes the parsed arguments first.
    const handler = tool.handler as (args: unknown, extra: ToolExtra) => Promise<CallToolResult>;
    try {
      return await handler(parsed.data, extra);
    } catch (error) {
      return failure(error, logger);
    }
  });
}
