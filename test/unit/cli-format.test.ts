import type { Run } from '../../client/run-view';
import { formatEvent, formatPendingInput } from '../../src/cli/format-event';
import { announcedRequest, waitingRequest, waitingRequests } from '../../src/cli/requests';
import {
  duration,
  formatPrompt,
  formatPrompts,
  formatResourceContents,
  formatResources,
  formatRun,
  formatRunList,
  formatServers,
  formatTools,
  formatWorkflows,
  oneLine,
  resultText,
  table,
} from '../../src/cli/format';
import { usageLine } from '../../src/patterns/usage';

const originalTz = process.env.TZ;
beforeAll(() => {
  process.env.TZ = 'UTC';
});
afterAll(() => {
  process.env.TZ = originalTz;
});

function run(overrides: Partial<Run> = {}): Run {
  return {
    runId: 'calc-1',
    workflow: 'calc',
    pattern: 'agent',
    status: 'completed',
    input: 'add 2 and 3',
    usage: { inputTokens: 12, outputTokens: 4, llmCalls: 1, toolCalls: 0 },
    startedAt: '2025-03-04T05:06:07.000Z',
    links: { self: '/runs/calc-1', ui: 'http://ui/namespaces/default/workflows/calc-1' },
    ...overrides,
  };
}

describe('formatRun', () => {
  it('shows a completed run compactly, its result text last', () => {
    const text = formatRun(run({ result: { text: 'The sum is 5.\nThat is all.' }, closedAt: '2025-03-04T05:06:09.500Z' }));
    expect(text).toBe(
      [
        'run       calc-1',
        'workflow  calc (agent)',
        'status    completed',
        'input     add 2 and 3',
        'usage     12 input + 4 output tokens · 1 LLM call · 0 tool calls',
        'started   2025-03-04 05:06:07',
        'closed    2025-03-04 05:06:09 (after 2.5 s)',
        'result    The sum is 5.',
        '          That is all.',
      ].join('\n'),
    );
  });

  it('shows the pending request and how to answer it', () => {
    const text = formatRun(
      run({
        runId: 'ad hoc',
        workflow: 'agent',
        status: 'waiting_for_input',
        pendingInput: { requestId: 'q-1', kind: 'approval', prompt: 'Allow this call?', tool: 'fs-delete', args: { path: '/tmp/x' } },
      }),
    );
    expect(text).toContain('workflow  agent\n');
    expect(text).toContain('waiting   approval q-1: Allow this call? · fs-delete {"path":"/tmp/x"}\n');
    expect(text).toContain(`          answer: mcp-agent input 'ad hoc' '{"approved": true}' --request-id q-1\n`);
    expect(text).not.toContain('closed');
  });

  it("shows an open run's step under its status, on one line", () => {
    const text = formatRun(run({ status: 'waiting_for_input', step: 'asking support\nabout the crash' }));
    expect(text).toContain('status    waiting_for_input\nstep      asking support about the crash\ninput ');
    expect(formatRun(run())).not.toContain('step');
  });

  it('says on one line, under the status it last said, that the workflow task keeps failing', () => {
    const text = formatRun(
      run({
        status: 'waiting_for_input',
        workflowTaskFailing: { attempt: 4, cause: 'failed', message: '[TMPRL1100] Nondeterminism error:\nno command', since: '2025-03-04T05:06:08.000Z' },
      }),
    );
    expect(text.split('\n').slice(2, 4)).toEqual([
      'status    waiting_for_input',
      'stuck     the workflow task keeps failing (attempt 4): [TMPRL1100] Nondeterminism error: no command',
    ]);
    expect(formatRun(run())).not.toContain('stuck');
  });

  it('says under the status which call Temporal is retrying: which attempt, why, and when next', () => {
    const text = formatRun(
      run({
        status: 'running',
        retrying: {
          activity: 'llmGenerate',
          attempt: 3,
          maximumAttempts: 5,
          lastError: '503 overloaded,\ntry later',
          nextAttemptAt: '2025-03-04T05:06:11.000Z',
        },
      }),
    );
    expect(text.split('\n').slice(2, 4)).toEqual([
      'status    running',
      'retrying  llmGenerate · attempt 3 of 5 · failed: 503 overloaded, try later · next at 05:06:11',
    ]);
    expect(formatRun(run({ status: 'running', retrying: { activity: 'mcpCallTool', attempt: 2, lastError: 'x'.repeat(300) } }))).toContain(
      `retrying  mcpCallTool · attempt 2 · failed: ${'x'.repeat(199)}…\n`,
    );
    expect(formatRun(run())).not.toContain('retrying');
  });

  it('shows the error of a failed run and a non-text result as JSON', () => {
    expect(formatRun(run({ status: 'failed', error: { code: 'provider_request_rejected', message: 'No such model.' } }))).toContain(
      'error     provider_request_rejected: No such model.',
    );
    expect(formatRun(run({ result: { route: 'math', score: 0.9 } }))).toContain('result    {\n            "route": "math",');
  });
});

