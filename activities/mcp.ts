import { Context } from '@temporalio/activity';
import { errorChain } from '../src/error-causes';
import { ApplicationFailure } from '@temporalio/common';
import { DEFAULT_REQUEST_TIMEOUT_MSEC } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ConversationStore } from '../src/conversation/store';
import type { ToolDefinition } from '../src/llm/messages';
import { toolResultImages, toolResultText } from '../src/mcp/content';
import { errorMessage, isRequestTimeout, McpConnectionError, UnknownMcpServerError } from '../src/mcp/errors';
import { McpAuthError } from '../src/mcp/oauth';
import { namespacedToolName } from '../src/mcp/naming';
import type { McpPool } from '../src/mcp/pool';
import { McpServerConfigError } from '../src/mcp/transports';
import { FailureTypes } from '../src/failure-types';
import type { Activities, McpCallToolInput, McpCallToolResult, McpListToolsInput, StoredToolList } from './contracts';
import { serverRequestHandler, type SamplingDefaults } from './server-requests';
import { toolNotifications } from './tool-notifications';
import type { DeltaPublisher } from '../src/streaming/nats';

/** Often enough that a heartbeat timeout of a few seconds notices a dead worker. */
const HEARTBEAT_INTERVAL_MS = 1000;

export type McpActivities = Pick<Activities, 'mcpListTools' | 'mcpCallTool'>;

/**
 * MCP activities over the worker's pool. Only what Temporal should act on fails the activity: an
 * unknown server or impossible server config (not retryable), an unreachable server (retryable).
 * Whatever the server answers, errors included, is a result for the model.
 */
export function createMcpActivities(
  pool: McpPool,
  conversations: ConversationStore,
  samplingDefaults: SamplingDefaults = { provider: 'openai', models: { openai: 'gpt-4o-mini', anthropic: 'claude-sonnet-4-5' } },
  live?: DeltaPublisher,
): McpActivities {
  async function mcpListTools({ server, store }: McpListToolsInput): Promise<ToolDefinition[] | StoredToolList> {
    const tools = (await inActivity(() => pool.listTools(server))).map((tool) => toolDefinition(server, tool));
    return store ? { key: await conversations.putJson(tools), names: tools.map((tool) => tool.name) } : tools;
  }

  async function mcpCallTool(input: McpCallToolInput): Promise<McpCallToolResult> {
    const { server, tool } = input;
    // A local activity has no heartbeats (and no run events of its own): its notifications go unused.
    const notifications = Context.current().info.isLocal ? undefined : toolNotifications(server, tool, live);
    return inActivity(async (signal) => {
      const offered = await findOfferedTool(pool, server, tool);
      if (!offered.found) return unknownTool(server, tool, offered.available);
      try {
        // The server's sampling and elicitation requests during the call are answered by the run.
        const onServerRequest = serverRequestHandler(server, tool, pool.settings(server), samplingDefaults, conversations);
        const result = await pool.callTool(server, tool, input.arguments ?? {}, {
          signal,
          onServerRequest,
          ...(notifications && { onProgress: notifications.onProgress, onLog: notifications.onLog }),
        });
        // A long result is stored once, and images always; history and the next LLM call carry their keys.
        const images = await Promise.all(toolResultImages(result).map((image) => conversations.putImage(image.data, image.mimeType)));
        return {
          ...(await conversations.storeText(toolResultText(result))),
          isError: result.isError === true,
          ...(images.length > 0 && { images }),
        };
      } catch (error) {
        // A server that cannot be reached, or cannot start at all, is the run's problem, not the model's.
        if (signal.aborted || error instanceof McpConnectionError || error instanceof McpServerConfigError) throw error;
        if (isRequestTimeout(error)) return timedOut(server, tool, pool.settings(server).read_timeout_seconds);
        return { content: errorMessage(error), isError: true };
      }
    }, notifications?.details);
  }

  return { mcpListTools, mcpCallTool };
}

export function toolDefinition(server: string, tool: Tool): ToolDefinition {
  return {
    name: namespacedToolName(server, tool.name),
    description: tool.description ?? tool.title ?? '',
    inputSchema: tool.inputSchema as Record<string, unknown>,
  };
}

/** A miss on the cached list is checked once against a fresh list: the server may have added it. */
async function findOfferedTool(
  pool: McpPool,
  server: string,
  tool: string,
): Promise<{ found: true } | { found: false; available: string[] }> {
  const cached = await pool.listTools(server);
  if (cached.some((t) => t.name === tool)) return { found: true };
  const fresh = await pool.listTools(server, { refresh: true });
  if (fresh.some((t) => t.name === tool)) return { found: true };
  return { found: false, available: fresh.map((t) => namespacedToolName(server, t.name)) };
}

function unknownTool(server: string, tool: string, available: string[]): McpCallToolResult {
  const list = available.length ? available.join(', ') : '(none)';
  return { content: `Unknown tool "${tool}" on server "${server}". Available: ${list}`, isError: true };
}

function timedOut(server: string, tool: string, seconds: number | undefined): McpCallToolResult {
  const limit = seconds ?? DEFAULT_REQUEST_TIMEOUT_MSEC / 1000;
  return { content: `Tool "${tool}" on server "${server}" did not answer within ${limit} seconds.`, isError: true };
}

/**
 * Heartbeats while `run` is in flight (with `details()`, e.g. a tool's latest progress), passes the
 * cancellation signal, and maps failures for Temporal.
 */
export async function inActivity<T>(run: (signal: AbortSignal) => Promise<T>, details?: () => unknown): Promise<T> {
  const context = Context.current();
  const signal = context.cancellationSignal;
  // A local activity (`local: true`) has no heartbeats: the server would not know it.
  const heartbeat = context.info.isLocal ? undefined : setInterval(() => context.heartbeat(details?.()), HEARTBEAT_INTERVAL_MS);
  try {
    return await run(signal);
  } catch (error) {
    throw signal.aborted ? signal.reason : temporalFailure(error);
  } finally {
    clearInterval(heartbeat);
  }
}

function temporalFailure(error: unknown): unknown {
  if (error instanceof UnknownMcpServerError) {
    return ApplicationFailure.create({ type: FailureTypes.UnknownMcpServer, message: error.message, nonRetryable: true });
  }
  if (error instanceof McpServerConfigError) {
    return ApplicationFailure.create({ type: FailureTypes.McpConnectionFailed, message: error.message, nonRetryable: true });
  }
  if (error instanceof McpConnectionError) {
    // Credentials the server refuses stay refused: fail at once instead of retrying for minutes.
    return ApplicationFailure.create({ type: FailureTypes.McpConnectionFailed, message: error.message, nonRetryable: refusedCredentials(error) });
  }
  return error;
}

/**
 * A 401 or 403 from the server (its HTTP status on the error, or in the message that reports it), or
 * OAuth credentials its authorization server refused (or a login that was never made).
 */
function refusedCredentials(error: unknown): boolean {
  return [...errorChain(error)].some((current) => {
    if (current instanceof McpAuthError) return true;
    const code = (current as { code?: unknown }).code;
    return code === 401 || code === 403 || /\bHTTP (401|403)\b/.test(current.message);
  });
}
