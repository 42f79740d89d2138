import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { RunsClient } from '../../client/runs';
import type { Config } from '../config/schema';
import type { Storage } from '../storage/open';
import type { DeltaFeed } from '../streaming/nats';
import { mcpRoutes } from '../mcp-server/http';
import { requireBearerTokens } from './auth';
import { ApiError, logApiError, toApiError } from './errors';
import { describeJsonBodies, describeWorkflowRuns, markOptionalBody } from './openapi';
import { packageManifest } from '../package-info';
import { ConversationStore } from '../conversation/store';
import { codecRoutes } from './routes/codec';
import { addMetrics } from './routes/metrics';
import { conversationRoutes } from './routes/conversations';
import { runEventRoutes } from './routes/events';
import { healthRoutes } from './routes/health';
import { runRoutes } from './routes/runs';
import { serverRoutes } from './routes/servers';
import { workflowRoutes } from './routes/workflows';
import { BODY_LIMIT_BYTES } from './schemas';
import { traceRequests } from './tracing';
import { zodValidatorCompiler } from './validation';

/** Node reads at most 16 KiB of request line and headers (431 beyond), so this leaves the limit to Node. */
const MAX_PARAM_LENGTH = 16 * 1024;

export interface ApiDeps {
  config: Config;
  /** A client for `config.temporal`'s namespace; the task queue comes from the config too. */
  client: Client;
  /** The store the client's data converter reads large payloads from; transcripts are read from it too. */
  storage: Storage;
  /** Base of the Web UI links in Run objects (TEMPORAL_UI_URL). */
  uiUrl: string;
  logger: FastifyBaseLogger;
  /** A span per request, parent of the runs it starts and steers (the process's tracing must be started). */
  tracing?: boolean;
  /** `llm_delta` events for run event streams (streaming.nats_url); none: streams have none. */
  deltas?: DeltaFeed;
}

/**
 * JSON bodies only (a text body gets 415 "send JSON" rather than a confusing type error), and an
 * empty one counts as no body: `POST /runs/x/pause` needs none. As Fastify's own parser does, a
 * body with a key that could reach an object's prototype (`__proto__`, or `constructor` holding
 * `prototype`) is refused, but with an error that says so: it is valid JSON.
 */
function acceptJsonBodiesOnly(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body.toString();
    if (text.trim() === '') return done(null, undefined);
    let forbidden: string | undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text, (key, value: unknown) => {
        if (key === '__proto__' || (key === 'constructor' && isPrototypeHolder(value))) forbidden ??= key;
        return value;
      });
    } catch {
      return done(Object.assign(new Error('The request body is not valid JSON.'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY' }), undefined);
    }
    if (forbidden !== undefined) return done(forbiddenKey(forbidden), undefined);
    done(null, parsed);
  });
}

function isPrototypeHolder(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype');
}

function forbiddenKey(key: string): ApiError {
  const what = key === '__proto__' ? 'a "__proto__" key' : 'a "constructor" key holding "prototype"';
  return new ApiError(400, 'forbidden_key', `The request body has ${what}, which the API does not take: rename it.`);
}

/** A route's URL (`/runs/:runId`, `/docs/*`) as a pattern for request paths. */
function routePattern(url: string): RegExp {
  const parts = url.split(/(:[^/]+|\*)/).map((part) => {
    if (part === '*') return '.*';
    if (part.startsWith(':')) return '[^/]+';
    return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return new RegExp(`^${parts.join('')}$`);
}

/**
 * A known path asked with a method it does not take gets 405 with `Allow` (RFC 9110), an unknown
 * path 404: both at once, before any body is read, so a method such as QUERY without a content
 * type gets the same answer as any other.
 */
function answerUnroutedRequests(app: FastifyInstance): void {
  const routes: Array<{ pattern: RegExp; methods: string[] }> = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    routes.push({ pattern: routePattern(route.url), methods: methods.map((method) => method.toUpperCase()) });
  });
  app.addHook('onRequest', async (request, reply) => {
    if (!request.is404) return;
    const path = request.url.split('?', 1)[0];
    const methods = new Set(routes.filter((route) => route.pattern.test(path)).flatMap((route) => route.methods));
    if (methods.has('GET')) methods.add('HEAD');
    if (methods.size === 0) throw new ApiError(404, 'not_found', `There is no route ${request.method} ${path}.`);
    const allowed = [...methods].sort().join(', ');
    reply.header('allow', allowed);
    throw new ApiError(405, 'method_not_allowed', `${path} does not take ${request.method}; it takes ${allowed}.`);
  });
}

/** The HTTP API of contract section 6, ready to `listen` or to `inject` in tests. */
export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: BODY_LIMIT_BYTES,
    // Path parameters as long as the request line allows (Fastify's 100 is shorter than a run id may
    // be); the routes' own schemas say how long each may be, with a 400 in the error shape.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // The router's own rejections (a bad percent-encoding, a path part over the limit) in the error shape too.
    frameworkErrors: (error, request, reply) => {
      const apiError = toApiError(error);
      logApiError(request.log, apiError, error);
      void (reply as FastifyReply).code(apiError.status).send(apiError.body());
    },
  });
  // First, so that the span covers authentication and validation too.
  if (deps.tracing) traceRequests(app);
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  acceptJsonBodiesOnly(app);

  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error);
    logApiError(request.log, apiError, error);
    return reply.code(apiError.status).send(apiError.body());
  });
  app.setNotFoundHandler((request) => {
    throw new ApiError(404, 'not_found', `There is no route ${request.method} ${request.url.split('?', 1)[0]}.`);
  });
  requireBearerTokens(app, deps.config.api.tokens);
  answerUnroutedRequests(app);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'mcp-agent-temporal',
        description: 'AI agents as durable Temporal workflows over the Model Context Protocol.',
        version: packageManifest().version,
      },
      ...(deps.config.api.tokens.length > 0 && {
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      }),
    },
    transform: (route) => markOptionalBody(route.schema, jsonSchemaTransform(route)),
    transformObject: (document) => describeJsonBodies(describeWorkflowRuns(jsonSchemaTransformObject(document), deps.config)),
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  // After the document's plugin, which learns routes as they are added.
  addMetrics(app, { client: deps.client });
  const runs = new RunsClient({ client: deps.client, taskQueue: deps.config.temporal.task_queue, uiUrl: deps.uiUrl });
  const routes = app.withTypeProvider<ZodTypeProvider>();
  await routes.register(healthRoutes, { client: deps.client });
  await routes.register(workflowRoutes, { config: deps.config, runs });
  await routes.register(runRoutes, { runs });
  await routes.register(runEventRoutes, { client: deps.client, ...(deps.deltas && { deltas: deps.deltas }) });
  await routes.register(serverRoutes, { config: deps.config, logger: deps.logger });
  const conversations = new ConversationStore(deps.storage.blobs, deps.config.storage.inline_bytes);
  await routes.register(conversationRoutes, { runs, conversations });
  await routes.register(codecRoutes, { storage: deps.storage, conversations, uiUrl: deps.uiUrl });
  await app.register(mcpRoutes, { config: deps.config, runs });
  return app;
}
