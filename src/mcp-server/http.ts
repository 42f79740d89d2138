import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { RunsClient } from '../../client/runs';
import type { Config } from '../config/schema';
import { createWorkflowsMcpServer } from './server';

/**
 * The workflows' MCP server over streamable HTTP at `/mcp` of the API. It is stateless: every
 * POST gets its own server and transport, so any API replica can answer any request and nothing
 * is kept between them. The answer (with progress notifications while a run is awaited) streams
 * back on the POST itself; there is no session, so no standalone GET stream and nothing to DELETE.
 * The API's bearer-token hook guards this route like the others. It stays out of the OpenAPI
 * document, which cannot describe JSON-RPC; MCP clients learn the tools from the server itself.
 */

export const MCP_PATH = '/mcp';

const JSON_RPC_PARSE_ERROR = -32700;

export interface McpRouteOptions {
  config: Config;
  runs: RunsClient;
}

/** The SDK's own answer for methods a stateless server does not offer (clients expect this shape). */
function methodNotAllowed(reply: FastifyReply): FastifyReply {
  return reply
    .code(405)
    .header('allow', 'POST')
    .send({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this MCP server is stateless; POST to it.' }, id: null });
}

export const mcpRoutes: FastifyPluginAsync<McpRouteOptions> = async (app, { config, runs }) => {
  const undocumented = { schema: { hide: true } };

  // A JSON-RPC client is answered in JSON-RPC, even before its request reaches the server.
  app.setErrorHandler((error, _request, reply) => {
    if ((error as { code?: string }).code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return reply.code(400).send({ jsonrpc: '2.0', error: { code: JSON_RPC_PARSE_ERROR, message: 'Parse error: the body is not JSON.' }, id: null });
    }
    throw error;
  });

  app.post(MCP_PATH, undocumented, async (request, reply) => {
    const server = createWorkflowsMcpServer({ config, runs, logger: request.log });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    // Closing the server closes its transport too.
    reply.raw.on('close', () => void server.close());
    await server.connect(transport);
    reply.hijack();
    await transport.handleRequest(request.raw, reply.raw, request.body);
  });
  app.get(MCP_PATH, undocumented, async (_request, reply) => methodNotAllowed(reply));
  app.delete(MCP_PATH, undocumented, async (_request, reply) => methodNotAllowed(reply));
};
