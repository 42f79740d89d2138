import { DeltaPrinter } from '../../src/cli/format-delta';

describe('DeltaPrinter', () => {
  function printer(root = 'run-1') {
    let out = '';
    return { p: new DeltaPrinter(root, (text) => (out += text)), out: () => out };
  }

  it('writes a reply inline on its own line, and ends the line before other output', () => {
    const { p, out } = printer();
    p.delta({ runId: 'run-1', activityId: '3', attempt: 1, kind: 'text', text: 'Hel' });
    p.delta({ runId: 'run-1', activityId: '3', attempt: 1, kind: 'text', text: 'lo\nworld' });
    expect(out()).toBe('          Hello\n          world');
    p.end();
    p.end();
    expect(out()).toBe('          Hello\n          world\n');
  });

  it('shows tool arguments as a call, and says whose reply a child’s is when calls interleave', () => {
    const { p, out } = printer();
    p.delta({ runId: 'run-1', activityId: '3', attempt: 1, kind: 'tool_call', index: 0, id: 'c1', name: 'sum', arguments: '' });
    p.delta({ runId: 'run-1', activityId: '3', attempt: 1, kind: 'tool_call', index: 0, arguments: '{"a":1}' });
    p.delta({ runId: 'run-1/finder-1', activityId: '1', attempt: 1, kind: 'text', text: 'Looking' });
    p.delta({ runId: 'run-1/finder-1', activityId: '1', attempt: 1, kind: 'text', text: '…' });
    p.end();
    expect(out().split('\n')).toEqual(['          → sum({"a":1})', '          [finder-1] Looking…', '']);
  });
});

describe('DeltaPrinter with calls at once', () => {
  function printer(root = 'run-1') {
    let out = '';
    return { p: new DeltaPrinter(root, (text) => (out += text)), out: () => out };
  }
  const text = (runId: string, piece: string, activityId = '1') => ({ runId, activityId, attempt: 1, kind: 'text', text: piece });

  it("keeps each child's reply on one line while two children write at once, not a line per delta", () => {
    const { p, out } = printer();
    const one = ['alph', 'a be', 'ta g', 'amma'];
    const two = ['zeta', ' eta', ' the', 'ta'];
    for (let i = 0; i < one.length; i++) {
      p.delta(text('run-1/one-1', one[i]));
      p.delta(text('run-1/two-2', two[i]));
    }
    // The first to write has the line, as it streams; the other's text so far is held.
    expect(out()).toBe('          [one-1] alpha beta gamma');
    p.end();
    expect(out().split('\n')).toEqual(['          [one-1] alpha beta gamma', '          [two-2] zeta eta theta', '']);
  });

  it('gives the line to a held reply when the open one reaches a newline, and back on a new line', () => {
    const { p, out } = printer();
    p.delta(text('run-1/one-1', 'first li'));
    p.delta(text('run-1/two-2', 'other '));
    p.delta(text('run-1/one-1', 'ne\nsecond'));
    p.delta(text('run-1/two-2', 'reply'));
    p.delta(text('run-1/one-1', ' line'));
    p.end();
    expect(out().split('\n')).toEqual([
      '          [one-1] first line',
      '          [two-2] other reply',
      '          [one-1] second line',
      '',
    ]);
  });

  it("starts a new line at a run's next call, without waiting for other output", () => {
    const { p, out } = printer();
    p.delta(text('run-1/one-1', 'Checking.', '1'));
    p.delta(text('run-1/two-2', 'Other'));
    p.delta(text('run-1/one-1', 'Done.', '3'));
    expect(out().split('\n')).toEqual(['          [one-1] Checking.', '          [one-1] Done.']);
    p.end();
    expect(out().split('\n').slice(2)).toEqual(['          [two-2] Other', '']);
  });

  it("tells whether an answer was shown whole as it was written, until forgotten", () => {
    const { p } = printer();
    p.delta(text('run-1', 'Checking.', '1'));
    p.delta(text('run-1', 'The answer', '3'));
    p.delta(text('run-1', ' is 42.\n', '3'));
    p.end();
    expect(p.showed('The answer is 42.')).toBe(true);
    expect(p.showed('The answer is 43.')).toBe(false);
    expect(p.showed('Checking.')).toBe(false);
    p.forget();
    expect(p.showed('The answer is 42.')).toBe(false);
  });
});
