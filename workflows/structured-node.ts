import { ApplicationFailure } from '@temporalio/workflow';
import type { z } from 'zod';
import { checkNodeJson, jsonReplyInstruction, nodeJsonFailureMessage } from '../src/patterns/node-json';
import { STRUCTURED_OUTPUT_INVALID } from '../src/patterns/structured';
import type { LlmRequest } from '../src/llm/messages';
import type { CallPolicy, ResolvedAgent, ResolvedModel, ResolvedNode } from '../src/spec/schema';
import { runNode } from './nodes';
import type { RunControl } from './run-control';
import { generateStructured } from './structured';

/**
 * Who answers: a node configured for the role (a planner, an evaluator), or the pattern's own model
 * with the pattern's own system prompt.
 */
export type Thinker = { node: ResolvedNode } | { llm: ResolvedModel; system: string; maxTokens: number };

export interface StructuredQuestion<T> {
  schema: z.ZodType<T>;
  /** The output's name as the provider sees it, and in failure messages. */
  name: string;
  description?: string;
  /** What is asked (the user message, or the node's input). */
  prompt: string;
  thinker: Thinker;
  /** Names the call in activity summaries and child workflow summaries, e.g. `planner · step 2`. */
  role: string;
  control: RunControl;
}

/**
 * A pattern's structured decision (a plan, a rating) made by whoever the spec says decides it.
 * The pattern's own model and an agent node answer through native structured output with one
 * repair turn; an agent brings its provider, model and instruction but not its tools, since a
 * decision is one model call. A nested pattern or a function runs as a node with the JSON Schema
 * in its input, and a reply that does not match fails the run clearly.
 */
export async function askStructured<T>(question: StructuredQuestion<T>): Promise<T> {
  const { thinker } = question;
  if (!('node' in thinker)) return askModel(question, ownThinking(thinker));
  const node = thinker.node;
  return node.kind === 'agent' ? askModel(question, agentThinking(node.agent)) : askNode(question, node);
}

function askModel<T>(question: StructuredQuestion<T>, thinking: Thinking): Promise<T> {
  const { label, policy, ...request } = thinking;
  return generateStructured({
    policy,
    schema: question.schema,
    name: question.name,
    description: question.description,
    request: { ...request, messages: [{ role: 'user', content: question.prompt }], tools: [] },
    summary: `${question.role} · ${label}`,
    onUsage: (usage) => question.control.recordLlmCall(usage),
  });
}

async function askNode<T>(question: StructuredQuestion<T>, node: Exclude<ResolvedNode, { kind: 'agent' }>): Promise<T> {
  const input = `${question.prompt}\n\n${jsonReplyInstruction(question.schema)}`;
  const answer = await runNode(node, input, question.control, question.role);
  const check = checkNodeJson(question.schema, { kind: node.kind, text: answer.text, result: answer.result });
  if (check.ok) return check.value;
  throw ApplicationFailure.nonRetryable(nodeJsonFailureMessage(question.name, node, check.problems), STRUCTURED_OUTPUT_INVALID);
}

type Thinking = Pick<LlmRequest, 'provider' | 'model' | 'system' | 'maxTokens' | 'temperature'> & {
  label: string;
  policy?: CallPolicy;
};

/** An agent's decision keeps its temperature and call policy; stop sequences could cut the JSON short. */
function agentThinking(agent: ResolvedAgent): Thinking {
  const { provider, model, instruction, max_tokens, temperature, llm_calls: policy } = agent;
  return { provider, model, system: instruction, maxTokens: max_tokens, temperature, policy, label: `${agent.name} · ${provider}/${model}` };
}

function ownThinking(thinker: Extract<Thinker, { llm: ResolvedModel }>): Thinking {
  const { provider, model } = thinker.llm;
  return { provider, model, system: thinker.system, maxTokens: thinker.maxTokens, label: `${provider}/${model}` };
}
