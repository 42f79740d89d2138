import { ApplicationFailure } from '@temporalio/workflow';
import type { z } from 'zod';
import type { LlmRequest, LlmResponse, OutputSchema, TokenUsage } from '../src/llm/messages';
import {
  checkStructured,
  outputJsonSchema,
  repairMessages,
  STRUCTURED_OUTPUT_INVALID,
  structuredFailureMessage,
} from '../src/patterns/structured';
import type { CallPolicy } from '../src/spec/schema';
import { llmActivity } from './activities';

export interface GenerateStructuredOptions<T> {
  /** The single source of truth: sent as JSON Schema, and the reply is validated with it. */
  schema: z.ZodType<T>;
  /** The provider sees it as a schema or tool name: letters, digits, `_` and `-` only. */
  name: string;
  description?: string;
  /** Provider, model, system, messages, tools (usually none) and token limit. */
  request: Omit<LlmRequest, 'output'>;
  /** Activity summary shown in the Web UI, e.g. `planner · turn 1`. */
  summary: string;
  /** Called with each model call's usage, so the caller can add it to the run's. */
  onUsage?: (usage: TokenUsage) => void;
  /** The answering agent's `llm_calls`; the pattern's own model calls keep the defaults. */
  policy?: CallPolicy;
}

/**
 * One model call that must return an object matching `schema`. A reply that is not JSON or does not
 * match gets one repair turn that shows the model what was wrong; a second bad reply fails the run
 * with a non-retryable `StructuredOutputInvalid` failure naming the schema and the problems.
 */
export async function generateStructured<T>(options: GenerateStructuredOptions<T>): Promise<T> {
  const { schema, name, description, summary, onUsage } = options;
  const output: OutputSchema = { name, schema: outputJsonSchema(schema) };
  if (description !== undefined) output.description = description;
  const request: LlmRequest = { ...options.request, output };

  async function generate(turn: LlmRequest, turnSummary: string): Promise<LlmResponse> {
    const response = await llmActivity(turnSummary, options.policy)(turn);
    onUsage?.(response.usage);
    return response;
  }

  const first = await generate(request, summary);
  const firstCheck = checkStructured(schema, first);
  if (firstCheck.ok) return firstCheck.value;

  const repairRequest = { ...request, messages: [...request.messages, ...repairMessages(first, firstCheck.problems)] };
  const second = await generate(repairRequest, `${summary} · repair`);
  const secondCheck = checkStructured(schema, second);
  if (secondCheck.ok) return secondCheck.value;

  throw ApplicationFailure.nonRetryable(structuredFailureMessage(name, secondCheck.problems, summary), STRUCTURED_OUTPUT_INVALID);
}
