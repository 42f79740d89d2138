import { asText } from './nodes';

/**
 * Pure pieces of the parallel pattern (workflows/parallel.ts): what the fan-in is given and how the
 * branches read when there is no fan-in.
 */

export interface BranchAnswer {
  name: string;
  text: string;
}

/** `branch 2/3`: the role runNode shows next to the branch's name. */
export function branchRole(index: number, count: number): string {
  return `branch ${index + 1}/${count}`;
}

export const FAN_IN_ROLE = 'fan-in';

/** The branches' answers keyed by branch name (names are unique within `fan_out`). */
export function branchesByName(branches: readonly BranchAnswer[]): Record<string, string> {
  return Object.fromEntries(branches.map((b) => [b.name, b.text]));
}

/** Every branch's answer under a header naming it: the run's text when there is no fan-in. */
export function branchesText(branches: readonly BranchAnswer[]): string {
  return branches.map((b) => `## ${b.name}\n\n${b.text}`).join('\n\n');
}

/**
 * The one input an agent or pattern fan-in gets: the task the branches were given, then each
 * branch's answer under its name, so it can weigh and combine them.
 */
export function fanInPrompt(task: unknown, branches: readonly BranchAnswer[]): string {
  return (
    `${branches.length} agents worked on the same task independently. ` +
    'Combine their answers into one response to the task: keep what they agree on, resolve where ' +
    'they differ, and drop what is wrong.\n\n' +
    `# Task\n\n${asText(task)}\n\n` +
    `# Answers\n\n${branchesText(branches)}`
  );
}

/** A failed node's message, prefixed with which part of the run it was. */
export function nodeFailureMessage(part: 'Branch' | 'Fan-in', name: string, message: string): string {
  return `${part} "${name}" failed: ${message}`;
}
