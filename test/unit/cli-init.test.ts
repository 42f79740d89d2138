import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initProject } from '../../src/cli/init';
import { CliError } from '../../src/cli/exit-codes';
import { packageManifest } from '../../src/package-info';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mcp-agent-init-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A copy of the package installed into a project as npm does it, with the `resolved` npm's lockfile records. */
function installedCopy(resolved: string): string {
  const modules = path.join(dir, 'project', 'node_modules');
  const root = path.join(modules, 'mcp-agent-temporal');
  mkdirSync(root, { recursive: true });
  writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'mcp-agent-temporal', version: packageManifest().version }));
  const lock = { lockfileVersion: 3, packages: { 'node_modules/mcp-agent-temporal': { version: packageManifest().version, resolved } } };
  writeFileSync(path.join(modules, '.package-lock.json'), JSON.stringify(lock));
  return root;
}

const dependencyOf = (project: string) => JSON.parse(readFileSync(path.join(project, 'package.json'), 'utf8')).dependencies['mcp-agent-temporal'];

describe('mcp-agent init', () => {
  it('scaffolds a package that depends on this version, with its workflow, config, test, tsconfig, README and .gitignore', () => {
    const target = path.join(dir, 'My Agents');
    const said = initProject(target, { packageRoot: installedCopy('https://registry.npmjs.org/mcp-agent-temporal/-/mcp-agent-temporal-0.1.0.tgz') });
    for (const file of ['package.json', 'mcp_agent.config.yaml', 'workflows/triage.ts', 'test/triage.test.ts', 'tsconfig.json', 'README.md', '.gitignore']) {
      expect(existsSync(path.join(target, file))).toBe(true);
    }
    const manifest = JSON.parse(readFileSync(path.join(target, 'package.json'), 'utf8'));
    const ours = packageManifest();
    expect(manifest).toMatchObject({
      name: 'my-agents',
      // tsx drops types unchecked: the tests run only once the project type-checks.
      scripts: { dev: 'mcp-agent dev', typecheck: 'tsc', test: expect.stringMatching(/^npm run typecheck && node /) },
      dependencies: { 'mcp-agent-temporal': `^${ours.version}`, tsx: ours.dependencies.tsx, zod: ours.dependencies.zod },
      devDependencies: { typescript: ours.devDependencies.typescript, '@types/node': ours.devDependencies['@types/node'] },
    });
    expect(readFileSync(path.join(target, 'tsconfig.json'), 'utf8')).toMatch(/"skipLibCheck": true/);
    expect(readFileSync(path.join(target, 'README.md'), 'utf8')).not.toContain('npmjs.com');
    expect(readFileSync(path.join(target, 'README.md'), 'utf8')).toMatch(/^# my-agents\n/);
    // Dev may run Temporal on another port (the README says how): the export names its address.
    const exportCommand = /`[^`]*temporal workflow show [^`]*`/.exec(readFileSync(path.join(target, 'README.md'), 'utf8'))?.[0];
    expect(exportCommand).toMatch(/ --output json /);
    expect(exportCommand).toMatch(/ --address localhost:7233 /);
    expect(readFileSync(path.join(target, 'workflows', 'triage.ts'), 'utf8')).toContain("from 'mcp-agent-temporal/workflow'");
    expect(said).toContain('npm install');
    expect(said).not.toContain('It depends on');
  });

  it('depends on the tarball this copy was installed from, since the package is not on the registry', () => {
    const tarball = path.join(dir, 'tarballs', 'mcp-agent-temporal-0.1.0.tgz');
    mkdirSync(path.dirname(tarball));
    writeFileSync(tarball, '');
    const said = initProject(path.join(dir, 'demo'), { packageRoot: installedCopy('file:../tarballs/mcp-agent-temporal-0.1.0.tgz') });
    expect(dependencyOf(path.join(dir, 'demo'))).toBe(tarball);
    expect(said).toContain(`It depends on mcp-agent-temporal at ${tarball}, where this mcp-agent comes from (--package chooses another).`);
  });

  it('refuses, naming --package, when the tarball this copy was installed from is gone', () => {
    const root = installedCopy('file:../gone/mcp-agent-temporal-0.1.0.tgz');
    expect(() => initProject(path.join(dir, 'demo'), { packageRoot: root })).toThrow(
      new RegExp(`installed from ${path.join(dir, 'gone')}.*, which is gone.*pass --package with a tarball from \`npm pack\` or a built checkout`),
    );
    expect(existsSync(path.join(dir, 'demo'))).toBe(false);
  });

  it('run from a checkout, depends on that checkout once it is built', () => {
    const checkout = path.join(dir, 'checkout');
    mkdirSync(checkout);
    writeFileSync(path.join(checkout, 'package.json'), JSON.stringify({ name: 'mcp-agent-temporal', main: 'dist/src/index.js' }));
    expect(() => initProject(path.join(dir, 'early'), { packageRoot: checkout })).toThrow(/is not built \(no dist\/src\/index\.js\): run `npm run build`/);
    mkdirSync(path.join(checkout, 'dist', 'src'), { recursive: true });
    writeFileSync(path.join(checkout, 'dist', 'src', 'index.js'), '');
    const said = initProject(path.join(dir, 'built'), { packageRoot: checkout });
    expect(dependencyOf(path.join(dir, 'built'))).toBe(checkout);
    expect(said).toContain(`It depends on mcp-agent-temporal at ${checkout}, where this mcp-agent comes from`);
  });

  it('in the working directory itself, says no `cd`', () => {
    const here = path.join(dir, 'here');
    mkdirSync(here);
    const cwd = process.cwd();
    process.chdir(here);
    try {
      const said = initProject(here, { dependency: '/tmp/mcp-agent-temporal-0.1.0.tgz' });
      expect(said).toMatch(/^Created \.: /);
      expect(said).not.toMatch(/cd /);
      expect(said).toContain('  npm install');
    } finally {
      process.chdir(cwd);
    }
  });

  it('takes another way to depend on the package, such as a tarball', () => {
    initProject(path.join(dir, 'demo'), { dependency: '/tmp/mcp-agent-temporal-0.1.0.tgz' });
    const manifest = JSON.parse(readFileSync(path.join(dir, 'demo', 'package.json'), 'utf8'));
    expect(manifest.dependencies['mcp-agent-temporal']).toBe('/tmp/mcp-agent-temporal-0.1.0.tgz');
  });

  it('takes a built checkout as the package, and refuses one that is not built before making anything', () => {
    const checkout = path.join(dir, 'checkout');
    mkdirSync(checkout);
    expect(() => initProject(path.join(dir, 'early'), { dependency: checkout })).toThrow(/is not a package \(no package\.json\)/);
    writeFileSync(path.join(checkout, 'package.json'), JSON.stringify({ name: 'mcp-agent-temporal', main: 'dist/src/index.js' }));
    expect(() => initProject(path.join(dir, 'early'), { dependency: checkout })).toThrow(/is not built \(no dist\/src\/index\.js\): run `npm run build`/);
    expect(existsSync(path.join(dir, 'early'))).toBe(false);

    mkdirSync(path.join(checkout, 'dist', 'src'), { recursive: true });
    writeFileSync(path.join(checkout, 'dist', 'src', 'index.js'), '');
    initProject(path.join(dir, 'built'), { dependency: checkout });
    expect(JSON.parse(readFileSync(path.join(dir, 'built', 'package.json'), 'utf8')).dependencies['mcp-agent-temporal']).toBe(checkout);
  });

  it('refuses a folder that is not empty, touching nothing in it', () => {
    mkdirSync(path.join(dir, 'taken'));
    writeFileSync(path.join(dir, 'taken', 'notes.txt'), 'mine');
    expect(() => initProject(path.join(dir, 'taken'))).toThrow(CliError);
    expect(() => initProject(path.join(dir, 'taken'))).toThrow(/is not empty/);
    expect(existsSync(path.join(dir, 'taken', 'package.json'))).toBe(false);
  });
});
