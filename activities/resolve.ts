import { ApplicationFailure } from '@temporalio/common';
import { SpecError } from '../src/config/errors';
import { resolveCodeNode } from '../src/config/resolve';
import type { Config } from '../src/config/schema';
import { FailureTypes } from '../src/failure-types';
import type { Activities, ResolveNodeInput } from './contracts';

export type ResolveActivities = Pick<Activities, 'resolveNode'>;

/**
 * Resolves what a code workflow names as it runs (workflow code cannot read the config), on the
 * worker's config. A local activity: its answer is recorded in history, so a replay, or a config
 * changed since, sees the same agent.
 */
export function createResolveActivities(config: Config): ResolveActivities {
  return {
    async resolveNode(input: ResolveNodeInput) {
      try {
        return resolveCodeNode(config, input.node, input.name);
      } catch (error) {
        if (error instanceof SpecError) {
          throw ApplicationFailure.nonRetryable(`${input.name} cannot run: ${error.problems.join('; ')}`, FailureTypes.InvalidSpec);
        }
        throw error;
      }
    },
  };
}
