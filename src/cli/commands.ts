import path from 'node:path';
import { isClosedRunStatus, type Run } from '../../client/run-view';
import { UsageError, type CliCommand, type GlobalOptions } from './args';
import { ApiAnswerError, ApiClient, type ApiReply, type RunControl } from './api-client';
import { chatCommand } from './chat';
import { CliError, ExitCode } from './exit-codes';
import { initProject } from './init';
import { followRun, idleConversation, type StreamedEvent } from './follow';
import {
  formatPrompt,
  formatPrompts,
  formatResourceContents,
  formatResources,
  formatRun,
  formatRunList,
  formatServers,
  formatTools,
  formatWorkflows,
} from './format';
import { DeltaPrinter } from './format-delta';
import { formatEvent, formatPendingInput } from './format-event';
import { announcedRequest, waitingRequest } from './requests';
import type { ApiSettings } from './settings';
import type { ReplayOutcome } from '../testing/replay';

/**
 * What each command does. API commands print the API's reply (verbatim with --json) and return
 * their exit code; failures arrive as CliErrors that main turns into a message and a code.
 */

type Print = (text: string) => void;
const print: Print = (text) => process.stdout.write(`${text}\n`);

const controlMessages: Record<RunControl, string> = {
  pause: 'Pause requested: the run stops at its next step boundary.',
  resume: 'Resume requested.',
  cancel: 'Cancel requested.',
};

/**
 * 0 when the run completed (or, for `run --wait`, a conversation answered and is idle), 1 when it
 * ended any other way, or its conversation's turn failed.
 */
export function exitCodeOf(run: Run): ExitCode {
  if (run.status === 'idle') return run.conversation?.lastTurn?.outcome === 'failed' ? ExitCode.RunUnsuccessful : ExitCode.Ok;
  return run.status === 'completed' ? ExitCode.Ok : ExitCode.RunUnsuccessful;
}

function printRun(reply: ApiReply<Run>, options: GlobalOptions, message?: string): void {
  if (options.json) print(reply.text);
  else print(message ? `${message}\n${formatRun(reply.body)}` : formatRun(reply.body));
}

/**
 * Event lines; under input_requested, the request it announces, once: whole from the Run with
 * how to answer it while it waits (the event cuts a long prompt), else as the event has it. A run
 * may wait on several requests at once, so each event's request is found by its own requestId.
 * `llm_delta` events show the reply being written, inline, as they arrive.
 */
function eventPrinter(client: ApiClient, runId: string, options: GlobalOptions): (event: StreamedEvent) => Promise<void> {
  const deltas = new DeltaPrinter(runId, (text) => process.stdout.write(text));
  const shown = new Set<string>();
  return async (event) => {
    if (options.json) return print(event.json);
    if (event.name === 'llm_delta') return deltas.delta(event.data);
    deltas.end();
    print(formatEvent(event, new Date()));
    if (event.name !== 'input_requested') return;
    const announced = announcedRequest(event.data);
    // Runs recorded before each request was announced once may announce one again.
    if (!announced || shown.has(announced.requestId)) return;
    shown.add(announced.requestId);
    const waiting = waitingRequest((await client.run(runId)).body, announced.requestId);
    print(formatPendingInput(runId, waiting ?? announced, waiting !== undefined));
  };
}

/** Problems the API lists by key path: every one is the input's (`input: ...`, `input.city: ...`). */
function onlyInputProblems(details: unknown): boolean {
  return Array.isArray(details) && details.length > 0 && details.every((line) => typeof line === 'string' && /^input\b/.test(line));
}

/**
 * `run <name>` without an input sends null, which only a conversation takes (it starts idle): the
 * API's 400 about that input (invalid_spec, or invalid_input against an input_schema) is the
 * command line's mistake.
 */
function missingInput(error: unknown, workflow: string): unknown {
  if (!(error instanceof ApiAnswerError) || error.status !== 400) return error;
  if ((error.code !== 'invalid_spec' && error.code !== 'invalid_input') || !onlyInputProblems(error.details)) return error;
  return new UsageError(`run: missing input: ${workflow} is not a conversation, so it needs one (usage: run <name> [input])`);
}

