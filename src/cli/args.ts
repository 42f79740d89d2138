import { parseArgs, type ParseArgsConfig } from 'node:util';
import { runStatusSchema, type RunViewStatus } from '../../client/run-view';
import { CliError, ExitCode } from './exit-codes';

/**
 * The command line of `mcp-agent`, parsed into one command with its options. Pure but for reading
 * a `--spec @file`, which goes through the `readText` it is given. Every mistake becomes a
 * UsageError, which the CLI answers with exit code 2.
 */

export class UsageError extends CliError {
  constructor(message: string) {
    super(ExitCode.Usage, message);
    this.name = 'UsageError';
  }
}

export interface GlobalOptions {
  /** `--api`; the environment and the default are applied later (see settings.ts). */
  api?: string;
  token?: string;
  json: boolean;
}

export type CliCommand =
  | { name: 'help' }
  | { name: 'version' }
  | { name: 'workflows' }
  | { name: 'run'; workflow: string; input: unknown; inputOmitted?: true; id?: string; spec?: Record<string, unknown>; wait: boolean }
  | { name: 'status'; runId: string }
  | { name: 'list'; status?: RunViewStatus; workflow?: string; limit?: number }
  | { name: 'pause' | 'resume'; runId: string }
  | { name: 'cancel'; runId: string; reason?: string }
  | { name: 'input'; runId: string; value: unknown; requestId?: string }
  | { name: 'watch'; runId: string }
  | { name: 'chat'; target: string; input?: string; id?: string; spec?: Record<string, unknown> }
  | { name: 'serve' }
  | { name: 'dev' }
  | { name: 'init'; dir: string; dependency?: string }
  | { name: 'replay'; file: string; runId?: string }
  | { name: 'servers' }
  | { name: 'tools' | 'resources' | 'prompts'; server: string }
  | { name: 'resource'; server: string; uri: string }
  | { name: 'prompt'; server: string; prompt: string; arguments: Record<string, string> }
  | { name: 'login'; server: string; port?: number };

export type CommandName = Exclude<CliCommand['name'], 'help' | 'version'>;

export interface CommandLine {
  command: CliCommand;
  options: GlobalOptions;
}

