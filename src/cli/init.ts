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
  /** How the new project depends on mcp-agent-temporal: a version range, a tarball or a folder (default: see `installedFrom`). */
  dependency?: string;
  /** The folder of the mcp-agent-temporal copy running init, whose origin is the default dependency (default: this one's). */
  packageRoot?: string;
}

/** Creates the project in `dir` (made if missing; it must be empty) and returns what to say. */
export function initProject(dir: string, options: InitOptions = {}): string {
  const target = path.resolve(dir);
  // A fresh `git init` is as good as empty.
  if (existsSync(target) && readdirSync(target).some((entry) => entry !== '.git')) {
    throw new CliError(ExitCode.Usage, `init: ${target} is not empty; choose a new or empty folder`);
  }
  const ours = packageManifest();
  // Checked before anything is made, so that a refused dependency leaves no half-made project.
  const dependency = dependencySpec(options.dependency ?? installedFrom(options.packageRoot ?? packageRoot, ours.version));
  mkdirSync(target, { recursive: true });
  cpSync(templateDir, target, { recursive: true });
  for (const [from, to] of Object.entries(renamed)) renameSync(path.join(target, from), path.join(target, to));

  const values: Record<string, string> = {
    name: path.basename(target).toLowerCase().replace(/[^a-z0-9._-]+/g, '-'),
    dependency,
    tsxVersion: ours.dependencies.tsx,
    zodVersion: ours.dependencies.zod,
    // The scaffold type-checks with the compiler and Node types this package is checked with.
    typescriptVersion: ours.devDependencies.typescript,
    typesNodeVersion: ours.devDependencies['@types/node'],
  };
  for (const file of ['package.json', 'README.md']) {
    const full = path.join(target, file);
    writeFileSync(full, readFileSync(full, 'utf8').replace(/\{\{(\w+)\}\}/g, (_match, key: string) => values[key] ?? `{{${key}}}`));
  }
  const shown = path.relative(process.cwd(), target) || '.';
  const local = path.isAbsolute(dependency);
  return [
    `Created ${shown}: a code workflow (workflows/triage.ts), its config (mcp_agent.config.yaml) and a test.`,
    ...(local ? [`It depends on mcp-agent-temporal at ${dependency}${options.dependency === undefined ? ', where this mcp-agent comes from' : ''} (--package chooses another).`] : []),
    '',
    ...(shown === '.' ? [] : [`  cd ${shown}`]),
    '  npm install',
    '  npm test        # a type check, then the workflow on a real Temporal dev server against a scripted model',
    '  npm run dev     # Temporal + Web UI, a worker and the API on :3000 (set OPENAI_API_KEY first)',
  ].join('\n');
}

/**
 * The new project's dependency when `--package` is not given: where this copy came from, since the
 * package is not on the npm registry yet and `^<version>` would not install. npm's lockfile in the
 * node_modules holding an installed copy says whether it came from the registry or a tarball; a copy
 * outside any node_modules is a checkout (a folder installed as a link resolves to it too).
 */
function installedFrom(root: string, version: string): string {
  const modules = path.dirname(root);
  if (path.basename(modules) !== 'node_modules') return root;
  const resolved = lockedResolution(modules, path.basename(root));
  if (resolved === undefined || !resolved.startsWith('file:')) return `^${version}`;
  const tarball = path.resolve(path.dirname(modules), resolved.slice('file:'.length));
  if (!existsSync(tarball)) {
    throw new CliError(
      ExitCode.Usage,
      `init: this mcp-agent-temporal was installed from ${tarball}, which is gone, and ${version} may not be on the npm registry: ` +
        `pass --package with a tarball from \`npm pack\` or a built checkout (or --package ^${version} for the registry)`,
    );
  }
  return tarball;
}

/** The `resolved` of the package in npm's hidden lockfile (npm 7+), keyed by path from the project. */
function lockedResolution(modules: string, name: string): string | undefined {
  const lockfile = path.join(modules, '.package-lock.json');
  if (!existsSync(lockfile)) return undefined;
  const { packages } = JSON.parse(readFileSync(lockfile, 'utf8')) as { packages?: Record<string, { resolved?: string }> };
  return packages?.[`node_modules/${name}`]?.resolved;
}

/** A tarball or folder given by a path relative to here means the same file from the new project. */
function dependencySpec(spec: string): string {
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
