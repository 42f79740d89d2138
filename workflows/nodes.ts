import { ApplicationFailure, startChild } from '@temporalio/workflow';
import { asText, nodeSpec, resultText } from '../src/patterns/nodes';
import type { ResolvedNode, WorkflowInput } from '../src/spec/schema';
import { workflowTypeByPattern } from '../src/spec/constants';
import { callFunctionActivity } from './activities';
import type { RunUsage } from './definitions';
import type { RunControl } from './run-control';

/**
 * Runs one node of a pattern: an agent or a nested pattern as a child workflow (its own page in
 * the Web UI, under this run), a function as an activity. Pause and input reach children through
 * the RunControl; cancelling this run cancels them too.
 */

export interface NodeResult {
  name: string;
  /** The answer as text, for the next prompt. */
  text: string;
  /** The child's whole result (or the function's value). */
  result: unknown;
}

export async function runNode(
  node: ResolvedNode,
  input: unknown,
  control: RunControl,
  role: string,
): Promise<NodeResult> {
  await control.checkpoint();
  if (node.kind === 'function') {
    const reply = await callFunctionActivity(`${role} · function ${node.function}`)({
      name: node.function,
      args: { input },
    });
    if (reply.isError) {
      throw ApplicationFailure.nonRetryable(`Function "${node.function}" failed: ${reply.error}`, 'FunctionFailed');
    }
    return { name: node.name, text: asText(reply.value), result: reply.value };
  }
  // A run with a budget hands what is left of it to the child (src/patterns/budget.ts).
  control.beforeChild(node.name);
  const own = nodeSpec(node);
  const budget = control.budgetForChild(own.budget);
  const spec = budget ? { ...own, budget } : own;
  const workflowId = control.nextChildId(node.name);
  const args: WorkflowInput = { name: node.name, spec, input };
  const child = await startChild(workflowTypeByPattern[spec.type], {
    workflowId,
    args: [args],
    staticSummary: `${role} · ${node.name}`,
  });
  control.childStarted(workflowId, node.name, spec.type);
  try {
    const result = await child.result();
    control.childFinished(workflowId, usageOf(result));
    return { name: node.name, text: resultText(result), result };
  } catch (err) {
    control.childFailed(err);
    control.childFinished(workflowId);
    throw err;
  }
}

function usageOf(result: unknown): RunUsage | undefined {
  const usage = (result as { usage?: RunUsage } | null)?.usage;
  return usage && typeof usage.llmCalls === 'number' ? usage : undefined;
}
