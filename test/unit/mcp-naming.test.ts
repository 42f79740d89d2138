import { globMatch, matchesAny, namespacedToolName, splitToolName } from '../../src/mcp/naming';

describe('tool namespacing', () => {
  test('tools are offered as <server>-<tool>', () => {
    expect(namespacedToolName('everything', 'get-sum')).toBe('everything-get-sum');
  });

  test('a name splits back at the longest known server prefix', () => {
    const servers = ['docs', 'docs-internal', 'everything'];
    expect(splitToolName('everything-get-sum', servers)).toEqual({ server: 'everything', tool: 'get-sum' });
    expect(splitToolName('docs-internal-search', servers)).toEqual({ server: 'docs-internal', tool: 'search' });
    expect(splitToolName('docs-search', servers)).toEqual({ server: 'docs', tool: 'search' });
  });

  test('names of no known server, or with no tool part, do not split', () => {
    expect(splitToolName('fetch-url', ['docs'])).toBeUndefined();
    expect(splitToolName('docs-', ['docs'])).toBeUndefined();
    expect(splitToolName('docs', ['docs'])).toBeUndefined();
  });
});

describe('globs', () => {
  test.each([
    ['search*', 'search_docs', true],
    ['search*', 'research', false],
    ['everything-get-*', 'everything-get-env', true],
    ['get-?um', 'get-sum', true],
    ['a.b', 'axb', false],
    ['exact', 'exact', true],
  ])('%s matches %s: %s', (pattern, text, expected) => {
    expect(globMatch(pattern, text)).toBe(expected);
  });

  test('matchesAny is false for no patterns', () => {
    expect(matchesAny([], 'anything')).toBe(false);
    expect(matchesAny(['x', 'any*'], 'anything')).toBe(true);
  });
});