describe('formatRunList and formatWorkflows', () => {
  it('lines runs up in columns', () => {
    const text = formatRunList([run(), run({ runId: 'agent-22', workflow: 'agent', status: 'running', input: { a: 1 } })]);
    expect(text.split('\n')).toEqual([
      'RUN ID    WORKFLOW  STATUS     STARTED              INPUT',
      'calc-1    calc      completed  2025-03-04 05:06:07  add 2 and 3',
      'agent-22  agent     running    2025-03-04 05:06:07  {"a":1}',
    ]);
    expect(formatRunList([])).toBe('No runs.');
  });

  it('marks runs whose workflow task keeps failing, or whose call Temporal is retrying, in the status column', () => {
    const text = formatRunList([
      run({ runId: 'a', status: 'running', workflowTaskFailing: { attempt: 4, cause: 'failed', message: 'boom', since: '2025-03-04T05:06:07Z' } }),
      run({ runId: 'b', status: 'running', retrying: { activity: 'llmGenerate', attempt: 2, lastError: '503' } }),
    ]);
    expect(text.split('\n').map((line) => line.split(/\s{2,}/)[2])).toEqual(['STATUS', 'running (stuck)', 'running (retrying)']);
  });

  it('lines workflows up in columns', () => {
    expect(formatWorkflows([{ name: 'calc', type: 'agent', description: 'Adds numbers' }, { name: 'research', type: 'orchestrator', description: '' }])).toBe(
      'NAME      TYPE          DESCRIPTION\ncalc      agent         Adds numbers\nresearch  orchestrator',
    );
  });
});

