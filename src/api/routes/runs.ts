import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { isClosedRunStatus } from '../../../client/run-view';
import type { RunsClient } from '../../../client/runs';
import {
  bodyErrors,
  cancelBody,
  errorBodySchema,
  listRunsQuery,
  MAX_WAIT_SECONDS,
  provideInputBody,
  resultQuery,
  runIdParams,
  runSchema,
  runsListSchema,
} from '../schemas';

export interface RunRouteOptions {
  runs: RunsClient;
}

/** How soon a client that got "still running" should ask again. */
const RETRY_AFTER_SECONDS = 1;

const unavailable = { 503: errorBodySchema };
/** Every route of a run: a runId over the length Temporal takes is 400. */
const notFound = { 400: errorBodySchema, 404: errorBodySchema, ...unavailable };
const control = { 202: runSchema, 409: errorBodySchema, ...notFound };

export const runRoutes: FastifyPluginAsyncZod<RunRouteOptions> = async (app, { runs }) => {
  app.get(
    '/runs',
    {
      schema: {
        summary: 'Runs, newest first, filtered by status and workflow (no result or error per run)',
        tags: ['runs'],
        querystring: listRunsQuery,
        response: { 200: runsListSchema, 400: errorBodySchema, ...unavailable },
      },
    },
    async (request) => ({ runs: await runs.list(request.query) }),
  );

  app.get(
    '/runs/:runId',
    {
      schema: { summary: 'One run', tags: ['runs'], params: runIdParams, response: { 200: runSchema, ...notFound } },
    },
    async (request) => runs.get(request.params.runId),
  );

  app.get(
    '/runs/:runId/result',
    {
      schema: {
        summary: 'The run once closed (200), or as it is after waiting (202 with Retry-After)',
        tags: ['runs'],
        params: runIdParams,
        querystring: resultQuery,
        response: { 200: runSchema, 202: runSchema, ...notFound },
      },
    },
    async (request, reply) => {
      const wait = Math.min(request.query.wait, MAX_WAIT_SECONDS);
      const run = await runs.waitForClose(request.params.runId, wait);
      if (isClosedRunStatus(run.status)) return reply.code(200).send(run);
      return reply.code(202).header('retry-after', String(RETRY_AFTER_SECONDS)).send(run);
    },
  );

  app.post(
    '/runs/:runId/pause',
    {
      schema: {
        summary: 'Pause at the next step boundary',
        tags: ['runs'],
        params: runIdParams,
        response: control,
      },
    },
    async (request, reply) => reply.code(202).send(await runs.pause(request.params.runId)),
  );

  app.post(
    '/runs/:runId/resume',
    {
      schema: { summary: 'Resume a paused run', tags: ['runs'], params: runIdParams, response: control },
    },
    async (request, reply) => reply.code(202).send(await runs.resume(request.params.runId)),
  );

  app.post(
    '/runs/:runId/cancel',
    {
      schema: {
        summary: 'Cancel the run, its children and their running activities',
        tags: ['runs'],
        params: runIdParams,
        body: cancelBody,
        response: { ...control, 400: errorBodySchema, ...bodyErrors },
      },
    },
    async (request, reply) => {
      const reason = request.body?.reason ?? 'cancelled through the API';
      return reply.code(202).send(await runs.cancel(request.params.runId, reason));
    },
  );

  app.post(
    '/runs/:runId/input',
    {
      schema: {
        summary: 'Answer the pending input or approval request',
        description: [
          "503 workflow_task_failing at once when the run's workflow task keeps failing (the Run's `workflowTaskFailing`);",
          '503 worker_unavailable when no worker took the input in time (Temporal may still deliver it).',
        ].join(' '),
        tags: ['runs'],
        params: runIdParams,
        body: provideInputBody,
        response: { ...control, 400: errorBodySchema, 422: errorBodySchema, ...bodyErrors },
      },
    },
    async (request, reply) => {
      const { value, requestId } = request.body;
      return reply.code(202).send(await runs.provideInput(request.params.runId, { value, requestId }));
    },
  );
};
