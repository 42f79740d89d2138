import type { FastifyBaseLogger } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { DEFAULT_REQUEST_TIMEOUT_MSEC } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { formatPath } from '../../config/problems';
import type { Config } from '../../config/schema';
import { isNotFoundAnswer, McpConnectionError, McpNotOfferedError, requestTimeoutSeconds, serverAnswer, UnknownMcpServerError } from '../../mcp/errors';
import { McpPool } from '../../mcp/pool';
import { hasPromptArgumentProblems, promptArgumentProblems, promptArgumentsMessage } from '../../mcp/prompt-arguments';
import { McpServerConfigError } from '../../mcp/transports';
import { ApiError } from '../errors';
import {
  bodyErrors,
  errorBodySchema,
  getPromptBody,
  mcpPromptResultSchema,
  mcpPromptsSchema,
  mcpResourceContentsSchema,
  mcpResourcesSchema,
  mcpServersSchema,
  mcpToolsSchema,
  noQuery,
  readResourceQuery,
  serverNameParams,
  serverPromptParams,
} from '../schemas';

export interface ServerRouteOptions {
  config: Config;
  logger: FastifyBaseLogger;
  /** The API's own MCP pool; by default one from `config.mcp.servers`, closed with the app. */
  pool?: McpPool;
}

/** What the request was after, for error codes and messages. */
type Wanted = { kind: 'tools' | 'resources' | 'prompts' } | { kind: 'resource'; uri: string } | { kind: 'prompt'; name: string };

/**
 * An MCP failure as the API's error: unknown server 404, unreachable 503, too slow 504; the
 * server's own answer 404 when it has no such resource or prompt, 400 for a prompt's arguments it
 * refuses, 422 otherwise.
 */
export function mcpApiError(error: unknown, server: string, wanted: Wanted, readTimeoutSeconds?: number): unknown {
  if (error instanceof UnknownMcpServerError) {
    return new ApiError(404, 'server_not_found', `${error.message}.`);
  }
  // Before the connection failures: a server that never answered initialize is a failed connect
  // whose cause is the timeout, and says more as one than as "unavailable".
  const seconds = requestTimeoutSeconds(error, readTimeoutSeconds ?? DEFAULT_REQUEST_TIMEOUT_MSEC / 1000);
  if (seconds !== undefined) {
    const during = error instanceof McpConnectionError ? 'while connecting (initialize)' : `(${WANTED_WORDS[wanted.kind]})`;
    return new ApiError(
      504,
      'mcp_server_timeout',
      `MCP server "${server}" did not answer within ${seconds} s ${during}; raise mcp.servers.${server}.read_timeout_seconds if it needs longer.`,
    );
  }
  if (error instanceof McpConnectionError || error instanceof McpServerConfigError) {
    // The message's first line; a stdio server's stderr goes in the details, not in the sentence.
    const stderr = error instanceof McpConnectionError ? error.stderr : undefined;
    return new ApiError(503, 'mcp_server_unavailable', error.message.split('\n', 1)[0], stderr && { stderr: stderr.join('\n') });
  }
  if (error instanceof McpNotOfferedError) return notFound(server, wanted, `${error.message}.`);
  const answer = serverAnswer(error);
  if (!answer) return error;
  if ((wanted.kind === 'resource' || wanted.kind === 'prompt') && isNotFoundAnswer(answer)) return notFound(server, wanted, `${answer.message}.`);
  if (wanted.kind === 'prompt' && answer.code === ErrorCode.InvalidParams) {
    return new ApiError(400, 'invalid_prompt_arguments', `MCP server "${server}" refused the arguments of prompt "${wanted.name}": ${answer.message}`);
  }
  return new ApiError(422, 'mcp_server_error', `MCP server "${server}" answered with an error: ${answer.message}`, { code: answer.code });
}

const WANTED_WORDS: Record<Wanted['kind'], string> = {
  tools: 'listing its tools',
  resources: 'listing its resources',
  prompts: 'listing its prompts',
  resource: 'reading a resource',
  prompt: 'getting a prompt',
};

function notFound(server: string, wanted: Wanted, reason: string): ApiError {
  if (wanted.kind === 'prompt') return new ApiError(404, 'prompt_not_found', `MCP server "${server}" has no prompt "${wanted.name}": ${reason}`);
  const uri = wanted.kind === 'resource' ? ` "${wanted.uri}"` : '';
  return new ApiError(404, 'resource_not_found', `MCP server "${server}" has no resource${uri}: ${reason}`);
}

const errors = { 404: errorBodySchema, 503: errorBodySchema, 504: errorBodySchema };

/**
 * The config's MCP servers, reached from the API process through a pool of its own (the workers
 * have theirs): sessions open on first use and close with the app. Stdio servers are started here
 * too, with the same config as the worker's.
 */
