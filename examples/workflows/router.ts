import { workflow, type RouterResult, type RunContext } from 'mcp-agent-temporal/workflow';

/**
 * mcp-agent's router example: a request goes to whichever agent suits it best. A model reads
 * the agents' descriptions (from mcp_agent.config.yaml), ranks them with a confidence and its
 * reasoning, and the best one answers.
 *
 * `method: 'embedding'` ranks by embeddings instead of a model call; `then: 'classify'` only
 * ranks, and the code decides what to do with the ranking.
 */

export interface RoutedAnswer {
  /** The agent that answered. */
  agent: string;
  answer: string;
  /** Why the router chose it, in the router model's words. */
  reasoning?: string;
}

export const routeRequest = workflow(async (run: RunContext<string>): Promise<RoutedAnswer> => {
  run.step('routing');
  const routed = await run.run<RouterResult>(
    { type: 'router', method: 'llm', agents: ['finder', 'writer', 'reasoner'], top_k: 1, then: 'run' },
    run.input,
    { name: 'route' },
  );
  const { chosen, routes } = routed.result;
  return { agent: chosen ?? 'none', answer: routed.text, reasoning: routes[0]?.reasoning };
});
