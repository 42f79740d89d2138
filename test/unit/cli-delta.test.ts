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
