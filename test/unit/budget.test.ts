import { ConfigError, SpecError } from '../../src/config/errors';
import { resolveRun } from '../../src/config/resolve';
import { configSchema, type ConfigInput } from '../../src/config/schema';
import { budgetBreach, budgetMessage, budgetOf, childBudget, type RunBudget } from '../../src/patterns/budget';
import type { RunUsage } from '../../workflows/definitions';
import { runDetails } from '../../client/run-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load';

/**
 * Budgets (`max_cost`, `max_tokens`): how specs carry them, how a child inherits what is left, when
 * a limit counts as broken, and what the failure says. The workflows' side is in
 * test/integration/cost.test.ts.
 */

const usage = (tokens: number, costUsd?: number): RunUsage => ({
  inputTokens: tokens,
  outputTokens: 0,
  llmCalls: 1,
  toolCalls: 0,
  ...(costUsd !== undefined && { costUsd }),
});

describe('budget arithmetic', () => {
  const budget: RunBudget = { max_tokens: { limit: 1000, spent_before: 0, set_by: 'research' } };

  it('takes a spec’s own limits, and none when it sets none', () => {
    expect(budgetOf({ max_cost: 0.5 }, 'research')).toEqual({ max_cost: { limit: 0.5, spent_before: 0, set_by: 'research' } });
    expect(budgetOf({}, 'research')).toBeUndefined();
  });

  it('refuses a call once a limit is reached, and stops a run once one is passed', () => {
    expect(budgetBreach(budget, usage(999), 'used_up')).toBeUndefined();
    expect(budgetBreach(budget, usage(1000), 'used_up')).toMatchObject({ key: 'max_tokens', spent: 1000 });
    expect(budgetBreach(budget, usage(1000), 'passed')).toBeUndefined();
    expect(budgetBreach(budget, usage(1001), 'passed')).toMatchObject({ key: 'max_tokens', spent: 1001 });
    expect(budgetBreach(undefined, usage(10 ** 9), 'passed')).toBeUndefined();
  });

  it('counts cost without float dust, and calls without a price as nothing', () => {
    const cost: RunBudget = { max_cost: { limit: 0.3, spent_before: 0.1, set_by: 'x' } };
    expect(budgetBreach(cost, usage(5, 0.2), 'passed')).toBeUndefined();
    expect(budgetBreach(cost, usage(5, 0.2), 'used_up')).toMatchObject({ spent: 0.3 });
    expect(budgetBreach(cost, usage(10 ** 6), 'used_up')).toBeUndefined();
  });

  it('hands a child what the tree has spent as spent before it, or its own tighter limit', () => {
    expect(childBudget(budget, usage(400), undefined)).toEqual({ max_tokens: { limit: 1000, spent_before: 400, set_by: 'research' } });
    // The child's own 500 leaves less than the 600 inherited: it wins.
    const own: RunBudget = { max_tokens: { limit: 500, spent_before: 0, set_by: 'writer' }, max_cost: { limit: 1, spent_before: 0, set_by: 'writer' } };
    expect(childBudget(budget, usage(400), own)).toEqual(own);
    expect(childBudget(budget, usage(700), own)).toEqual({
      max_tokens: { limit: 1000, spent_before: 700, set_by: 'research' },
      max_cost: own.max_cost,
    });
    expect(childBudget(undefined, usage(700), undefined)).toBeUndefined();
  });

  it('says which limit, what was spent and what was refused, where', () => {
    const breach = budgetBreach({ max_cost: { limit: 0.05, spent_before: 0.04, set_by: 'research' } }, usage(1, 0.0123), 'passed')!;
    expect(budgetMessage(breach, 'after the model call "llm openai/gpt-4o · writer · turn 2"', 'research-1/writer-2')).toBe(
      'Budget exceeded: the run tree has spent $0.0523 of its max_cost $0.05 (set by "research"); after the model call "llm openai/gpt-4o · writer · turn 2" in run research-1/writer-2.',
    );
  });
});

describe('budgets in specs', () => {
  const config = configSchema.parse({
    agents: { writer: { instruction: 'Write.' } },
    workflows: {
      research: {
        type: 'parallel',
        max_cost: 0.5,
        max_tokens: 200_000,
        fan_out: ['writer', { type: 'agent', name: 'capped', agent: 'writer', max_tokens: 1000 }],
      },
      triage: { type: 'code', module: './triage.js', export: 'triage', max_tokens: 5000 },
    },
  } satisfies ConfigInput);

  it('resolves a workflow’s budget, and a nested pattern’s own, into the specs its runs carry', () => {
    const run = resolveRun(config, 'research');
    expect(run.spec.budget).toEqual({
      max_cost: { limit: 0.5, spent_before: 0, set_by: 'research' },
      max_tokens: { limit: 200_000, spent_before: 0, set_by: 'research' },
    });
    if (run.spec.type !== 'parallel') throw new Error('expected a parallel spec');
    const nested = run.spec.fan_out[1];
    expect(nested.kind === 'pattern' && nested.spec.budget).toEqual({ max_tokens: { limit: 1000, spent_before: 0, set_by: 'capped' } });
    expect(run.spec.fan_out[0]).not.toHaveProperty('spec.budget');
    expect(resolveRun(config, 'triage').spec).toEqual({
      type: 'code',
      workflow: 'triage',
      budget: { max_tokens: { limit: 5000, spent_before: 0, set_by: 'triage' } },
    });
  });

  it('shows a run’s budget in its Web UI details', () => {
    expect(runDetails(resolveRun(config, 'research').spec)).toContain('**budget** max_cost $0.5 · max_tokens 200000 (the run and all its children)');
    expect(runDetails(resolveRun(config, 'triage').spec)).toBe('**code workflow** triage\n\n**budget** max_tokens 5000 (the run and all its children)');
    expect(runDetails(resolveRun(config, 'agent', { agent: { instruction: 'x' } }).spec)).not.toContain('budget');
  });

  it('takes an ad-hoc run’s budget from its spec, and refuses bad values by key path', () => {
    const agent = { instruction: 'Answer.' };
    expect(resolveRun(config, 'agent', { agent, max_tokens: 10 }).spec.budget).toEqual({
      max_tokens: { limit: 10, spent_before: 0, set_by: 'agent' },
    });
    const problems = (spec: unknown) => {
      try {
        resolveRun(config, 'agent', spec);
      } catch (error) {
        if (error instanceof SpecError) return error.problems;
        throw error;
      }
      throw new Error('expected a SpecError');
    };
    expect(problems({ agent, max_cost: 0 })).toEqual([expect.stringMatching(/^spec\.max_cost: /)]);
    expect(problems({ agent, max_tokens: 2.5 })).toEqual([expect.stringMatching(/^spec\.max_tokens: /)]);
    expect(problems({ agent, max_cost: '1' })).toEqual([expect.stringMatching(/^spec\.max_cost: /)]);
  });

  it('lists a bad budget in the config file by its key path', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'budget-config-'));
    writeFileSync(
      path.join(dir, 'mcp_agent.config.yaml'),
      'workflows:\n  research:\n    type: parallel\n    fan_out: [{instruction: x}]\n    max_cost: -1\n',
    );
    let error: unknown;
    try {
      loadConfig({ cwd: dir, env: {} });
    } catch (caught) {
      error = caught;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^workflows\.research\.max_cost: /)]);
  });
});