describe('MCP servers, tools, resources and prompts', () => {
  it('lists servers, tools, resources with templates, and prompts as columns', () => {
    expect(formatServers([{ name: 'everything', transport: 'stdio', description: 'Test tools' }, { name: 'docs', transport: 'streamable_http' }])).toBe(
      'NAME        TRANSPORT        DESCRIPTION\neverything  stdio            Test tools\ndocs        streamable_http',
    );
    expect(formatServers([])).toBe('No MCP servers in the config (mcp.servers).');
    expect(formatTools('fx', [{ name: 'add', description: 'Adds two numbers' }, { name: 'echo', title: 'Echo' }])).toBe(
      'NAME  DESCRIPTION\nadd   Adds two numbers\necho  Echo',
    );
    expect(formatTools('fx', [])).toBe('MCP server "fx" offers no tools.');
    expect(
      formatResources(
        'fx',
        [{ uri: 'fixture://notes/readme', name: 'readme', title: 'Fixture notes', mimeType: 'text/markdown', description: 'A note' }],
        [{ uriTemplate: 'fixture://echo/{text}', name: 'echo', mimeType: 'text/plain' }],
      ),
    ).toBe(
      [
        'URI                     NAME           TYPE           DESCRIPTION',
        'fixture://notes/readme  Fixture notes  text/markdown  A note',
        '',
        'URI TEMPLATE           NAME  TYPE        DESCRIPTION',
        'fixture://echo/{text}  echo  text/plain',
      ].join('\n'),
    );
    expect(formatResources('fx', [], [])).toBe('MCP server "fx" offers no resources.');
    expect(
      formatPrompts('e', [
        { name: 'args-prompt', description: 'Two arguments', arguments: [{ name: 'city', required: true }, { name: 'state', required: false }] },
        { name: 'simple-prompt' },
      ]),
    ).toBe('NAME           ARGUMENTS      DESCRIPTION\nargs-prompt    city, [state]  Two arguments\nsimple-prompt');
  });

  it("prints a resource's text, says what binary content is, and heads each part of several", () => {
    expect(formatResourceContents([{ uri: 'a:b', mimeType: 'text/plain', text: 'hello\n' }])).toBe('hello');
    expect(formatResourceContents([{ uri: 'a:png', mimeType: 'image/png', blob: 'iVBORw0K' }])).toBe(
      '[binary content, image/png, 6 bytes: --json prints its base64]',
    );
    expect(
      formatResourceContents([
        { uri: 'a:1', text: 'one' },
        { uri: 'a:2', mimeType: 'application/octet-stream', blob: 'AAE=' },
      ]),
    ).toBe('--- a:1\none\n--- a:2 (application/octet-stream)\n[binary content, application/octet-stream, 2 bytes: --json prints its base64]');
  });

  it('decodes binary content of a textual type that is UTF-8, and only that', () => {
    const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
    expect(formatResourceContents([{ uri: 'a:t', mimeType: 'text/plain', blob: base64('Resource 1: déjà vu\n') }])).toBe('Resource 1: déjà vu');
    expect(formatResourceContents([{ uri: 'a:j', mimeType: 'application/json; charset=utf-8', blob: base64('{"a":1}') }])).toBe('{"a":1}');
    // Not UTF-8 (a lone 0xff): still binary, whatever the type says.
    expect(formatResourceContents([{ uri: 'a:x', mimeType: 'text/plain', blob: Buffer.from([0x61, 0xff]).toString('base64') }])).toBe(
      '[binary content, text/plain, 2 bytes: --json prints its base64]',
    );
    expect(formatResourceContents([{ uri: 'a:o', mimeType: 'application/octet-stream', blob: base64('plain') }])).toBe(
      '[binary content, application/octet-stream, 5 bytes: --json prints its base64]',
    );
  });

  it("prints a prompt's messages by role", () => {
    expect(
      formatPrompt({
        description: 'A briefing',
        messages: [
          { role: 'user', content: { type: 'text', text: 'Brief me.' } },
          { role: 'assistant', content: { type: 'image', data: 'AA==', mimeType: 'image/png' } },
          { role: 'user', content: { type: 'resource', resource: { uri: 'a:b', text: 'the doc' } } },
        ],
      }),
    ).toBe('(A briefing)\nuser: Brief me.\nassistant: [image image/png]\nuser: [resource a:b]\nthe doc');
  });
});

