import { agentsInSpec, inputMemo, MEMO_INPUT_MAX_BYTES, memoInput, runDetails, runSummary } from '../../client/run-metadata';
import type { ResolvedAgent, ResolvedSpec } from '../../src/spec/schema';

const calculator: ResolvedAgent = {
  name: 'calculator',
  instruction: 'You add numbers.',
  servers: ['everything', 'docs'],
  provider: 'openai',
  model: 'gpt-4o-mini',
  max_iterations: 10,
  max_tokens: 4096,
  human_input: false,
  handoffs: [],
  functions: [],
  approve_tools: [],
  input_timeout_seconds: 60,
};

describe('runSummary', () => {
  it('is the workflow name and the first line of a text input', () => {
    expect(runSummary('calc', 'add 2 and 3\nthen double it')).toBe('calc: add 2 and 3');
  });

  it('shows other inputs as JSON', () => {
    expect(runSummary('calc', { a: 2, b: 3 })).toBe('calc: {"a":2,"b":3}');
  });

  it('cuts a long line to fit the Web UI', () => {
    const summary = runSummary('calc', 'x'.repeat(500));
    expect(summary).toBe(`calc: ${'x'.repeat(99)}…`);
  });

  it('is just the name when the input has nothing to show', () => {
    expect(runSummary('calc', '   ')).toBe('calc');
  });
});

describe('runDetails', () => {
  it('lists the pattern and each agent with its model and servers', () => {
    const spec: ResolvedSpec = { type: 'agent', agent: calculator };
    expect(runDetails(spec)).toBe(
      ['**pattern** agent', '', '**agents**', '- calculator: openai/gpt-4o-mini · servers: everything, docs'].join('\n'),
    );
  });

  it('finds agents at any depth of a composed spec', () => {
    const nested = { type: 'parallel', fan_out: [{ type: 'agent', agent: calculator }, { ...calculator, name: 'checker', servers: [] }] };
    expect(agentsInSpec(nested).map((a) => `${a.name}:${a.servers.length}`)).toEqual(['calculator:2', 'checker:0']);
  });
});

describe('input memo', () => {
  it('keeps a small input, null included', () => {
    expect(memoInput(inputMemo({ numbers: [2, 3] }))).toEqual({ input: { numbers: [2, 3] } });
    expect(memoInput(inputMemo(null))).toEqual({ input: null });
  });

  it('leaves a large input to the history', () => {
    const large = 'x'.repeat(MEMO_INPUT_MAX_BYTES + 1);
    expect(inputMemo(large)).toEqual({});
    expect(memoInput(inputMemo(large))).toBeUndefined();
  });

  it('finds no input in a memo without one', () => {
    expect(memoInput(undefined)).toBeUndefined();
    expect(memoInput({ other: 1 })).toBeUndefined();
  });
});
