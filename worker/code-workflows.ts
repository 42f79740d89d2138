import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../src/config/errors';
import { loadExport } from '../src/config/module-export';
import type { Problem } from '../src/config/problems';
import type { Config } from '../src/config/schema';
import { isMarkedWorkflow, takesMessages } from '../src/workflow/mark';

/**
 * Code workflows (`type: code` entries) go into the worker's one workflow bundle beside the
 * built-in patterns: an entry module that re-exports both is what webpack bundles, so each code
 * workflow is registered under its export's name, which is its workflow type.
 */

const builtInWorkflows = require.resolve('../workflows');

interface CodeWorkflow {
  module: string;
  export: string;
}

function codeWorkflows(config: Config): Map<string, CodeWorkflow> {
  const found = new Map<string, CodeWorkflow>();
  for (const entry of Object.values(config.workflows)) {
    if (entry.type === 'code') found.set(entry.export, { module: entry.module, export: entry.export });
  }
  return found;
}

/**
 * Loads each code workflow's module once in this process, so a missing module or export, an
 * export not made with `workflow()`, or a conversation entry naming one not made with
 * `{conversation: true}`, stops start-up with its key path instead of failing every run of it.
 * (A plain async function would run, but be handed the run's internal arguments, `{input, name,
 * spec}`, where it expects its input.)
 */
export function checkCodeWorkflows(config: Config): void {
  const problems: Problem[] = [];
  const files = new Map<string, string>();
  for (const [name, entry] of Object.entries(config.workflows)) {
    if (entry.type !== 'code') continue;
    const loaded = loadExport(['workflows', name], entry.module, entry.export);
    if ('problem' in loaded) {
      problems.push(loaded.problem);
      continue;
    }
    if (!isMarkedWorkflow(loaded.fn)) {
      problems.push({
        path: ['workflows', name, 'export'],
        message:
          `"${entry.export}" exported by ${entry.module} is a plain function, not a workflow: wrap it with workflow() from ` +
          `'mcp-agent-temporal/workflow' (export const ${entry.export} = workflow(async (run) => { ... run.input ... }))`,
      });
      continue;
    }
    if (entry.conversation && !takesMessages(loaded.fn)) {
      problems.push({
        path: ['workflows', name, 'conversation'],
        message:
          `"${entry.export}" exported by ${entry.module} is not made with { conversation: true }, so its runs could take no messages: ` +
          `make it with workflow(async (run) => { ... }, { conversation: true }) and answer them with ToolLoop.turns or run.conversation, ` +
          'or leave conversation: true out of this entry',
      });
    }
    // The bundle knows a workflow by its export's name, so one name must mean one module file.
    const file = require.resolve(entry.module);
    const other = files.get(entry.export);
    if (other !== undefined && other !== file) {
      problems.push({ path: ['workflows', name, 'export'], message: `"${entry.export}" is already taken from ${other}; each workflow type comes from one module` });
    }
    files.set(entry.export, file);
  }
  if (problems.length > 0) throw ConfigError.fromProblems('workflows', problems);
}

/** The module webpack bundles: the built-ins alone, or an entry that adds the config's code workflows. */
export function workflowsEntry(config: Config): string {
  const workflows = [...codeWorkflows(config).values()];
  if (workflows.length === 0) return builtInWorkflows;
  const lines = [
    `export * from ${JSON.stringify(withoutExtension(builtInWorkflows))};`,
    ...workflows.map((workflow) => `export { ${workflow.export} } from ${JSON.stringify(withoutExtension(require.resolve(workflow.module)))};`),
  ];
  const source = `${lines.join('\n')}\n`;
  // Named by content: workers with the same config share one file, and a changed config gets a new
  // one. In the temp folder, which is writable where an installed package may not be (the bundler is
  // told where to find its runtime from there); written whole and renamed, so that a worker starting
  // beside another never reads half a file.
  const dir = path.join(tmpdir(), 'mcp-agent-workflows');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `entry-${createHash('sha256').update(source).digest('hex').slice(0, 16)}.ts`);
  if (!existsSync(file)) {
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, source);
    renameSync(partial, file);
  }
  return file;
}

function withoutExtension(file: string): string {
  return file.replace(/\.[cm]?[jt]s$/, '');
}
