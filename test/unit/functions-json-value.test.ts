import { jsonValueProblem } from '../../src/functions/json-value';

describe('jsonValueProblem', () => {
  it('accepts what JSON carries intact, dates and omitted fields included', () => {
    const shared = { sku: 'k-1' };
    const value = {
      text: 'kettle',
      count: 2,
      ok: true,
      none: null,
      optional: undefined,
      at: new Date('2026-01-05T10:00:00Z'),
      items: [shared, shared, [1, 'two']],
    };
    expect(jsonValueProblem(value, 'result')).toBeUndefined();
  });

  it.each([
    [{ total: 10n }, 'result.total is a bigint, which JSON cannot represent; use a string or a number'],
    [{ ratio: NaN }, 'result.ratio is NaN, which JSON cannot represent'],
    [{ limit: Infinity }, 'result.limit is Infinity, which JSON cannot represent'],
    [{ items: [{ onClick: () => undefined }] }, 'result.items[0].onClick is a function, which JSON cannot represent'],
    [{ tag: Symbol('x') }, 'result.tag is a symbol, which JSON cannot represent'],
    [{ byId: new Map([['a', 1]]) }, 'result.byId is a Map, which JSON turns into {}; use a plain object'],
    [{ ids: new Set([1]) }, 'result.ids is a Set, which JSON turns into {}; use an array'],
    [{ 'odd key': 1n }, 'result["odd key"] is a bigint, which JSON cannot represent; use a string or a number'],
  ])('names the first part JSON would lose: %p', (value, problem) => {
    expect(jsonValueProblem(value, 'result')).toBe(problem);
  });

  it('reports a cycle where it closes', () => {
    const order: Record<string, unknown> = { id: 'A-1' };
    order.lines = [{ order }];
    expect(jsonValueProblem(order, 'result')).toBe(
      'result.lines[0].order refers back to an object that contains it, which JSON cannot represent',
    );
  });

  it('rejects a bare function as the whole value', () => {
    expect(jsonValueProblem(() => 1, 'result')).toBe('result is a function, which JSON cannot represent');
  });
});
