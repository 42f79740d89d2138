import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { devServerArgs } from '../../temporal/dev-server';
import { dispatchDynamicConfig, fileSqlitePragmas } from '../../temporal/tuning';

/**
 * The dispatch tuning of temporal/tuning.ts (temporal/TUNING.md) reaches every Temporal server we
 * start or ship: the dev server's arguments (npm run dev, the test suite, the benches) and the
 * production compose's dynamic config file.
 */

const root = path.resolve(__dirname, '..', '..');

/** `--flag value` pairs of an argument list. */
function values(args: string[], flag: string): string[] {
  return args.flatMap((arg, i) => (arg === flag ? [args[i + 1]] : []));
}

describe('dev server tuning', () => {
  test('every dispatch setting is a --dynamic-config-value with a JSON value', () => {
    const given = values(devServerArgs({ cliPath: 't', port: 1, uiPort: false }), '--dynamic-config-value');
    expect(Object.keys(dispatchDynamicConfig).length).toBeGreaterThan(0);
    for (const [key, value] of Object.entries(dispatchDynamicConfig)) expect(given).toContain(`${key}=${JSON.stringify(value)}`);
    expect(given).toContain('history.transferProcessorMaxPollRPS=1000');
  });

  test('the SQLite pragmas go with a database file only', () => {
    const withFile = values(devServerArgs({ cliPath: 't', port: 1, dbFile: '.temporal/dev.db' }), '--sqlite-pragma');
    expect(withFile).toEqual(Object.entries(fileSqlitePragmas).map(([name, value]) => `${name}=${value}`));
    expect(withFile).toEqual(expect.arrayContaining(['journal_mode=wal', 'synchronous=normal']));
    expect(devServerArgs({ cliPath: 't', port: 1 })).not.toContain('--sqlite-pragma');
  });

  test("empty settings give Temporal's and SQLite's defaults (the benchmark's baseline)", () => {
    const args = devServerArgs({ cliPath: 't', port: 1, dbFile: 'x.db', dynamicConfig: {}, sqlitePragmas: {} });
    expect(args).not.toContain('--dynamic-config-value');
    expect(args).not.toContain('--sqlite-pragma');
  });
});

describe('production compose tuning', () => {
  test("the compose's dynamic config file sets the same dispatch values", () => {
    const file = path.join(root, 'temporal', 'dynamicconfig', 'development-sql.yaml');
    const dynamicConfig = parse(readFileSync(file, 'utf8')) as Record<string, Array<{ value: unknown; constraints?: unknown }>>;
    for (const [key, value] of Object.entries(dispatchDynamicConfig)) {
      expect(dynamicConfig[key]).toEqual([{ value }]);
    }
  });
});