async function runCommand(client: ApiClient, command: Extract<CliCommand, { name: 'run' }>, options: GlobalOptions): Promise<ExitCode> {
  const started = await client
    .startRun(command.workflow, {
      input: command.input,
      ...(command.id !== undefined && { id: command.id }),
      ...(command.spec !== undefined && { spec: command.spec }),
    })
    .catch((error: unknown) => {
      throw command.inputOmitted ? missingInput(error, command.workflow) : error;
    });
  // The API takes no input only from a conversation, which starts idle: no turn runs, so --wait
  // would wait for a turn_finished that never comes. (Just started, it may still show as running.)
  const idleStart = command.inputOmitted === true && !isClosedRunStatus(started.body.status);
  if (!command.wait || idleStart) {
    printRun(started, options);
    if (idleStart && !options.json) {
      const runId = started.body.runId;
      print(`\n${runId} waits for its first message: mcp-agent chat ${runId}, or POST /runs/${runId}/messages.`);
    }
    return ExitCode.Ok;
  }
  const runId = started.body.runId;
  if (!options.json) print(`Started ${runId}; following its events (Ctrl-C stops following, not the run).`);
  // With --json, stdout carries only the final Run, so a script can parse it whole. A conversation
  // is done with the input once it has answered it and is idle.
  const onEvent = options.json ? () => undefined : eventPrinter(client, runId, options);
  const closed = await followRun(client, runId, onEvent, undefined, idleConversation(client, runId));
  if (options.json) print(closed.text);
  else print(`\n${formatRun(closed.body)}`);
  return exitCodeOf(closed.body);
}

async function watchCommand(client: ApiClient, runId: string, options: GlobalOptions): Promise<ExitCode> {
  const closed = await followRun(client, runId, eventPrinter(client, runId, options));
  return exitCodeOf(closed.body);
}

/**
 * `dev` runs in this process rather than in a child: a process in between would outlive a launcher
 * killed without passing the signal on, and so hide that loss from the dev process, which stops on
 * it (src/dev/main.ts). That process ends itself, on a signal or a failure: this never settles.
 */
function devCommand(): Promise<number> {
  require('../dev/main');
  return new Promise(() => undefined);
}

/** Two failures whose cause is not the code: a file named other than its run, and a config without the workflow. */
function replayHint(outcome: ReplayOutcome, runId: string, configFile: string | undefined): string {
  if (outcome.unknownWorkflowType !== undefined) {
    return configFile ? ` (config: ${configFile})` : ' (no config file found from here: set MCP_AGENT_CONFIG)';
  }
  if (/child workflow id/i.test(outcome.error ?? '')) {
    return `\n(Child ids derive from the run id, taken from the file's name: "${runId}". If the run had another id, pass --id <runId>.)`;
  }
  return '';
}

/**
 * Exit 2 as the README says, without the pointer to --help: the command line was right. Text that
 * is not JSON is most likely `temporal workflow show` without `--output json` (a "Progress:" table).
 */
function unreadableHistory(file: string, error: unknown): CliError {
  const hint =
    error instanceof SyntaxError
      ? ': a history is JSON, as the Web UI\'s "Download" saves it or `temporal workflow show --output json -w <runId>` prints it (without --output json it prints text)'
      : '';
  return new CliError(ExitCode.Usage, `replay: cannot read ${file} as a history (${(error as Error).message})${hint}`);
}

async function replayCommand(file: string, runId = path.basename(file, '.json')): Promise<number> {
  // Loaded only here: replaying bundles the workflows with webpack.
  const { readHistoryFile, replayHistories } = require('../testing/replay') as typeof import('../testing/replay');
  const { loadConfig, locateConfigFile } = require('../config/load') as typeof import('../config/load');
  const { DefaultLogger, Runtime } = require('@temporalio/worker') as typeof import('@temporalio/worker');
  let history;
  try {
    history = readHistoryFile(file, runId);
  } catch (error) {
    throw unreadableHistory(file, error);
  }
  const config = loadConfig();
  // The SDK core's own log of the mismatch is the same reason as a debug dump (twice, in colour):
  // its logs come through the quiet logger, and the runtime stops after, which lets the process exit.
  const runtime = Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
  const [outcome] = await replayHistories(config, [history]).finally(() => runtime.shutdown());
  if (outcome.error) {
    process.stderr.write(`${file} does not replay on this code: ${outcome.error}${replayHint(outcome, runId, locateConfigFile())}\n`);
    return ExitCode.RunUnsuccessful;
  }
  print(`${file} replays on this code.`);
  return ExitCode.Ok;
}

