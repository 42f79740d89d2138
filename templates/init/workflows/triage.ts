import { z } from 'zod';
import { workflow, type RunContext } from 'mcp-agent-temporal/workflow';

const classification = z.object({
  kind: z.enum(['bug', 'question', 'feature']),
  urgent: z.boolean(),
});

/**
 * A durable workflow: each model call is a Temporal activity, each agent a child workflow. Pause,
 * resume, cancel and answer it through the API (POST /runs/:id/pause, /resume, /cancel, /input),
 * the CLI or the Temporal Web UI.
 */
export const triage = workflow(async (run: RunContext<{ ticket: string }>) => {
  run.step('classifying');
  const kind = await run.agent('classifier').generateStructured(run.input.ticket, classification);

  run.step('drafting');
  const draft = await run.agent('writer').generate(`Draft a reply to this ${kind.kind}: ${run.input.ticket}`);

  run.step('waiting for support');
  const review = await run.approval('sending the reply', { draft });
  return { kind, draft, sent: review.approved, usage: run.usage() };
});