describe('small helpers', () => {
  it('cuts values to one line', () => {
    expect(oneLine('a\n  b', 10)).toBe('a b');
    expect(oneLine('abcdefghijkl', 5)).toBe('abcd…');
    expect(oneLine({ x: [1] }, 20)).toBe('{"x":[1]}');
  });

  it('reads durations', () => {
    expect(duration(250)).toBe('250 ms');
    expect(duration(2500)).toBe('2.5 s');
    expect(duration(125_000)).toBe('2 min 5 s');
    expect(duration(3_900_000)).toBe('1 h 5 min');
  });

  it('takes the text of an agent result', () => {
    expect(resultText({ text: 'hi', usage: {} })).toBe('hi');
    expect(resultText('plain')).toBe('plain');
    expect(resultText([1, 2])).toBe('[\n  1,\n  2\n]');
  });

  it('shows a cost below a dollar to two significant digits: never $0.0000, and $0.075 not cut to $0.07', () => {
    const usage = { inputTokens: 12, outputTokens: 3, llmCalls: 1, toolCalls: 0 };
    const cost = (costUsd: number) => usageLine({ ...usage, costUsd }).split(' · ').pop();
    expect(cost(1.234)).toBe('$1.23');
    expect(cost(0.0042)).toBe('$0.0042');
    expect(cost(0.075)).toBe('$0.075');
    expect(cost(0.5)).toBe('$0.50');
    expect(cost(0.0000376)).toBe('$0.000038');
    expect(cost(0)).toBe('$0.00');
  });

  it('pads every column but the last', () => {
    expect(table([['a', 'bb', 'c'], ['ccc', 'd', '']])).toBe('a    bb  c\nccc  d');
  });
});

