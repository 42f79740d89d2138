import { z } from 'zod';
import type { RunBudget } from '../patterns/budget';
import { budgetFields, conversationFields, historyLimitFields, type ResolvedConversation } from './schema';

/**
 * A workflow written in TypeScript (contract section 10): a config entry of `type: code` names the
 * exported workflow function of a user module, which the worker bundles with the built-in patterns.
 * Its Temporal workflow type is the export's name.
 */

export const codeWorkflowSchema = z
  .object({
    type: z.literal('code'),
    module: z.string().min(1).describe('The module that exports the workflow; relative to the config file when it starts with "."'),
    export: z
      .string()
      .regex(/^[A-Za-z_$][\w$]*$/, 'must be a JavaScript identifier')
      .describe('The exported workflow function, made with workflow() from mcp-agent-temporal/workflow; also its Temporal workflow type'),
    description: z.string().optional(),
    input_schema: z
      .record(z.string(), z.unknown())
      .describe("A JSON Schema the run's input must match: the API answers 400 invalid_input before starting otherwise")
      .optional(),
    // Only for a workflow made with `{conversation: true}`: the worker refuses the entry otherwise.
    ...conversationFields,
    // Where a conversation's turns (or the workflow's own run.historyIsLarge()) hand over to a new run.
    ...historyLimitFields,
    ...budgetFields,
  })
  .strict();
export type CodeWorkflowEntry = z.infer<typeof codeWorkflowSchema>;

/** What a code workflow's run carries as its spec: the config leaves nothing else to resolve at start. */
export interface ResolvedCode {
  type: 'code';
  /** The workflow type: the export's name. */
  workflow: string;
  /** From the entry's `max_cost` and `max_tokens` (src/patterns/budget.ts). */
  budget?: RunBudget;
  /** The entry's `conversation: true` with its settings: the run takes messages (contract section 9). */
  conversation?: ResolvedConversation;
  /** The entry's `history_limit_bytes` where it is not the default. */
  history_limit_bytes?: number;
}
