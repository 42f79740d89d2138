import type { Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { checkTemporal } from '../../../client/connection';
import { temporalUnavailable } from '../errors';
import { errorBodySchema, healthSchema } from '../schemas';

export interface HealthRouteOptions {
  client: Client;
}

/** Healthy means Temporal answers: without it no run can start or be read. */
export const healthRoutes: FastifyPluginAsyncZod<HealthRouteOptions> = async (app, { client }) => {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Whether the API can reach Temporal',
        tags: ['health'],
        response: { 200: healthSchema, 503: errorBodySchema },
      },
    },
    async (request) => {
      try {
        await checkTemporal(client);
      } catch (error) {
        request.log.warn({ err: error }, 'Temporal health check failed');
        throw temporalUnavailable();
      }
      return { ok: true as const, temporal: 'reachable' as const };
    },
  );
};
