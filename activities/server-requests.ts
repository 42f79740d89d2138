import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ErrorCode, type ContentBlock } from '@modelcontextprotocol/sdk/types.js';
import type { ConversationStore } from '../src/conversation/store';
import { errorChain } from '../src/error-causes';
import { modelReadableImage } from '../src/mcp/content';
import { McpErrorAnswer, USER_REJECTED } from '../src/mcp/errors';
import type { McpServerSettings } from '../src/mcp/pool';
import type { ServerRequest, ServerRequestHandler } from '../src/mcp/server-connection';
import {
  MCP_SERVER_REQUEST_UPDATE,
  MCP_SERVER_REQUEST_WITHDRAWN_SIGNAL,
  SAMPLING_REJECTED,
  serverRequestKey,
  type McpServerRequestAnswer,
  type McpServerRequestInRun,
  type McpServerRequestInput,
  type SamplingMediaPart,
  type SamplingPartInRun,
  type SamplingResourceWithoutBlob,
} from '../src/mcp/server-requests';

/** What the worker's config says when a server's `sampling` names no provider or model. */
export interface SamplingDefaults {
  provider: 'anthropic' | 'openai';
  models: Record<'anthropic' | 'openai', string>;
}

const DEFAULT_SAMPLING_MAX_TOKENS = 4096;
const DEFAULT_ELICITATION_TIMEOUT_SECONDS = 3600;

/**
 * The activity's side of a server's requests during a tool call (src/mcp/server-requests.ts): each
 * goes to the run that scheduled this activity as the `mcp_server_request` Update, and the Update's
 * result is the answer. The n-th request of the call gets the same Update id on every attempt
 * (activity id, n, a digest of what it asks), so when a worker dies mid-wait, the retried tool call
 * that asks the same again finds the answer given meanwhile, or waits on the same pending request.
 * A sampling request's images and audio leave their base64 data here (`withoutMediaData`): history
 * keeps the Update's input, so the images a model can read go to `store` and the run gets their
 * references. None for a local activity: the workflow task waits on it, so the run could not answer.
 */
export function serverRequestHandler(
  server: string,
  tool: string,
  settings: McpServerSettings,
  defaults: SamplingDefaults,
  store: Pick<ConversationStore, 'putImage'>,
): ServerRequestHandler | undefined {
  const context = Context.current();
  const { workflowExecution, activityId, isLocal } = context.info;
  // A standalone activity has no run to ask.
  if (isLocal || !workflowExecution) return undefined;
  return async (request, { signal, cancelledByServer, sequence }) => {
    const input: McpServerRequestInput = {
      // Of the request as sent, data included: a retry that asks the same gets the same key.
      key: serverRequestKey(activityId, sequence, digest(request)),
      server,
      tool,
      request: await withoutMediaData(request, store),
      ...(settings.sampling && {
        sampling: {
          provider: settings.sampling.provider ?? defaults.provider,
          model: settings.sampling.model ?? defaults.models[settings.sampling.provider ?? defaults.provider],
          maxTokens: settings.sampling.max_tokens ?? DEFAULT_SAMPLING_MAX_TOKENS,
          approve: settings.sampling.approve ?? false,
        },
      }),
      timeoutSeconds: settings.elicitation?.timeout_seconds ?? DEFAULT_ELICITATION_TIMEOUT_SECONDS,
    };
    context.log.info('MCP server request sent to the run', { server, tool, kind: request.kind, key: input.key });
    const { client } = context;
    const handle = client.workflow.getHandle(workflowExecution.workflowId, workflowExecution.runId);
    // The server gave up on its request (its own timeout, say): the person is no longer asked. Not
    // when this attempt ends (worker shutdown, a lost connection): the next one asks the same again.
    const withdraw = () => {
      if (context.cancellationSignal.aborted) return;
      handle.signal(MCP_SERVER_REQUEST_WITHDRAWN_SIGNAL, { key: input.key }).catch((error: unknown) =>
        context.log.warn('Could not withdraw an MCP server request', { key: input.key, error: (error as Error).message }),
      );
    };
    cancelledByServer.addEventListener('abort', withdraw, { once: true });
    let answer: McpServerRequestAnswer;
    try {
      answer = await client.withAbortSignal(AbortSignal.any([signal, context.cancellationSignal]), () =>
        handle.executeUpdate<McpServerRequestAnswer, [McpServerRequestInput]>(MCP_SERVER_REQUEST_UPDATE, {
          args: [input],
          updateId: input.key,
        }),
      );
    } catch (error) {
      if (signal.aborted || context.cancellationSignal.aborted) throw error;
      // The run refused the Update, or closed before it answered: the server hears why.
      const reason = error instanceof WorkflowUpdateFailedError ? rootMessage(error) : (error as Error).message;
      throw new McpErrorAnswer(ErrorCode.InternalError, `the run could not answer ${request.kind}: ${reason}`);
    }
    if (!answer.ok) throw new McpErrorAnswer(answer.message.startsWith(SAMPLING_REJECTED) ? USER_REJECTED : ErrorCode.InvalidRequest, answer.message);
    return answer.result;
  };
}