async function serveCommand(): Promise<number> {
  // Loaded only here: the MCP server brings the Temporal client, which other commands never need.
  const { serveStdio } = require('../mcp-server/stdio') as typeof import('../mcp-server/stdio');
  await serveStdio();
  return ExitCode.Ok;
}

export async function runCliCommand(
  command: Exclude<CliCommand, { name: 'help' | 'version' }>,
  options: GlobalOptions,
  api: () => ApiSettings,
): Promise<number> {
  if (command.name === 'serve') return serveCommand();
  if (command.name === 'init') {
    print(initProject(command.dir, { dependency: command.dependency }));
    return ExitCode.Ok;
  }
  if (command.name === 'replay') return replayCommand(command.file, command.runId);
  if (command.name === 'dev') return devCommand();
  if (command.name === 'login') {
    // Loaded only here: it reads the config, not the API.
    const { loginCommand } = require('./login') as typeof import('./login');
    return loginCommand(command.server, command.port, print);
  }

  const settings = api();
  const client = new ApiClient(settings.baseUrl, settings.token);
  switch (command.name) {
    case 'workflows': {
      const reply = await client.workflows();
      print(options.json ? reply.text : formatWorkflows(reply.body.workflows));
      return ExitCode.Ok;
    }
    case 'run':
      return runCommand(client, command, options);
    case 'status':
      printRun(await client.run(command.runId), options);
      return ExitCode.Ok;
    case 'list': {
      const { name: _name, ...filter } = command;
      const reply = await client.listRuns(filter);
      print(options.json ? reply.text : formatRunList(reply.body.runs));
      return ExitCode.Ok;
    }
    case 'pause':
    case 'resume':
      printRun(await client.control(command.runId, command.name), options, controlMessages[command.name]);
      return ExitCode.Ok;
    case 'cancel': {
      const body = command.reason === undefined ? undefined : { reason: command.reason };
      printRun(await client.control(command.runId, 'cancel', body), options, controlMessages.cancel);
      return ExitCode.Ok;
    }
    case 'input': {
      const reply = await client.provideInput(command.runId, {
        value: command.value,
        ...(command.requestId !== undefined && { requestId: command.requestId }),
      });
      printRun(reply, options, 'Input delivered.');
      return ExitCode.Ok;
    }
    case 'watch':
      return watchCommand(client, command.runId, options);
    case 'chat': {
      const { name: _name, ...chat } = command;
      return chatCommand(client, chat, options);
    }
    case 'servers': {
      const reply = await client.servers();
      print(options.json ? reply.text : formatServers(reply.body.servers));
      return ExitCode.Ok;
    }
    case 'tools': {
      const reply = await client.tools(command.server);
      print(options.json ? reply.text : formatTools(command.server, reply.body.tools));
      return ExitCode.Ok;
    }
    case 'resources': {
      const reply = await client.resources(command.server);
      print(options.json ? reply.text : formatResources(command.server, reply.body.resources, reply.body.resourceTemplates));
      return ExitCode.Ok;
    }
    case 'prompts': {
      const reply = await client.prompts(command.server);
      print(options.json ? reply.text : formatPrompts(command.server, reply.body.prompts));
      return ExitCode.Ok;
    }
    case 'resource': {
      const reply = await client.readResource(command.server, command.uri);
      print(options.json ? reply.text : formatResourceContents(reply.body.contents));
      return ExitCode.Ok;
    }
    case 'prompt': {
      const reply = await client.getPrompt(command.server, command.prompt, command.arguments);
      print(options.json ? reply.text : formatPrompt(reply.body));
      return ExitCode.Ok;
    }
  }
}
