import {
  functionResultText,
  functionSummary,
  functionTools,
  inputAsUserMessage,
  interruptedResult,
  llmSummary,
  notRunnableToolText,
  routeToolCall,
  toolSummary,
  unknownToolText,
} from '../../src/patterns/agent';
import {
  answerText,
  approvalDecisionSchema,
  denialText,
  humanInputPrompt,
  noAnswerText,
} from '../../src/patterns/human-input';

describe('agent loop pieces', () => {
  test('the run input becomes the first user message; structured input as JSON', () => {
    expect(inputAsUserMessage('hi')).toEqual({ role: 'user', content: 'hi' });
    expect(inputAsUserMessage({ city: 'Paris' })).toEqual({ role: 'user', content: '{\n  "city": "Paris"\n}' });
  });

  test('tool calls route to human input, an MCP server, or nowhere', () => {
    const offered = ['everything-get-sum', 'human_input'];
    expect(routeToolCall('human_input', offered, ['everything'], true)).toEqual({ kind: 'human_input' });
    // Offered, though the agent has no human_input: a tool the workflow made itself.
    expect(routeToolCall('human_input', offered, ['everything'], false)).toEqual({ kind: 'not_runnable' });
    expect(routeToolCall('everything-get-sum', offered, ['everything'], false)).toEqual({
      kind: 'mcp',
      server: 'everything',
      tool: 'get-sum',
    });
    // A tool the turn did not offer is unknown even if its server exists (allowed_tools filtered it).
    expect(routeToolCall('everything-get-env', offered, ['everything'], false)).toEqual({ kind: 'unknown' });
  });

  test('a config function is a tool named exactly like it, routed before any server split', () => {
    const offered = ['everything-get-sum', 'lookup_order', 'fixture-add'];
    expect(routeToolCall('lookup_order', offered, ['everything'], false, ['lookup_order'])).toEqual({
      kind: 'function',
      name: 'lookup_order',
    });
    // A function whose name looks like `<server>-<tool>` is still the function.
    expect(routeToolCall('fixture-add', offered, ['fixture'], false, ['fixture-add'])).toEqual({
      kind: 'function',
      name: 'fixture-add',
    });
    // Not offered this turn: unknown, even though the agent lists it.
    expect(routeToolCall('start_refund', offered, [], false, ['start_refund'])).toEqual({ kind: 'unknown' });
  });

  test("a workflow's own tool is offered but not runnable, and is told so rather than as an unknown tool the list names", () => {
    const offered = ['adder-add', 'adder-shout', 'my_tool'];
    expect(routeToolCall('my_tool', offered, ['adder'], false)).toEqual({ kind: 'not_runnable' });
    expect(routeToolCall('other_tool', offered, ['adder'], false)).toEqual({ kind: 'unknown' });
    expect(notRunnableToolText('my_tool')).toBe(
      '"my_tool" is offered but callTool cannot run it: callTool runs the agent\'s MCP tools and functions, human_input and approvals; ' +
        'a tool the workflow adds itself (toolSet(listed, ownTools)) must be handled by the workflow before calling callTool.',
    );
  });

  test('function tools take free-form arguments and a description, written for the model when the config has none', () => {
    const [described, bare] = functionTools(['lookup_order', 'start_refund'], { lookup_order: 'Finds an order by id' });
    expect(described).toEqual({
      name: 'lookup_order',
      description: 'Finds an order by id',
      inputSchema: { type: 'object', additionalProperties: true },
    });
    expect(bare.description).toBe('Runs the function "start_refund".');
  });

  test("a function's value or error is the tool result text", () => {
    expect(functionResultText({ value: 'done', isError: false })).toBe('done');
    expect(functionResultText({ value: { id: 'A-1' }, isError: false })).toBe('{\n  "id": "A-1"\n}');
    expect(functionResultText({ value: null, isError: false })).toBe('null');
    expect(functionResultText({ value: null, isError: true, error: 'No order with id "B".' })).toBe('No order with id "B".');
    expect(functionSummary('lookup_order')).toBe('function lookup_order');
  });

  test('readable texts for the model and the Web UI', () => {
    expect(unknownToolText('x-y', ['a-b'])).toBe('Unknown tool "x-y". Available tools: a-b.');
    expect(unknownToolText('x-y', [])).toContain('none');
    expect(llmSummary('openai', 'gpt-4o', 'calculator', 2)).toBe('llm openai/gpt-4o · calculator · turn 2');
    expect(llmSummary('openai', 'gpt-4o', 'calculator', 3, 2)).toBe('llm openai/gpt-4o · calculator · turn 3 · step 2');
    expect(toolSummary('everything-get-sum')).toBe('tool everything-get-sum');
  });

  test('a call a new message interrupted gets an error result that says so, for the same call id', () => {
    expect(interruptedResult({ id: 'call-7', name: 'fixture-slow', arguments: { ms: 10 } })).toEqual({
      role: 'tool',
      toolCallId: 'call-7',
      name: 'fixture-slow',
      content: expect.stringContaining('stopped before it finished: the user sent a new message'),
      isError: true,
    });
  });
});

describe('human input and approvals', () => {
  test('an approval is {approved, reason?} and nothing else', () => {
    expect(approvalDecisionSchema.safeParse({ approved: true }).success).toBe(true);
    expect(approvalDecisionSchema.safeParse({ approved: false, reason: 'no' }).success).toBe(true);
    expect(approvalDecisionSchema.safeParse(true).success).toBe(false);
    expect(approvalDecisionSchema.safeParse({ approved: 'yes' }).success).toBe(false);
    expect(approvalDecisionSchema.safeParse({ approved: true, extra: 1 }).success).toBe(false);
  });

  test('answers, denials and timeouts read clearly to the model', () => {
    expect(answerText('Paris')).toBe('Paris');
    expect(answerText({ n: 1 })).toBe('{"n":1}');
    expect(denialText('fs-delete', 'too risky')).toBe(
      'The user denied the call to fs-delete: too risky. Do not retry it unchanged.',
    );
    expect(denialText('fs-delete', 'Never!')).toBe('The user denied the call to fs-delete: Never! Do not retry it unchanged.');
    expect(denialText('fs-delete', 'why?')).toContain('fs-delete: why? Do not');
    expect(denialText('fs-delete', 'done.')).toContain('fs-delete: done. Do not');
    expect(denialText('fs-delete')).toBe('The user denied the call to fs-delete. Do not retry it unchanged.');
    expect(denialText('fs-delete', '  ')).toBe('The user denied the call to fs-delete. Do not retry it unchanged.');
    expect(noAnswerText('input', 60)).toContain('within 60 seconds');
    expect(noAnswerText('approval', 60, 'fs-delete')).toContain('fs-delete was not approved');
    expect(humanInputPrompt({ prompt: 'Which city?' })).toBe('Which city?');
    expect(humanInputPrompt({})).toBe('The agent asks for your input.');
  });
});
