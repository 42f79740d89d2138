import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { packageManifest, packageRoot } from '../package-info';
import { CliError, ExitCode } from './exit-codes';

/**
 * `mcp-agent init [dir]`: a new project from templates/init, with a code workflow, its config, a
 * test on the testing entry and a README, whose `npm install && npm test` passes and whose
 * `npm run dev` serves it.
 */

const templateDir = path.join(packageRoot, 'templates', 'init');

/** Files that npm would treat specially in our own package are stored under other names. */
const renamed: Record<string, string> = { 'package.json.template': 'package.json', gitignore: '.gitignore' };

export interface InitOptions {
  /** How the new project depends on mcp-agent-temporal: a version range (default `^<this version>`), a tarball or a folder. */
  dependency?: string;
}

/** Creates the project in `dir` (made if missing; it must be empty) and returns what to say. */
export function initProject(dir: string, options: InitOptions = {}): string {
  const target = path.resolve(dir);
  // A fresh `git init` is as good as empty.
  if (existsSync(target) && readdirSync(target).some((entry) => entry !== '.git')) {
    throw new CliError(ExitCode.Usage, `init: ${target} is not empty; choose a new folder`);
  }
  // Checked before anything is made, so that a refused `--package` leaves no half-made project.
  const dependency = dependencySpec(options.dependency);
  mkdirSync(target, { recursive: true });
  cpSync(templateDir, target, { recursive: true });
  for (const [from, to] of Object.entries(renamed)) renameSync(path.join(target, from), path.join(target, to));

  const ours = packageManifest();
  const values: Record<string, string> = {
    name: path.basename(target).toLowerCase().replace(/[^a-z0-9._-]+/g, '-'),
    dependency: dependency ?? `^${ours.version}`,
    tsxVersion: ours.dependencies.tsx,
    zodVersion: ours.dependencies.zod,
  };
  for (const file of ['package.json', 'README.md']) {
    const full = path.join(target, file);
    writeFileSync(full, readFileSync(full, 'utf8').replace(/\{\{(\w+)\}\}/g, (_match, key: string) => values[key] ?? `{{${key}}}`));
  }
  const shown = path.relative(process.cwd(), target) || '.';
  return [
    `Created ${shown}: a code workflow (workflows/triage.ts), its config (mcp_agent.config.yaml) and a test.`,
    '',
    `  cd ${shown}`,
    '  npm install',
    '  npm test        # the workflow on a real Temporal dev server, against a scripted model',
    '  npm run dev     # Temporal + Web UI, a worker and the API on :3000 (set OPENAI_API_KEY first)',
  ].join('\n');
}

/** A tarball or folder given by a path relative to here means the same file from the new project. */
function dependencySpec(spec: string | undefined): string | undefined {
  if (spec === undefined) return undefined;
  if (!existsSync(spec)) return spec;
  const resolved = path.resolve(spec);
  // A checkout as cloned has no compiled entry points: the project would install and then fail to load it.
  const manifest = path.join(resolved, 'package.json');
  if (statSync(resolved).isDirectory()) {
    if (!existsSync(manifest)) throw new CliError(ExitCode.Usage, `init: ${resolved} is not a package (no package.json); pass a checkout of mcp-agent-temporal or a tarball`);
    const { main } = JSON.parse(readFileSync(manifest, 'utf8')) as { main?: string };
    if (main && !existsSync(path.join(resolved, main))) {
      throw new CliError(ExitCode.Usage, `init: ${resolved} is not built (no ${main}): run \`npm run build\` there first, or pass a tarball from \`npm pack\``);
    }
  }
  return resolved;
}
