import path from 'node:path';
import { ConfigError } from '../../src/config/errors';
import { configSchema } from '../../src/config/schema';
import { checkCodeWorkflows } from '../../worker/code-workflows';

/** What a worker checks of its code workflows at start, before it bundles them. */

const fixtures = path.resolve(__dirname, '..', 'fixtures', 'code-workflows');
const config = (workflows: Record<string, unknown>) => configSchema.parse({ workflows });

function problemsOf(workflows: Record<string, unknown>): readonly string[] {
  try {
    checkCodeWorkflows(config(workflows));
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
}

describe('checkCodeWorkflows', () => {
  it('takes one module under two names, however its path is spelt', () => {
    expect(
      problemsOf({
        a: { type: 'code', module: path.join(fixtures, 'triage.ts'), export: 'triageTicket' },
        b: { type: 'code', module: path.join(fixtures, 'triage'), export: 'triageTicket' },
      }),
    ).toEqual([]);
  });

  it('refuses one export name taken from two modules, a missing export, a missing module and a prototype key', () => {
    expect(
      problemsOf({
        a: { type: 'code', module: path.join(fixtures, 'triage.ts'), export: 'triageTicket' },
        b: { type: 'code', module: path.join(fixtures, 'triage-changed.ts'), export: 'triageTicket' },
        c: { type: 'code', module: path.join(fixtures, 'triage.ts'), export: 'nothingHere' },
        d: { type: 'code', module: path.join(fixtures, 'missing.ts'), export: 'x' },
        e: { type: 'code', module: path.join(fixtures, 'triage.ts'), export: 'constructor' },
      }),
    ).toEqual([
      expect.stringMatching(/^workflows\.b\.export: "triageTicket" is already taken from .*triage\.ts; each workflow type comes from one module$/),
      expect.stringMatching(/^workflows\.c\.export: "nothingHere" is not exported by .*triage\.ts \(exported functions: askGhost, askWithChild, buggyTriage, dateAnswer, fanOutAndApprove, listAnswer, triageTicket\)$/),
      expect.stringMatching(/^workflows\.d\.module: cannot load .*missing\.ts: /),
      expect.stringMatching(/^workflows\.e\.export: "constructor" is not exported by /),
    ]);
  });

  it('refuses a plain exported function, not made with workflow(), saying to wrap it', () => {
    // Loaded by Node here, outside any bundle: the mark workflow() leaves must be there too.
    expect(
      problemsOf({
        plain: { type: 'code', module: path.join(fixtures, 'plain.ts'), export: 'plain' },
        triage: { type: 'code', module: path.join(fixtures, 'triage.ts'), export: 'triageTicket' },
      }),
    ).toEqual([
      expect.stringMatching(
        /^workflows\.plain\.export: "plain" exported by .*plain\.ts is a plain function, not a workflow: wrap it with workflow\(\) from 'mcp-agent-temporal\/workflow'/,
      ),
    ]);
  });

  it('refuses conversation: true on an entry whose workflow is not made with { conversation: true }, and takes it on one that is', () => {
    expect(
      problemsOf({
        chat: { type: 'code', module: path.join(fixtures, 'chat.ts'), export: 'chat', conversation: true, on_message_while_busy: 'reject' },
        triage: { type: 'code', module: path.join(fixtures, 'triage.ts'), export: 'triageTicket', conversation: true },
        oneShot: { type: 'code', module: path.join(fixtures, 'chat.ts'), export: 'chat' },
      }),
    ).toEqual([
      expect.stringMatching(
        /^workflows\.triage\.conversation: "triageTicket" exported by .*triage\.ts is not made with \{ conversation: true \}, so its runs could take no messages: /,
      ),
    ]);
  });
});