/**
 * The request as the run gets it: each image and audio part of a sampling message without its
 * base64 `data` (src/mcp/server-requests.ts, `SamplingMediaPart`). An image in a user message that
 * a model can read is stored first and carries its reference; the rest reach the model as notes.
 * The store is content-addressed, so a retried call stores the same image under the same key.
 */
export async function withoutMediaData(request: ServerRequest, store: Pick<ConversationStore, 'putImage'>): Promise<McpServerRequestInRun> {
  if (request.kind !== 'sampling') return request;
  const messages = await Promise.all(
    request.params.messages.map(async (message) => {
      const stripped = async (part: SamplingPartInRun): Promise<SamplingPartInRun> => {
        // A tool result's images are a note for the model, as the tool result itself is: none is stored.
        if (part.type === 'tool_result') return { ...part, content: part.content.map(withoutBinary) };
        if (!isMediaWithData(part)) return part;
        const found: MediaWithData = part;
        const media = withoutData(found);
        if (found.type === 'image' && message.role === 'user' && modelReadableImage(found)) media.ref = await store.putImage(found.data, found.mimeType);
        return media;
      };
      const content = Array.isArray(message.content) ? await Promise.all(message.content.map(stripped)) : await stripped(message.content);
      return { ...message, content };
    }),
  );
  return { kind: 'sampling', params: { ...request.params, messages } };
}

type MediaWithData = Extract<ContentBlock, { type: 'image' | 'audio' }>;

function isMediaWithData(part: unknown): part is MediaWithData {
  const { type, data } = (part ?? {}) as { type?: unknown; data?: unknown };
  return (type === 'image' || type === 'audio') && typeof data === 'string';
}

function withoutData({ data, ...rest }: MediaWithData): SamplingMediaPart {
  return { ...rest, bytes: Buffer.byteLength(data, 'base64') };
}

/** A tool result's block without base64: images and audio without `data`, an embedded resource without `blob`. */
type ToolResultBlock = ContentBlock | SamplingMediaPart | SamplingResourceWithoutBlob;

function withoutBinary(block: ToolResultBlock): ToolResultBlock {
  if (isMediaWithData(block)) return withoutData(block);
  if (block.type === 'resource' && 'blob' in block.resource) {
    const { uri, mimeType, blob } = block.resource;
    return { type: 'resource', resource: { uri, ...(mimeType && { mimeType }), bytes: Buffer.byteLength(blob, 'base64') } };
  }
  return block;
}

/** Bound to what the server asks, so that a retried call that asks something else is asked anew. */
function digest(request: ServerRequest): string {
  const params = { ...request.params } as Record<string, unknown>;
  delete params._meta;
  return createHash('sha256').update(JSON.stringify({ kind: request.kind, params })).digest('hex').slice(0, 16);
}

function rootMessage(error: Error): string {
  return [...errorChain(error)].pop()?.message ?? error.message;
}