describe('formatEvent', () => {
  const at = '2025-03-04T05:06:07.000Z';
  const line = (name: string, data: Record<string, unknown>) => formatEvent({ name, at, data }, new Date(0));

  it('shows the time, the event and its facts', () => {
    expect(line('run_started', { workflow: 'calc', pattern: 'agent', input: 'add 2 and 3' })).toBe(
      '05:06:07  run_started      calc (agent) · input "add 2 and 3"',
    );
    expect(line('llm_started', { provider: 'openai', model: 'gpt-4o', turn: 2 })).toBe('05:06:07  llm_started      turn 2 · openai/gpt-4o');
    expect(line('llm_finished', { provider: 'openai', model: 'gpt-4o', turn: 2, inputTokens: 120, outputTokens: 30, toolCalls: ['everything-get-sum', 'fixture-echo'] })).toBe(
      '05:06:07  llm_finished     turn 2 · openai/gpt-4o · 120 in / 30 out tokens · calls everything-get-sum, fixture-echo',
    );
    expect(line('llm_finished', { model: 'm', turn: 3, inputTokens: 5, outputTokens: 2, toolCalls: [], text: 'The sum is 5.' })).toBe(
      '05:06:07  llm_finished     turn 3 · m · 5 in / 2 out tokens · "The sum is 5."',
    );
    expect(line('llm_finished', { model: 'm', turn: 1, inputTokens: 5000, outputTokens: 700, costUsd: 0.0312, toolCalls: [], text: 'Hi.' })).toBe(
      '05:06:07  llm_finished     turn 1 · m · 5000 in / 700 out tokens · $0.031 · "Hi."',
    );
  });

  it('shows tools with their arguments, results and errors', () => {
    expect(line('tool_started', { tool: 'everything-get-sum', turn: 1, arguments: '{"a":2,"b":3}' })).toBe(
      '05:06:07  tool_started     turn 1 · everything-get-sum · {"a":2,"b":3}',
    );
    expect(line('tool_finished', { tool: 'everything-get-sum', turn: 1, isError: false, result: 'The sum of 2 and 3 is 5.' })).toBe(
      '05:06:07  tool_finished    turn 1 · everything-get-sum · → The sum of 2 and 3 is 5.',
    );
    expect(line('tool_finished', { tool: 'no_such_tool', turn: 1, isError: true, error: 'Unknown tool' })).toBe(
      '05:06:07  tool_finished    turn 1 · no_such_tool · error: Unknown tool',
    );
  });

  it('shows how a run and its children end', () => {
    expect(line('completed', { text: 'The sum is 5.', usage: { inputTokens: 12, outputTokens: 4, llmCalls: 1, toolCalls: 0 } })).toBe(
      '05:06:07  completed        "The sum is 5." · 12 input + 4 output tokens · 1 LLM call · 0 tool calls',
    );
    expect(line('failed', { code: 'provider_request_rejected', message: 'No such model.' })).toBe(
      '05:06:07  failed           provider_request_rejected: No such model.',
    );
    expect(line('cancelled', {})).toBe('05:06:07  cancelled');
    expect(line('child_finished', { workflowId: 'r-child-1', status: 'failed', error: { code: 'x', message: 'broke' } })).toBe(
      '05:06:07  child_finished   r-child-1 · failed · x: broke',
    );
    expect(line('input_received', { requestId: 'q-1', via: 'update' })).toBe('05:06:07  input_received   request q-1');
  });

  it('shows a call Temporal is retrying: which, which attempt, why, and when next', () => {
    expect(
      line('retrying', { activity: 'llmGenerate', attempt: 3, maximumAttempts: 5, lastError: '503 overloaded,\ntry later', nextAttemptAt: '2025-03-04T05:06:11.000Z' }),
    ).toBe('05:06:07  retrying         llmGenerate · attempt 3 of 5 · failed: 503 overloaded, try later · next at 05:06:11');
    expect(line('retrying', { activity: 'mcpCallTool', attempt: 2, lastError: 'connection refused' })).toBe(
      '05:06:07  retrying         mcpCallTool · attempt 2 · failed: connection refused',
    );
  });

  it('shows a workflow task that keeps failing on one line: which attempt, and why', () => {
    expect(line('workflow_task_failing', { attempt: 3, message: "Failed to initialize workflow of type 'x':\nno such function", since: at })).toBe(
      "05:06:07  workflow_task_failing  the workflow task keeps failing (attempt 3): Failed to initialize workflow of type 'x': no such function",
    );
  });

  it("shows an MCP server's progress and log messages for a running tool call", () => {
    expect(line('tool_progress', { server: 'docs', tool: 'index', progress: 2, total: 5, message: 'parsing' })).toBe(
      '05:06:07  tool_progress    docs-index · 2/5 · parsing',
    );
    expect(line('tool_progress', { server: 'docs', tool: 'index', progress: 7 })).toBe('05:06:07  tool_progress    docs-index · 7');
    expect(line('tool_log', { server: 'docs', tool: 'index', level: 'warning', message: 'slow\ndisk' })).toBe(
      '05:06:07  tool_log         docs-index · warning · slow disk',
    );
  });

  it("shows a conversation's turns, messages, steps and context", () => {
    expect(line('message_received', { turn: 2, via: 'update' })).toBe('05:06:07  message_received  turn 2 · by update');
    expect(line('message_received', { via: 'signal' })).toBe('05:06:07  message_received  by signal');
    expect(line('turn_started', { turn: 2, text: 'What is\n2 + 3?' })).toBe('05:06:07  turn_started     turn 2 · "What is 2 + 3?"');
    expect(line('turn_finished', { turn: 2, outcome: 'answered', text: 'It is 5.' })).toBe('05:06:07  turn_finished    turn 2 · answered · "It is 5."');
    expect(line('turn_finished', { turn: 3, outcome: 'interrupted' })).toBe('05:06:07  turn_finished    turn 3 · interrupted');
    expect(line('llm_started', { provider: 'openai', model: 'gpt-4o', turn: 2, step: 3 })).toBe('05:06:07  llm_started      turn 2 step 3 · openai/gpt-4o');
    expect(
      line('llm_finished', {
        model: 'm',
        turn: 4,
        step: 1,
        inputTokens: 900,
        outputTokens: 20,
        toolCalls: [],
        text: 'Done.',
        context: { tokens: 900, fullTokens: 4000, dropped: 12, stubbed: 3 },
      }),
    ).toBe('05:06:07  llm_finished     turn 4 step 1 · m · 900 in / 20 out tokens · context 900/4000 tokens, 12 dropped, 3 stubbed · "Done."');
    // A call that sent the whole conversation says nothing about it.
    expect(line('llm_finished', { model: 'm', turn: 1, step: 1, toolCalls: ['t'], context: { tokens: 50, fullTokens: 62, dropped: 0, stubbed: 0 } })).toBe(
      '05:06:07  llm_finished     turn 1 step 1 · m · calls t',
    );
    expect(line('llm_finished', { model: 'm', toolCalls: [], context: { tokens: 50, fullTokens: 90, dropped: 0, stubbed: 2 } })).toBe(
      '05:06:07  llm_finished     m · context 50/90 tokens, 2 stubbed',
    );
    expect(line('context_summarized', { provider: 'openai', model: 'gpt-4o-mini', turn: 7, messages: 24, text: 'The user is Ada; 2 + 3 = 5.' })).toBe(
      '05:06:07  context_summarized  turn 7 · openai/gpt-4o-mini · 24 messages summarized · "The user is Ada; 2 + 3 = 5."',
    );
  });

  it('shows an event type it does not know with its data, at the time it arrived when it has none', () => {
    expect(formatEvent({ name: 'something_new', data: { a: 1 } }, new Date('2025-01-01T10:20:30Z'))).toBe('10:20:30  something_new    {"a":1}');
  });

  it('puts the pending request under input_requested', () => {
    expect(formatPendingInput('r1', { requestId: 'q-1', kind: 'input', prompt: 'Which numbers?' })).toBe(
      `${' '.repeat(27)}input q-1: Which numbers?\n${' '.repeat(27)}answer: mcp-agent input r1 '<answer>' --request-id q-1`,
    );
  });

  it('says when the request under input_requested no longer waits, instead of how to answer it', () => {
    expect(formatPendingInput('r1', { requestId: 'q-1', kind: 'input', prompt: 'Which numbers?' }, false)).toBe(
      `${' '.repeat(27)}input q-1: Which numbers?\n${' '.repeat(27)}(no longer waits for an answer)`,
    );
  });
});

