import { ApplicationFailure, isCancellation, TemporalFailure } from '@temporalio/workflow';
import {
  branchesByName,
  branchesText,
  branchRole,
  FAN_IN_ROLE,
  fanInPrompt,
  nodeFailureMessage,
} from '../src/patterns/parallel';
import type { ResolvedParallel } from '../src/spec/schema';
import { readableFailure, workflow, type RunContext, type RunUsage } from '../src/workflow';

export interface ParallelResult {
  /** The fan-in's answer; without a fan-in, every branch's answer under a header naming it. */
  text: string;
  /** Each branch's answer, keyed by branch name. */
  branches: Record<string, string>;
  /** The fan-in's answer, when the spec has a fan-in. */
  fan_in?: string;
  usage: RunUsage;
}

/**
 * Every `fan_out` node works on the same input at once; then the `fan_in` node, if any, combines
 * their answers. An agent or pattern fan-in gets one text laying out the task and each branch's
 * answer under its name (fanInPrompt). A function fan-in gets the answers keyed by branch name:
 * its args are `{input: {<branch name>: <answer text>, ...}}`.
 */
export const parallelWorkflow = workflow(fanOutAndIn, { pattern: 'parallel' });

async function fanOutAndIn(run: RunContext<unknown, ResolvedParallel>): Promise<ParallelResult> {
  const { spec, input } = run;
  const count = spec.fan_out.length;
  run.step(`${count} branch${count > 1 ? 'es' : ''} running`);
  const answers = await Promise.all(
    spec.fan_out.map((node, index) => failingAs('Branch', node.name, run.node(node).call(input, { role: branchRole(index, count) }))),
  );
  const branches = branchesByName(answers);
  if (!spec.fan_in) return { text: branchesText(answers), branches, usage: run.usage() };

  const fanIn = spec.fan_in;
  run.step(`${FAN_IN_ROLE} · ${fanIn.name}`);
  const fanInInput = fanIn.kind === 'function' ? branches : fanInPrompt(input, answers);
  const combined = await failingAs('Fan-in', fanIn.name, run.node(fanIn).call(fanInInput, { role: FAN_IN_ROLE }));
  return { text: combined.text, branches, fan_in: combined.text, usage: run.usage() };
}

/** A node's failure as the run's failure, saying which node failed and why in one line. */
async function failingAs<T>(part: 'Branch' | 'Fan-in', name: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (isCancellation(err) || !(err instanceof TemporalFailure)) throw err;
    const cause = readableFailure(err);
    throw ApplicationFailure.create({ message: nodeFailureMessage(part, name, cause.message), type: cause.type ?? 'Error', nonRetryable: true });
  }
}
