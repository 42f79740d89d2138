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

describe('mcp-agent init', () => {
  it('scaffolds a package that depends on this version, with its workflow, config, test, README and .gitignore', () => {
    const target = path.join(dir, 'My Agents');
    const said = initProject(target);
    for (const file of ['package.json', 'mcp_agent.config.yaml', 'workflows/triage.ts', 'test/triage.test.ts', 'README.md', '.gitignore']) {
      expect(existsSync(path.join(target, file))).toBe(true);
    }
    const manifest = JSON.parse(readFileSync(path.join(target, 'package.json'), 'utf8'));
    const ours = packageManifest();
    expect(manifest).toMatchObject({
      name: 'my-agents',
      scripts: { dev: 'mcp-agent dev' },
      dependencies: { 'mcp-agent-temporal': `^${ours.version}`, tsx: ours.dependencies.tsx, zod: ours.dependencies.zod },
    });
    expect(readFileSync(path.join(target, 'README.md'), 'utf8')).toMatch(/^# my-agents\n/);
    expect(readFileSync(path.join(target, 'workflows', 'triage.ts'), 'utf8')).toContain("from 'mcp-agent-temporal/workflow'");
    expect(said).toContain('npm install');
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
