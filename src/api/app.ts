import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { RunsClient } from '../../client/runs';
import type { Config } from '../config/schema';
import type { Storage } from '../storage/open';
import { mcpRoutes } from '../mcp-server/http';
import { requireBearerTokens } from './auth';
import { ApiError, toApiError } from './errors';
import { ConversationStore } from '../conversation/store';
import { codecRoutes } from './routes/codec';
import { conversationRoutes } from './routes/conversations';
import { runEventRoutes } from './routes/events';
import { healthRoutes } from './routes/health';
import { runRoutes } from './routes/runs';
import { workflowRoutes } from './routes/workflows';
import { BODY_LIMIT_BYTES } from './schemas';
import { zodValidatorCompiler } from './validation';

export interface ApiDeps {
  config: Config;
  /** A client for `config.temporal`'s namespace; the task queue comes from the config too. */
  client: Client;
  /** The store the client's data converter reads large payloads from; transcripts are read from it too. */
  storage: Storage;
  /** Base of the Web UI links in Run objects (TEMPORAL_UI_URL). */
  uiUrl: string;
  logger: FastifyBaseLogger;
}

/**
 * JSON bodies only (a text body gets 415 "send JSON" rather than a confusing type error), and an
 * empty one counts as no body: `POST /runs/x/pause` needs none.
 */
function acceptJsonBodiesOnly(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text.trim() === '') done(null, undefined);
    else parseJson(request, text, done);
  });
}

/** The HTTP API of contract section 6, ready to `listen` or to `inject` in tests. */
export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.logger, bodyLimit: BODY_LIMIT_BYTES });
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  acceptJsonBodiesOnly(app);

  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) request.log.error({ err: error }, apiError.message);
    return reply.code(apiError.status).send(apiError.body());
  });
  app.setNotFoundHandler((request) => {
    throw new ApiError(404, 'not_found', `There is no route ${request.method} ${request.url.split('?', 1)[0]}.`);
  });
  requireBearerTokens(app, deps.config.api.tokens);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'mcp-agent-temporal',
        description: 'AI agents as durable Temporal workflows over the Model Context Protocol.',
        version: '0.1.0',
      },
      ...(deps.config.api.tokens.length > 0 && {
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      }),
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  const runs = new RunsClient({ client: deps.client, taskQueue: deps.config.temporal.task_queue, uiUrl: deps.uiUrl });
  const routes = app.withTypeProvider<ZodTypeProvider>();
  await routes.register(healthRoutes, { client: deps.client });
  await routes.register(workflowRoutes, { config: deps.config, runs });
  await routes.register(runRoutes, { runs });
  await routes.register(runEventRoutes, { client: deps.client });
  const conversations = new ConversationStore(deps.storage.blobs, deps.config.storage.inline_bytes);
  await routes.register(conversationRoutes, { runs, conversations });
  await routes.register(codecRoutes, { storage: deps.storage, conversations, uiUrl: deps.uiUrl });
  await app.register(mcpRoutes, { config: deps.config, runs });
  return app;
}
