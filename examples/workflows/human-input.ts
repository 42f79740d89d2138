import { isInputTimedOut, workflow, type RunContext } from 'mcp-agent-temporal/workflow';

/**
 * mcp-agent's human-input example, both ways a run asks a person:
 *
 * - the agent asks: `trip_planner` has `human_input: true` in mcp_agent.config.yaml, so its model
 *   is offered a `human_input` tool and calls it when it lacks something;
 * - the code asks: `run.humanInput(prompt)`.
 *
 * Either way the run shows `waiting_for_input` with the question as `pendingInput`, and waits,
 * for days if need be, without holding a worker, until someone answers with
 * `POST /runs/:id/input` (or `npx mcp-agent input`, the MCP server, the `provide_input` Update).
 */

export interface TripPlan {
  plan: string;
  /** What the traveller asked to change, if anything. */
  changes?: string;
}

export const planTrip = workflow(async (run: RunContext<string>): Promise<TripPlan> => {
  const planner = run.agent('trip_planner');

  run.step('planning');
  const plan = await planner.generate(run.input, { name: 'plan' });

  run.step('waiting for the traveller');
  let changes: string;
  try {
    const answer = await run.humanInput(`Here is your plan:\n\n${plan}\n\nAnything to change? Answer "no" to keep it.`, {
      timeoutSeconds: 3 * 86_400,
    });
    changes = String(answer).trim();
  } catch (error) {
    // Nobody answered within three days: keep the plan as it is. Anything else (a cancel, say)
    // must end the run, so it goes on up.
    if (isInputTimedOut(error)) return { plan };
    throw error;
  }
  if (changes === '' || /^no\b/i.test(changes)) return { plan };

  run.step('revising');
  const revised = await planner.generate(`Trip request: ${run.input}\n\nYour plan:\n${plan}\n\nThe traveller wants: ${changes}\n\nRevise the plan.`, {
    name: 'revise',
  });
  return { plan: revised, changes };
});
