import { parseCommandLine, parseSpec, parseValue, UsageError } from '../../src/cli/args';
import { ExitCode } from '../../src/cli/exit-codes';
import { HELP_TEXT } from '../../src/cli/help';
import { runStatusSchema } from '../../client/run-view';
import { apiSettings, defaultApiUrl } from '../../src/cli/settings';

const noFiles = (file: string): string => {
  throw new Error(`ENOENT: no such file ${file}`);
};
const parse = (...argv: string[]) => parseCommandLine(argv, noFiles);

function usageError(argv: string[]): UsageError {
  try {
    parseCommandLine(argv, noFiles);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
}

describe('parseValue', () => {
  it('reads JSON when the text is JSON, else keeps the text', () => {
    expect(parseValue('{"approved": true}')).toEqual({ approved: true });
    expect(parseValue('42')).toBe(42);
    expect(parseValue('"quoted"')).toBe('quoted');
    expect(parseValue('2 and 3')).toBe('2 and 3');
    expect(parseValue('')).toBe('');
  });
});

describe('parseSpec', () => {
  it('takes JSON, or a JSON file after @', () => {
    expect(parseSpec('{"agent": {"instruction": "x"}}', noFiles)).toEqual({ agent: { instruction: 'x' } });
    const read = jest.fn(() => '{"type": "agent"}');
    expect(parseSpec('@specs/a.json', read)).toEqual({ type: 'agent' });
    expect(read).toHaveBeenCalledWith('specs/a.json');
  });

  it('says what is wrong with a spec that is not a JSON object', () => {
    expect(() => parseSpec('{nope', noFiles)).toThrow(/--spec: the value is not valid JSON/);
    expect(() => parseSpec('[1]', noFiles)).toThrow(/must be a JSON object/);
    expect(() => parseSpec('@missing.json', noFiles)).toThrow(/--spec: cannot read missing.json: ENOENT/);
    expect(() => parseSpec('@bad.json', () => 'not json')).toThrow(/--spec: bad.json is not valid JSON/);
  });
});

describe('parseCommandLine', () => {
  it('parses run with its input, id, spec and --wait, and the global options anywhere', () => {
    expect(parseCommandLine(['--api', 'http://api:1', 'run', 'agent', 'hello there', '--id', 'r1', '--spec', '@s.json', '--wait', '--json'], () => '{"agent": {}}')).toEqual({
      command: { name: 'run', workflow: 'agent', input: 'hello there', id: 'r1', spec: { agent: {} }, wait: true },
      options: { api: 'http://api:1', json: true },
    });
    expect(parse('run', 'calc', '{"a": 1}').command).toEqual({ name: 'run', workflow: 'calc', input: { a: 1 }, wait: false });
  });

  it('sends no input as null, which starts a conversation idle, rather than an empty message', () => {
    expect(parse('run', 'talk').command).toEqual({ name: 'run', workflow: 'talk', input: null, inputOmitted: true, wait: false });
    // An explicit null is an input the user gave: nothing marks it omitted.
    expect(parse('run', 'calc', 'null').command).toEqual({ name: 'run', workflow: 'calc', input: null, wait: false });
  });

  it('parses chat with a workflow or run id, a first message, --id, and a --spec made a conversation', () => {
    expect(parse('chat', 'talk').command).toEqual({ name: 'chat', target: 'talk' });
    // A chat's first message is text even when it reads as JSON: every line after it is text too.
    expect(parse('chat', 'talk', '42', '--id', 'c1').command).toEqual({ name: 'chat', target: 'talk', input: '42', id: 'c1' });
    expect(parseCommandLine(['chat', 'agent', '--spec', '@s.json', '--json'], () => '{"agent": {"instruction": "x"}, "conversation": false}')).toEqual({
      command: { name: 'chat', target: 'agent', spec: { agent: { instruction: 'x' }, conversation: true } },
      options: { json: true },
    });
    expect(usageError(['chat']).message).toBe('chat: missing workflow|runId (usage: chat <workflow|runId> [input])');
    expect(usageError(['chat', 'talk', '--wait']).message).toBe('chat: does not take --wait');
    expect(usageError(['chat', 'talk', 'a', 'b']).message).toMatch(/unexpected argument "b"/);
  });

  it('parses list filters, checking status and limit', () => {
    expect(parse('list', '--status', 'waiting_for_input', '--workflow', 'calc', '--limit', '5').command).toEqual({
      name: 'list',
      status: 'waiting_for_input',
      workflow: 'calc',
      limit: 5,
    });
    expect(parse('list').command).toEqual({ name: 'list' });
    expect(usageError(['list', '--status', 'done']).message).toContain('--status: must be one of running, paused');
    expect(usageError(['list', '--limit', '0']).message).toContain('--limit: must be a whole number');
    expect(usageError(['list', '--limit', 'ten']).message).toContain('--limit');
  });

  it('names in the help every status list --status takes, which are the ones the API filters by', () => {
    const [, statuses] = HELP_TEXT.match(/--status S +([\s\S]*?)\n +--workflow/) ?? [];
    expect(statuses.split(/[\s,]+/).filter((word) => word !== 'or')).toEqual(runStatusSchema.options);
  });

  it('parses input with a JSON or text value and a request id; "--" lets a value start with a dash', () => {
    expect(parse('input', 'r1', '{"approved": false, "reason": "no"}', '--request-id', 'q1').command).toEqual({
      name: 'input',
      runId: 'r1',
      value: { approved: false, reason: 'no' },
      requestId: 'q1',
    });
    expect(parse('input', 'r1', '--', '-5').command).toEqual({ name: 'input', runId: 'r1', value: -5 });
  });

  it.each(['status', 'pause', 'resume', 'cancel', 'watch'] as const)('parses %s <runId>', (name) => {
    expect(parse(name, 'run-1').command).toEqual({ name, runId: 'run-1' });
  });

  it('parses cancel --reason', () => {
    expect(parse('cancel', 'run-1', '--reason', 'wrong question').command).toEqual({
      name: 'cancel',
      runId: 'run-1',
      reason: 'wrong question',
    });
    expect(() => parse('pause', 'run-1', '--reason', 'x')).toThrow(/reason/);
  });

  it('parses init [dir] --package and replay <file> --id', () => {
    expect(parse('init').command).toEqual({ name: 'init', dir: '.' });
    expect(parse('init', 'demo', '--package', '../pkg.tgz').command).toEqual({ name: 'init', dir: 'demo', dependency: '../pkg.tgz' });
    expect(parse('replay', 'run-1.json').command).toEqual({ name: 'replay', file: 'run-1.json' });
    expect(parse('replay', 'h.json', '--id', 'run-1').command).toEqual({ name: 'replay', file: 'h.json', runId: 'run-1' });
    expect(usageError(['replay']).message).toBe('replay: missing history.json (usage: replay <history.json>)');
    expect(() => parse('init', 'demo', '--id', 'x')).toThrow(/init: does not take --id/);
  });

  it('parses the commands without arguments, help and the token', () => {
    expect(parse('workflows', '--token', 't0k').command).toEqual({ name: 'workflows' });
    expect(parse('workflows', '--token', 't0k').options).toEqual({ token: 't0k', json: false });
    expect(parse('serve').command).toEqual({ name: 'serve' });
    expect(parse('dev').command).toEqual({ name: 'dev' });
    expect(parse('help').command).toEqual({ name: 'help' });
    expect(parse('status', '-h').command).toEqual({ name: 'help' });
    expect(parse('--version').command).toEqual({ name: 'version' });
  });

  it('parses the MCP server commands: servers, tools|resources|prompts <server>, resource <server> <uri>, prompt <server> <name> [args]', () => {
    expect(parse('servers').command).toEqual({ name: 'servers' });
    expect(parse('tools', 'everything').command).toEqual({ name: 'tools', server: 'everything' });
    expect(parse('resources', 'docs', '--json')).toEqual({ command: { name: 'resources', server: 'docs' }, options: { json: true } });
    expect(parse('prompts', 'docs').command).toEqual({ name: 'prompts', server: 'docs' });
    expect(parse('resource', 'docs', 'file:///guide.md').command).toEqual({ name: 'resource', server: 'docs', uri: 'file:///guide.md' });
    expect(parse('prompt', 'everything', 'args-prompt').command).toEqual({ name: 'prompt', server: 'everything', prompt: 'args-prompt', arguments: {} });
    expect(parse('prompt', 'everything', 'args-prompt', '{"city": "Paris"}').command).toEqual({
      name: 'prompt',
      server: 'everything',
      prompt: 'args-prompt',
      arguments: { city: 'Paris' },
    });
  });

  it('refuses MCP server commands without their server, uri or prompt, and prompt arguments that are not strings', () => {
    const cases: [string[], string][] = [
      [['tools'], 'tools: missing server (usage: tools <server>)'],
      [['resources'], 'resources: missing server (usage: resources <server>)'],
      [['prompts', 'a', 'b'], 'prompts: unexpected argument "b" (usage: prompts <server>; quote text with spaces)'],
      [['resource', 'docs'], 'resource: missing uri (usage: resource <server> <uri>)'],
      [['prompt', 'docs'], 'prompt: missing name (usage: prompt <server> <name> [arguments])'],
      [['servers', 'x'], 'servers: unexpected argument "x" (usage: servers; quote text with spaces)'],
      [['tools', 'docs', '--wait'], 'tools: does not take --wait'],
      [['prompt', 'docs', 'p', 'city=Paris'], `prompt: the arguments must be a JSON object of strings, e.g. '{"city": "Paris"}'; got "city=Paris"`],
      [['prompt', 'docs', 'p', '[1]'], `prompt: the arguments must be a JSON object of strings, e.g. '{"city": "Paris"}'`],
      [['prompt', 'docs', 'p', '{"count": 3, "ok": "y", "flag": true}'], 'prompt: every argument is a string; count, flag are not (quote them)'],
    ];
    for (const [argv, message] of cases) {
      const error = usageError(argv);
      expect(error.exitCode).toBe(ExitCode.Usage);
      expect(error.message).toBe(message);
    }
  });

  it('refuses what does not fit, with exit code 2', () => {
    const cases: [string[], RegExp][] = [
      [[], /missing command/],
      [['launch'], /unknown command "launch"/],
      [['status'], /status: missing runId \(usage: status <runId>\)/],
      [['input', 'r1'], /input: missing value/],
      [['status', 'a', 'b'], /unexpected argument "b"/],
      [['run', 'calc', 'add', '2'], /unexpected argument "2".*quote/],
      [['status', 'r1', '--wait'], /status: does not take --wait/],
      [['list', '--request-id', 'x'], /does not take --request-id/],
      [['status', 'r1', '--nope'], /Unknown option '--nope'/],
      [['run', 'calc', '--id'], /--id <value>' argument missing/],
      [['run', 'calc', 'x', '--spec', '[]'], /must be a JSON object/],
    ];
    for (const [argv, message] of cases) {
      const error = usageError(argv);
      expect(error.exitCode).toBe(ExitCode.Usage);
      expect(error.message).toMatch(message);
    }
  });
});

describe('apiSettings', () => {
  it('takes --api and --token over the environment, and the environment over HOST and PORT', () => {
    const env = { MCP_AGENT_API_URL: 'http://env:1', MCP_AGENT_API_TOKEN: 'env-token', PORT: '4000' };
    expect(apiSettings({ api: 'http://flag:2', token: 'flag-token', json: false }, env)).toEqual({ baseUrl: 'http://flag:2', token: 'flag-token' });
    expect(apiSettings({ json: false }, env)).toEqual({ baseUrl: 'http://env:1', token: 'env-token' });
    expect(apiSettings({ json: false }, {})).toEqual({ baseUrl: 'http://127.0.0.1:3000' });
  });

  it('reaches an API bound to every interface on loopback', () => {
    expect(defaultApiUrl({ HOST: '0.0.0.0', PORT: '8080' })).toBe('http://127.0.0.1:8080');
    expect(defaultApiUrl({ HOST: '::', PORT: '8080' })).toBe('http://[::1]:8080');
    expect(defaultApiUrl({ HOST: 'api.internal' })).toBe('http://api.internal:3000');
  });

  it('refuses a URL that is not http(s), and a bad PORT, as usage errors', () => {
    expect(() => apiSettings({ api: 'ftp://x', json: false }, {})).toThrow(UsageError);
    expect(() => apiSettings({ api: 'not a url', json: false }, {})).toThrow(/must be an http\(s\) URL/);
    expect(() => apiSettings({ json: false }, { PORT: 'abc' })).toThrow(/PORT: must be a whole number.*--api/);
  });
});
