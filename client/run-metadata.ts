import { isRecord } from '../src/config/values';
import type { RunSpec } from '../src/spec/schema';
import type { RunBudget } from '../src/patterns/budget';

/**
 * What a run carries besides its argument: the Web UI's summary and details, and the memo that
 * lets the API show a run's input without reading its history.
 */

const SUMMARY_INPUT_CHARS = 100;

/**
 * Inputs up to this size (as JSON) are kept in the memo, which visibility listings return for
 * free. Larger ones are read from the first history event instead, so memos stay small.
 */
export const MEMO_INPUT_MAX_BYTES = 32 * 1024;

export type RunMemo = {
  input?: unknown;
};

export function inputMemo(input: unknown): RunMemo {
  return Buffer.byteLength(JSON.stringify(input)) <= MEMO_INPUT_MAX_BYTES ? { input } : {};
}

/** The memo's copy of the input, if it has one (`undefined` is not JSON, so it never is one). */
export function memoInput(memo: Record<string, unknown> | undefined): { input: unknown } | undefined {
  return memo && Object.hasOwn(memo, 'input') ? { input: memo.input } : undefined;
}

/** `calc: add 2 and 3`: the workflow name and the first line of the input, cut to fit one line. */
export function runSummary(name: string, input: unknown): string {
  const text = typeof input === 'string' ? input : JSON.stringify(input);
  const firstLine = text.split('\n', 1)[0].trim();
  const cut = firstLine.length > SUMMARY_INPUT_CHARS ? `${firstLine.slice(0, SUMMARY_INPUT_CHARS - 1)}…` : firstLine;
  return cut ? `${name}: ${cut}` : name;
}

interface AgentLine {
  name: string;
  provider: string;
  model: string;
  servers: string[];
}

function isResolvedAgent(value: Record<string, unknown>): boolean {
  return (
    typeof value.name === 'string' &&
    typeof value.provider === 'string' &&
    typeof value.model === 'string' &&
    typeof value.instruction === 'string' &&
    Array.isArray(value.servers)
  );
}

/** Every resolved agent in a spec, at any depth, so composed patterns list all of theirs. */
export function agentsInSpec(spec: unknown): AgentLine[] {
  if (Array.isArray(spec)) return spec.flatMap(agentsInSpec);
  if (!isRecord(spec)) return [];
  if (isResolvedAgent(spec)) {
    return [
      {
        name: spec.name as string,
        provider: spec.provider as string,
        model: spec.model as string,
        servers: (spec.servers as unknown[]).map(String),
      },
    ];
  }
  return Object.values(spec).flatMap(agentsInSpec);
}

/** Markdown for the Web UI: the pattern, then one line per agent with its model and servers. */
export function runDetails(spec: RunSpec): string {
  // A code workflow's agents are whatever its code calls, as it calls them: its children show them.
  if (spec.type === 'code') return [`**code workflow** ${spec.workflow}`, ...budgetLines(spec.budget)].join('\n');
  const lines = [`**pattern** ${spec.type}`, ...budgetLines(spec.budget), '', '**agents**'];
  for (const agent of agentsInSpec(spec)) {
    const servers = agent.servers.length > 0 ? agent.servers.join(', ') : 'none';
    lines.push(`- ${agent.name}: ${agent.provider}/${agent.model} · servers: ${servers}`);
  }
  return lines.join('\n');
}

/** The run's budget, for the Web UI (README "Cost"). */
function budgetLines(budget: RunBudget | undefined): string[] {
  const limits = [
    ...(budget?.max_cost ? [`max_cost $${budget.max_cost.limit}`] : []),
    ...(budget?.max_tokens ? [`max_tokens ${budget.max_tokens.limit}`] : []),
  ];
  return limits.length > 0 ? ['', `**budget** ${limits.join(' · ')} (the run and all its children)`] : [];
}
