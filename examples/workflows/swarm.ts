import { workflow, type RunContext, type SwarmResult } from 'mcp-agent-temporal/workflow';

/**
 * mcp-agent's swarm example: an airline's customer service, where one conversation passes from
 * agent to agent. The desk hands the customer on (a `transfer_to_<agent>` tool each agent gets
 * from its `handoffs` in mcp_agent.config.yaml); bookings and refunds read the airline's policies
 * with the filesystem server before they answer. Context variables (here the customer's name)
 * are shown to every agent.
 */

export interface SupportRequest {
  customer: string;
  message: string;
}

export interface SupportAnswer {
  answer: string;
  /** Who held the conversation, in order, ending with the agent that answered. */
  handledBy: string[];
}

export const supportDesk = workflow(async (run: RunContext<SupportRequest>): Promise<SupportAnswer> => {
  run.step('at the support desk');
  const answer = await run.run<SwarmResult>(
    {
      type: 'swarm',
      agents: ['desk', 'bookings', 'refunds'],
      start: 'desk',
      context_variables: { customer: run.input.customer },
      max_turns: 12,
    },
    run.input.message,
    { name: 'desk' },
  );
  return { answer: answer.text, handledBy: answer.result.handoffs };
});