const optionSpecs = {
  api: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  id: { type: 'string' },
  spec: { type: 'string' },
  wait: { type: 'boolean' },
  status: { type: 'string' },
  workflow: { type: 'string' },
  limit: { type: 'string' },
  'request-id': { type: 'string' },
  reason: { type: 'string' },
  package: { type: 'string' },
  port: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

type OptionName = keyof typeof optionSpecs;
type OptionValues = Partial<Record<OptionName, string | boolean>>;

const GLOBAL_OPTIONS: readonly OptionName[] = ['api', 'token', 'json', 'help', 'version'];

/** Each command's positional arguments (`?` marks an optional one) and its own options. */
const commandShapes: Record<CommandName, { positionals: string[]; options: OptionName[] }> = {
  workflows: { positionals: [], options: [] },
  run: { positionals: ['name', 'input?'], options: ['id', 'spec', 'wait'] },
  status: { positionals: ['runId'], options: [] },
  list: { positionals: [], options: ['status', 'workflow', 'limit'] },
  pause: { positionals: ['runId'], options: [] },
  resume: { positionals: ['runId'], options: [] },
  cancel: { positionals: ['runId'], options: ['reason'] },
  input: { positionals: ['runId', 'value'], options: ['request-id'] },
  watch: { positionals: ['runId'], options: [] },
  chat: { positionals: ['workflow|runId', 'input?'], options: ['id', 'spec'] },
  serve: { positionals: [], options: [] },
  dev: { positionals: [], options: [] },
  init: { positionals: ['dir?'], options: ['package'] },
  replay: { positionals: ['history.json'], options: ['id'] },
  servers: { positionals: [], options: [] },
  tools: { positionals: ['server'], options: [] },
  resources: { positionals: ['server'], options: [] },
  prompts: { positionals: ['server'], options: [] },
  resource: { positionals: ['server', 'uri'], options: [] },
  prompt: { positionals: ['server', 'name', 'arguments?'], options: [] },
  login: { positionals: ['server'], options: ['port'] },
};

export const commandNames = Object.keys(commandShapes) as CommandName[];

function isCommandName(name: string): name is CommandName {
  return Object.prototype.hasOwnProperty.call(commandShapes, name);
}

/** A value on the command line: JSON when it parses as JSON, else the text itself. */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** `--spec` takes JSON, or `@path` to a JSON file. */
export function parseSpec(text: string, readText: (path: string) => string): Record<string, unknown> {
  const fromFile = text.startsWith('@');
  let source = text;
  if (fromFile) {
    try {
      source = readText(text.slice(1));
    } catch (error) {
      throw new UsageError(`--spec: cannot read ${text.slice(1)}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  let spec: unknown;
  try {
    spec = JSON.parse(source);
  } catch (error) {
    const where = fromFile ? text.slice(1) : 'the value';
    throw new UsageError(`--spec: ${where} is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new UsageError('--spec: must be a JSON object, e.g. {"agent": {"instruction": "..."}}');
  }
  return spec as Record<string, unknown>;
}

/** A prompt's arguments: a JSON object of strings (MCP prompt arguments are strings). */
export function parsePromptArguments(text: string | undefined): Record<string, string> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`prompt: the arguments must be a JSON object of strings, e.g. '{"city": "Paris"}'; got ${JSON.stringify(text)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`prompt: the arguments must be a JSON object of strings, e.g. '{"city": "Paris"}'`);
  }
  const notStrings = Object.entries(value).filter(([, argument]) => typeof argument !== 'string');
  if (notStrings.length > 0) {
    throw new UsageError(`prompt: every argument is a string; ${notStrings.map(([name]) => name).join(', ')} ${notStrings.length > 1 ? 'are' : 'is'} not (quote them)`);
  }
  return value as Record<string, string>;
}

function parseLimit(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`--limit: must be a whole number of at least 1, got "${text}"`);
  return Number(text);
}

function parsePort(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65_535) throw new UsageError(`--port: must be a port number from 0 to 65535, got "${text}"`);
  return Number(text);
}

function parseStatus(text: string): RunViewStatus {
  const parsed = runStatusSchema.safeParse(text);
  if (!parsed.success) throw new UsageError(`--status: must be one of ${runStatusSchema.options.join(', ')}; got "${text}"`);
  return parsed.data;
}

function tokenize(argv: string[]): { values: OptionValues; positionals: string[] } {
  try {
    return parseArgs({ args: argv, options: optionSpecs, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function checkArguments(name: CommandName, positionals: string[], values: OptionValues): void {
  const shape = commandShapes[name];
  const allowed = new Set<OptionName>([...GLOBAL_OPTIONS, ...shape.options]);
  const misplaced = (Object.keys(values) as OptionName[]).filter((option) => !allowed.has(option));
  if (misplaced.length > 0) {
    throw new UsageError(`${name}: does not take ${misplaced.map((option) => `--${option}`).join(', ')}`);
  }
  const required = shape.positionals.filter((p) => !p.endsWith('?'));
  const usage = [name, ...shape.positionals.map((p) => (p.endsWith('?') ? `[${p.slice(0, -1)}]` : `<${p}>`))].join(' ');
  if (positionals.length < required.length) throw new UsageError(`${name}: missing ${required[positionals.length]} (usage: ${usage})`);
  if (positionals.length > shape.positionals.length) {
    throw new UsageError(`${name}: unexpected argument "${positionals[shape.positionals.length]}" (usage: ${usage}; quote text with spaces)`);
  }
}

function buildCommand(name: CommandName, args: string[], values: OptionValues, readText: (path: string) => string): CliCommand {
  const text = (option: OptionName) => values[option] as string | undefined;
  switch (name) {
    case 'run':
      return {
        name,
        workflow: args[0],
        // No input is the API's null, which starts a conversation idle; another run is refused with a 400.
        input: args[1] === undefined ? null : parseValue(args[1]),
        // Told apart from an explicit `null`, which the user gave and the API judges.
        ...(args[1] === undefined && { inputOmitted: true as const }),
        ...(text('id') !== undefined && { id: text('id') }),
        ...(text('spec') !== undefined && { spec: parseSpec(text('spec')!, readText) }),
        wait: values.wait === true,
      };
    case 'chat':
      return {
        name,
        target: args[0],
        // A chat line is text, so the first message is too (run's input may be JSON).
        ...(args[1] !== undefined && { input: args[1] }),
        ...(text('id') !== undefined && { id: text('id') }),
        // A chat wants a run that stays open after its answer: the user need not say so in the spec.
        ...(text('spec') !== undefined && { spec: { ...parseSpec(text('spec')!, readText), conversation: true } }),
      };
    case 'list':
      return {
        name,
        ...(text('status') !== undefined && { status: parseStatus(text('status')!) }),
        ...(text('workflow') !== undefined && { workflow: text('workflow') }),
        ...(text('limit') !== undefined && { limit: parseLimit(text('limit')!) }),
      };
    case 'input':
      return {
        name,
        runId: args[0],
        value: parseValue(args[1]),
        ...(text('request-id') !== undefined && { requestId: text('request-id') }),
      };
    case 'cancel':
      return { name, runId: args[0], ...(text('reason') !== undefined && { reason: text('reason') }) };
    case 'status':
    case 'pause':
    case 'resume':
    case 'watch':
      return { name, runId: args[0] };
    case 'init':
      return { name, dir: args[0] ?? '.', ...(text('package') !== undefined && { dependency: text('package') }) };
    case 'replay':
      return { name, file: args[0], ...(text('id') !== undefined && { runId: text('id') }) };
    case 'tools':
    case 'resources':
    case 'prompts':
      return { name, server: args[0] };
    case 'resource':
      return { name, server: args[0], uri: args[1] };
    case 'prompt':
      return { name, server: args[0], prompt: args[1], arguments: parsePromptArguments(args[2]) };
    case 'login':
      return { name, server: args[0], ...(text('port') !== undefined && { port: parsePort(text('port')!) }) };
    case 'workflows':
    case 'servers':
    case 'serve':
    case 'dev':
      return { name };
  }
}

export function parseCommandLine(argv: string[], readText: (path: string) => string): CommandLine {
  const { values, positionals } = tokenize(argv);
  const options: GlobalOptions = {
    ...(typeof values.api === 'string' && { api: values.api }),
    ...(typeof values.token === 'string' && { token: values.token }),
    json: values.json === true,
  };
  if (values.help) return { command: { name: 'help' }, options };
  if (values.version) return { command: { name: 'version' }, options };
  const [name, ...args] = positionals;
  if (name === 'help') return { command: { name: 'help' }, options };
  if (name === undefined) throw new UsageError(`missing command; commands: ${commandNames.join(', ')}`);
  if (!isCommandName(name)) throw new UsageError(`unknown command "${name}"; commands: ${commandNames.join(', ')}`);
  checkArguments(name, args, values);
  return { command: buildCommand(name, args, values, readText), options };
}
