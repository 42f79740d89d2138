import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { RunsClient } from '../../../client/runs';
import { checkInput, listWorkflows, resolveRun } from '../../config/resolve';
import type { Config } from '../../config/schema';
import { bodyErrors, errorBodySchema, runSchema, startRunBody, workflowNameParams, workflowsSchema } from '../schemas';

export interface WorkflowRouteOptions {
  config: Config;
  runs: RunsClient;
}

export const workflowRoutes: FastifyPluginAsyncZod<WorkflowRouteOptions> = async (app, { config, runs }) => {
  app.get(
    '/workflows',
    {
      schema: {
        summary: 'The workflows of the config file',
        tags: ['workflows'],
        response: { 200: workflowsSchema },
      },
    },
    async () => ({ workflows: listWorkflows(config) }),
  );

  app.post(
    '/workflows/:name/run',
    {
      schema: {
        summary: 'Start a run of a config workflow, or of an ad-hoc spec when :name is a pattern type',
        tags: ['workflows'],
        params: workflowNameParams,
        body: startRunBody,
        response: { 202: runSchema, 400: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema, ...bodyErrors, 503: errorBodySchema },
      },
    },
    async (request, reply) => {
      // The spec is resolved now, so a later config change never alters this run.
      const resolved = resolveRun(config, request.params.name, request.body.spec);
      checkInput(resolved, request.body.input);
      const { run, created } = await runs.start({ ...resolved, input: request.body.input, id: request.body.id });
      request.log.info({ runId: run.runId, workflow: run.workflow, created }, created ? 'run started' : 'run already started');
      return reply.code(202).header('location', run.links.self).send(run);
    },
  );
};
