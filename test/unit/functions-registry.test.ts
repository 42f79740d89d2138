import path from 'node:path';
import { ConfigError } from '../../src/config/errors';
import { loadFunctions } from '../../src/functions/registry';
import { functionToolDefinition } from '../../src/functions/tools';

const fixtures = path.resolve(__dirname, '../fixtures/functions');
const orders = path.join(fixtures, 'orders.ts');

function loadingProblems(functions: Parameters<typeof loadFunctions>[0]): readonly string[] {
  try {
    loadFunctions(functions);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected loadFunctions to throw a ConfigError');
}

describe('loadFunctions', () => {
  it('loads each named export and answers by config name', async () => {
    const registry = loadFunctions({
      lookup_order: { module: orders, export: 'lookupOrder', description: 'Finds an order' },
      start_refund: { module: orders, export: 'startRefund' },
    });
    expect(registry.names()).toEqual(['lookup_order', 'start_refund']);
    expect(registry.get('missing')).toBeUndefined();
    const lookup = registry.get('lookup_order');
    if (!lookup) throw new Error('lookup_order was not loaded');
    const context = { contextVariables: {}, transferTo: () => undefined, signal: new AbortController().signal };
    await expect(lookup({ id: 'A-1' }, context)).resolves.toMatchObject({ id: 'A-1', item: 'kettle' });
  });

  it('loads nothing when no functions are configured', () => {
    expect(loadFunctions({}).names()).toEqual([]);
  });

  it('reports every problem at once, each by key path', () => {
    const problems = loadingProblems({
      typo: { module: orders, export: 'lookupOrdr' },
      constant: { module: orders, export: 'ORDER_STATUSES' },
      missing_module: { module: path.join(fixtures, 'absent.ts'), export: 'anything' },
      broken_module: { module: path.join(fixtures, 'broken.ts'), export: 'anything' },
      fine: { module: orders, export: 'cancelOrder' },
    });
    expect(problems).toHaveLength(4);
    const exportedFunctions = [
      'cancelOrder', 'countInBigint', 'failHalfway', 'lookupOrder', 'nothing',
      'replaceContextVariables', 'retryLater', 'startRefund', 'waitForCancellation',
    ];
    expect(problems[0]).toBe(
      `functions.typo.export: "lookupOrdr" is not exported by ${orders} (exported functions: ${exportedFunctions.join(', ')})`,
    );
    expect(problems[1]).toBe(
      `functions.constant.export: "ORDER_STATUSES" exported by ${orders} is an array, not a function`,
    );
    expect(problems[2]).toMatch(/^functions\.missing_module\.module: cannot load .*absent\.ts: Cannot find module/);
    expect(problems[3]).toMatch(/^functions\.broken_module\.module: cannot load .*broken\.ts: ORDERS_DATABASE_URL is not set$/);
  });

  it('names the source of the problems in the error message', () => {
    expect(() => loadFunctions({ typo: { module: orders, export: 'lookupOrdr' } })).toThrow(
      /^Invalid configuration \(functions\):\n {2}functions\.typo\.export: /,
    );
  });
});

describe('functionToolDefinition', () => {
  it('offers a function under its own name with free-form arguments', () => {
    expect(functionToolDefinition('lookup_order', 'Finds an order by id')).toEqual({
      name: 'lookup_order',
      description: 'Finds an order by id',
      inputSchema: { type: 'object', additionalProperties: true },
    });
  });
});