describe('requests of input_requested events', () => {
  const run = (extra: Partial<Run>): Run => ({
    runId: 'r1',
    workflow: 'parallel',
    pattern: 'parallel',
    status: 'waiting_for_input',
    input: 'go',
    usage: { inputTokens: 0, outputTokens: 0, llmCalls: 0, toolCalls: 0 },
    startedAt: '2026-01-02T03:04:05.000Z',
    links: { self: '/runs/r1', ui: 'http://ui/r1' },
    ...extra,
  });
  const first = { requestId: 'r1/a-1::input-1', kind: 'input' as const, prompt: 'First?' };
  const second = { requestId: 'r1/b-2::input-1', kind: 'input' as const, prompt: 'Second?' };

  it("reads the event's own request: its id, kind, prompt, tool and the arguments its preview holds whole", () => {
    expect(announcedRequest({ requestId: 'approval-2', kind: 'approval', prompt: 'Allow?', tool: 'fs-delete', args: '{"path":"/tmp/x"}' })).toEqual({
      requestId: 'approval-2',
      kind: 'approval',
      prompt: 'Allow?',
      tool: 'fs-delete',
      args: { path: '/tmp/x' },
    });
    expect(announcedRequest({ requestId: 'input-1', kind: 'input', args: '{"path":"/tmp/a very long…' })).toEqual({ requestId: 'input-1', kind: 'input', prompt: '' });
    expect(announcedRequest({ kind: 'input', prompt: 'No id?' })).toBeUndefined();
  });

  it('finds a request the run waits on by its id, in pendingInputs, or in pendingInput from an API without the list', () => {
    expect(waitingRequests(run({ pendingInput: first, pendingInputs: [first, second] }))).toEqual([first, second]);
    expect(waitingRequest(run({ pendingInput: first, pendingInputs: [first, second] }), second.requestId)).toEqual(second);
    expect(waitingRequest(run({ pendingInput: first }), first.requestId)).toEqual(first);
    expect(waitingRequest(run({ pendingInput: first }), second.requestId)).toBeUndefined();
    expect(waitingRequests(run({ status: 'running' }))).toEqual([]);
  });
});