export const serverRoutes: FastifyPluginAsyncZod<ServerRouteOptions> = async (app, options) => {
  const { config } = options;
  const pool = options.pool ?? new McpPool(config.mcp.servers, options.logger);
  if (!options.pool) app.addHook('onClose', () => pool.close());
  const names = Object.keys(config.mcp.servers);
  const params = serverNameParams(names);

  async function ask<T>(server: string, wanted: Wanted, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw mcpApiError(error, server, wanted, config.mcp.servers[server]?.read_timeout_seconds);
    }
  }

  app.get(
    '/servers',
    { schema: { summary: 'The MCP servers of the config', tags: ['servers'], querystring: noQuery, response: { 200: mcpServersSchema, 400: errorBodySchema } } },
    async () => ({
      servers: Object.entries(config.mcp.servers).map(([name, server]) => ({
        name,
        transport: server.transport,
        ...(server.description !== undefined && { description: server.description }),
      })),
    }),
  );

  app.get(
    '/servers/:name/tools',
    {
      schema: {
        summary: "A server's tools, as it lists them (after allowed_tools)",
        tags: ['servers'],
        params,
        querystring: noQuery,
        response: { 200: mcpToolsSchema, 400: errorBodySchema, ...errors },
      },
    },
    async (request) => {
      const { name } = request.params;
      return { tools: await ask(name, { kind: 'tools' }, () => pool.listTools(name)) };
    },
  );

  app.get(
    '/servers/:name/resources',
    {
      schema: {
        summary: "A server's resources and resource templates, as it lists them (empty when it offers none)",
        tags: ['servers'],
        params,
        querystring: noQuery,
        response: { 200: mcpResourcesSchema, 400: errorBodySchema, ...errors },
      },
    },
    async (request) => {
      const { name } = request.params;
      const [resources, resourceTemplates] = await ask(name, { kind: 'resources' }, () =>
        Promise.all([pool.listResources(name), pool.listResourceTemplates(name)]),
      );
      return { resources, resourceTemplates };
    },
  );

  app.get(
    '/servers/:name/resources/read',
    {
      schema: {
        summary: 'Read one resource of a server',
        description: 'Text parts come as `text`, binary parts as base64 `blob` with their `mimeType`.',
        tags: ['servers'],
        params,
        querystring: readResourceQuery,
        response: { 200: mcpResourceContentsSchema, 400: errorBodySchema, 422: errorBodySchema, ...errors },
      },
    },
    async (request) => {
      const { name } = request.params;
      const { uri } = request.query;
      const result = await ask(name, { kind: 'resource', uri }, () => pool.readResource(name, uri));
      return { contents: result.contents };
    },
  );

  app.get(
    '/servers/:name/prompts',
    {
      schema: {
        summary: "A server's prompts, as it lists them (empty when it offers none)",
        tags: ['servers'],
        params,
        querystring: noQuery,
        response: { 200: mcpPromptsSchema, 400: errorBodySchema, ...errors },
      },
    },
    async (request) => {
      const { name } = request.params;
      return { prompts: await ask(name, { kind: 'prompts' }, () => pool.listPrompts(name)) };
    },
  );

  app.post(
    '/servers/:name/prompts/:prompt',
    {
      schema: {
        summary: 'Get one prompt of a server, with its arguments',
        tags: ['servers'],
        params: serverPromptParams(names),
        querystring: noQuery,
        body: getPromptBody,
        response: { 200: mcpPromptResultSchema, 400: errorBodySchema, 422: errorBodySchema, ...bodyErrors, ...errors },
      },
    },
    async (request) => {
      const { name, prompt } = request.params;
      const args = request.body?.arguments ?? {};
      const wanted: Wanted = { kind: 'prompt', name: prompt };
      const listed = await ask(name, wanted, () => pool.listPrompts(name));
      const declared = listed.find((candidate) => candidate.name === prompt);
      if (!declared) {
        const available = listed.length > 0 ? listed.map((candidate) => candidate.name).join(', ') : '(none)';
        throw new ApiError(404, 'prompt_not_found', `MCP server "${name}" has no prompt "${prompt}". Its prompts: ${available}.`);
      }
      // Checked here, against the server's own list: servers take arguments they do not declare
      // without a word (server-everything fills its template and drops the rest).
      const problems = promptArgumentProblems(declared.arguments, args);
      if (hasPromptArgumentProblems(problems)) {
        throw new ApiError(400, 'invalid_prompt_arguments', promptArgumentsMessage(name, prompt, declared.arguments, problems), [
          ...problems.missing.map((argument) => ({ path: formatPath(['body', 'arguments', argument]), message: 'required' })),
          ...problems.unknown.map((argument) => ({ path: formatPath(['body', 'arguments', argument]), message: 'unknown argument' })),
        ]);
      }
      return ask(name, wanted, () => pool.getPrompt(name, prompt, args));
    },
  );
};
