import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { defaultPayloadConverter } from '@temporalio/common';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import Long from 'long';
import { stringify } from 'yaml';
import { ConfigError } from '../../src/config/errors';
import { configSchema } from '../../src/config/schema';
import { readHistoryFile, replayHistories } from '../../src/testing/replay';
import { explainNondeterminism } from '../../src/testing/replay-explain';
import { checkCodeWorkflows } from '../../worker/code-workflows';

/**
 * The replay check (`replayHistories` in the testing entry, and `mcp-agent replay`, which runs it)
 * on a recorded run of triageTicket (test/fixtures/code-workflows/triage.ts: an agent's structured
 * answer, two agents in Promise.all, a humanInput answered, a summary; recorded with
 * startTestEnvironment and exported as the Web UI downloads it) against changed versions of that
 * code: each incompatible change is told by what the history recorded there, in the user's terms,
 * before Temporal's message. Its config's code workflows are checked first, as a worker checks them.
 * Replay needs no Temporal server.
 */

/**
 * The SDK's own log of each mismatch is the same reason as a debug dump: not news here. Installed
 * only by a test that replays, which shuts it down as its replay ends: a runtime installed and never
 * used keeps jest from exiting.
 */
function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
  } catch {
    // This process has a runtime already.
  }
}

const fixtures = path.resolve(__dirname, '..', 'fixtures', 'code-workflows');
const historyFile = path.join(fixtures, 'histories', 'triage-1.json');
const storageDir = mkdtempSync(path.join(tmpdir(), 'replay-check-'));
afterAll(() => rmSync(storageDir, { recursive: true, force: true }));

const configNaming = (file: string, exportName = 'triageTicket') =>
  configSchema.parse({ workflows: { triage: { type: 'code', module: path.join(fixtures, file), export: exportName } }, storage: { path: storageDir } });

async function replayOn(file: string): Promise<string | undefined> {
  quietRuntime();
  const [outcome] = await replayHistories(configNaming(file), [readHistoryFile(historyFile, 'triage-1')]);
  return outcome.error;
}

const WAY_OUT =
  'its calls to agents, models, tools, functions, child runs or people changed since the run was recorded ' +
  '(guard such a change with patched(): README, "Changing a workflow that is running"). Temporal says: ';

describe('a history that no longer replays is told by what it recorded where the code now differs', () => {
  test('the code it was recorded on replays it', async () => {
    expect(await replayOn('triage.ts')).toBeUndefined();
  });

  test('the second of two agents in Promise.all dropped: the agent it resolved', async () => {
    expect(await replayOn('triage-one-agent.ts')).toBe(
      'Nondeterminism: at event 17 the run\'s history resolved the agent "writer" (a local call: "resolve writer"), ' +
        `and the workflow code now does something else there: ${WAY_OUT}[TMPRL1100] Nondeterminism error: Missing associated machine for LocalActivity(4)`,
    );
  });

  const answerTaken =
    'Nondeterminism: at event 49 the run\'s history took the answer to the input request "A bug (urgent): anything to add?" ' +
    '(input-1, asked at event 42; replay does not compare what a request asks, so a request changed since shows first here), ' +
    `and the workflow code now does something else there: ${WAY_OUT}[TMPRL1100] Nondeterminism error: Update machine does not handle this event: ` +
    'HistoryEvent(id: 49, WorkflowPropertiesModified)';

  test('an approval asked before the humanInput: the input request whose answer it took', async () => {
    expect(await replayOn('triage-approval-first.ts')).toBe(answerTaken);
  });

  test('the humanInput changed to an approval: the same', async () => {
    expect(await replayOn('triage-approval-instead.ts')).toBe(answerTaken);
  });

  test('a tool listing where the history made its second model call: that call\'s event, found by replay, and what the code makes now', async () => {
    expect(await replayOn('triage-listing.ts')).toBe(
      'Nondeterminism: at event 54 the run\'s history made a model call ("summary · writer · openai/m-writer"), ' +
        "and the workflow code now makes a listing of an MCP server's tools there instead: " +
        `${WAY_OUT}[TMPRL1100] Nondeterminism error: Activity type of scheduled event 'llmGenerate' does not match activity type of activity command 'mcpListTools'`,
    );
  });

  test("the humanInput removed: the library's own patch marker is told as the person it asked, not as a patch of the user's", async () => {
    expect(await replayOn('triage-no-input.ts')).toBe(
      'Nondeterminism: at event 40 the run\'s history asked a person for input or an approval ("A bug (urgent): anything to add?", event 42), ' +
        `and the workflow code no longer does that there: ${WAY_OUT}[TMPRL1100] Nondeterminism error: Non-deprecated patch marker encountered ` +
        'for change input-request-markers, but there is no corresponding change command! ' +
        '("input-request-markers" is mcp-agent-temporal\'s own marker of that, not a patch of yours)',
    );
  });
});

/** `mcp-agent replay <file>` with this config, as a user runs it. */
async function cliReplay(config: object, file = historyFile): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'replay-cli-'));
  try {
    const configFile = path.join(dir, 'mcp_agent.config.yaml');
    writeFileSync(configFile, stringify(config));
    const cli = path.resolve(__dirname, '..', '..', 'bin', 'mcp-agent.js');
    return await promisify(execFile)(process.execPath, [cli, 'replay', file, '--id', 'triage-1'], { env: { ...process.env, MCP_AGENT_CONFIG: configFile } }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('mcp-agent replay says the same as replayHistories', async () => {
  const expected = await replayOn('triage-no-input.ts');
  const replayed = await cliReplay({ workflows: { triage: { type: 'code', module: path.join(fixtures, 'triage-no-input.ts'), export: 'triageTicket' } }, storage: { path: storageDir } });
  expect(replayed).toEqual({ code: 1, stdout: '', stderr: `${historyFile} does not replay on this code: ${expected}\n` });
});

test('mcp-agent replay of a file it cannot read says why and exits 2, without sending the user to --help: the command line was right', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'replay-files-'));
  try {
    const missing = path.join(dir, 'missing.json');
    expect(await cliReplay({}, missing)).toEqual({
      code: 2,
      stdout: '',
      stderr: `mcp-agent: replay: cannot read ${missing} as a history (ENOENT: no such file or directory, open '${missing}')\n`,
    });

    // What `temporal workflow show` prints without --output json.
    const text = path.join(dir, 'text.json');
    const table = 'Progress:\n  ID           Time                     Type\n   1  2026-03-01T09:30:00Z  WorkflowExecutionStarted\n';
    writeFileSync(text, table);
    const notJson = (() => {
      try {
        return JSON.parse(table) as never;
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(await cliReplay({}, text)).toEqual({
      code: 2,
      stdout: '',
      stderr:
        `mcp-agent: replay: cannot read ${text} as a history (${notJson}): a history is JSON, as the Web UI's "Download" saves it ` +
        'or `temporal workflow show --output json -w <runId>` prints it (without --output json it prints text)\n',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const BUILT_INS = 'agentWorkflow, evaluatorOptimizerWorkflow, intentClassifierWorkflow, orchestratorWorkflow, parallelWorkflow, routerWorkflow, swarmWorkflow';

test('a history of a workflow type the config does not run is not replayed: its outcome names the type and the config\'s workflows', async () => {
  const recorded = readHistoryFile(historyFile, 'triage-1');
  const retired = structuredClone(recorded.history);
  retired.events![0].workflowExecutionStartedEventAttributes!.workflowType!.name = 'retiredWorkflow';
  quietRuntime();
  const outcomes = await replayHistories(configNaming('triage.ts'), [{ workflowId: 'retired-1', history: retired }, recorded]);
  expect(outcomes).toEqual([
    {
      workflowId: 'retired-1',
      unknownWorkflowType: 'retiredWorkflow',
      error: `its workflow type "retiredWorkflow" is not one this config runs: its code workflows are triageTicket (workflows.triage); the built-in patterns are ${BUILT_INS}`,
    },
    { workflowId: 'triage-1' },
  ]);
  const [alone] = await replayHistories(configSchema.parse({ storage: { path: storageDir } }), [recorded]);
  expect(alone.error).toBe(`its workflow type "triageTicket" is not one this config runs: it has no code workflows (type: code); the built-in patterns are ${BUILT_INS}`);
});

test('mcp-agent replay of a workflow type missing from the config says so on one line, naming the config, with no SDK stack', async () => {
  const replayed = await cliReplay({ workflows: { other: { type: 'code', module: path.join(fixtures, 'triage.ts'), export: 'fanOutAndApprove' } }, storage: { path: storageDir } });
  expect([replayed.code, replayed.stdout]).toEqual([1, '']);
  const [line, ...rest] = replayed.stderr.split('\n');
  expect(rest).toEqual(['']);
  expect(line).toMatch(/ \(config: \S*mcp_agent\.config\.yaml\)$/);
  expect(line.replace(/ \(config: \S*\)$/, '')).toBe(
    `${historyFile} does not replay on this code: its workflow type "triageTicket" is not one this config runs: ` +
      `its code workflows are fanOutAndApprove (workflows.other); the built-in patterns are ${BUILT_INS}`,
  );
});

/** What a worker's start says of this config's code workflows (worker/main.ts prints the ConfigError's message). */
function workerRefusal(config: ReturnType<typeof configNaming>): string {
  try {
    checkCodeWorkflows(config);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('the worker took the config');
}

test('mcp-agent replay checks the code workflows as the worker does: a wrong export name stops it with the worker\'s message, no SDK stack', async () => {
  const config = configNaming('triage.ts', 'TriageTicket');
  const refusal = workerRefusal(config);
  expect(refusal).toMatch(/^Invalid configuration \(workflows\):\n {2}workflows\.triage\.export: "TriageTicket" is not exported by .*triage\.ts \(exported functions: /);
  await expect(replayHistories(config, [readHistoryFile(historyFile, 'triage-1')])).rejects.toThrow(refusal);

  const replayed = await cliReplay({ workflows: { triage: { type: 'code', module: path.join(fixtures, 'triage.ts'), export: 'TriageTicket' } } });
  expect(replayed).toEqual({ code: 1, stdout: '', stderr: `mcp-agent: ${refusal}\n` });
});

test('a plain exported function is refused by replay as by the worker, saying to wrap it with workflow()', async () => {
  const config = configNaming('plain.ts', 'plain');
  const refusal = workerRefusal(config);
  expect(refusal).toContain("workflows.triage.export: \"plain\" exported by ");
  expect(refusal).toContain("is a plain function, not a workflow: wrap it with workflow() from 'mcp-agent-temporal/workflow'");
  await expect(replayHistories(config, [readHistoryFile(historyFile, 'triage-1')])).rejects.toThrow(refusal);
});

describe('explainNondeterminism', () => {
  const { history } = readHistoryFile(historyFile, 'triage-1');
  const said = (temporalMessage: string) => explainNondeterminism(temporalMessage, history);
  const at = (eventId: number) => said(`[TMPRL1100] Nondeterminism error: No command scheduled for event HistoryEvent(id: ${eventId}, X)`).replace(/, and the workflow code .*/s, '');

  test('names what the history recorded at the event, in the terms of the workflow API', () => {
    expect(at(10)).toBe('Nondeterminism: at event 10 the run\'s history made a model call ("classification · classifier · openai/m-classifier")');
    expect(at(18)).toBe('Nondeterminism: at event 18 the run\'s history started the child run "triage-1/research-1" (agentWorkflow, "call 1 · research")');
    expect(at(42)).toBe('Nondeterminism: at event 42 the run\'s history asked a person for input: "A bug (urgent): anything to add?" (request input-1)');
    expect(at(52)).toBe(
      'Nondeterminism: at event 52 the run\'s history recorded that the timer started at event 44 ("waiting for input: A bug (urgent): anything to add?") was cancelled',
    );
    expect(said("[TMPRL1100] Nondeterminism error: Child workflow id of scheduled event 'triage-1/draft-2' does not match child workflow id of command 'x'")).toMatch(
      /^Nondeterminism: at event 19 the run's history started the child run "triage-1\/draft-2" /,
    );
  });

  test('an activity of another type: the one event of that type, else the events it may be, and what the code makes now', () => {
    const typeChanged = (recorded: string, now: string, local = false) =>
      `[TMPRL1100] Nondeterminism error: Activity type of ${local ? 'recorded marker' : 'scheduled event'} '${recorded}' ` +
      `does not match activity type of ${local ? 'local ' : ''}activity command '${now}'`;
    const listing = typeChanged('llmGenerate', 'mcpListTools');
    // Cut before the summary, the history has one model call: that is the place.
    expect(explainNondeterminism(listing, { events: history.events!.slice(0, 20) })).toBe(
      'Nondeterminism: at event 10 the run\'s history made a model call ("classification · classifier · openai/m-classifier"), ' +
        `and the workflow code now makes a listing of an MCP server's tools there instead: ${WAY_OUT}${listing}`,
    );
    // Two, and no replay said which.
    expect(said(listing)).toBe(
      "Nondeterminism: the run's history made a model call (at one of events 10, 54) where the workflow code now makes a listing of an MCP server's tools: " +
        `${WAY_OUT}${listing}`,
    );
    expect(explainNondeterminism(listing, history, 54)).toMatch(/^Nondeterminism: at event 54 the run's history made a model call \("summary · writer · openai\/m-writer"\), and /);
    const local = typeChanged('resolveNode', 'composeAgentContext', true);
    expect(explainNondeterminism(local, history, 17)).toBe(
      'Nondeterminism: at event 17 the run\'s history resolved the agent "writer" (a local call: "resolve writer"), ' +
        `and the workflow code now makes the composition of an agent's context as a local call there instead: ${WAY_OUT}${local}`,
    );
  });

  test("a patch of the user's own is told as theirs; a message that names no event still gets the sentence and the way out", () => {
    const marker = {
      eventId: Long.fromNumber(7),
      markerRecordedEventAttributes: { markerName: 'core_patch', details: { 'patch-data': { payloads: [defaultPayloadConverter.toPayload({ id: 'ask-twice', deprecated: false })] } } },
    };
    const patchMessage = '[TMPRL1100] Nondeterminism error: Non-deprecated patch marker encountered for change ask-twice, but there is no corresponding change command!';
    expect(explainNondeterminism(patchMessage, { events: [marker] })).toBe(
      'Nondeterminism: at event 7 the run\'s history took the new way of patched("ask-twice"), and the workflow code no longer calls patched("ask-twice") there: ' +
        'keep a patch until no run from before it is left (deprecatePatch() first; README, "Changing a workflow that is running"). ' +
        `Temporal says: ${patchMessage}`,
    );
    expect(said('[TMPRL1100] Nondeterminism error: something new')).toBe(
      `Nondeterminism: the workflow code no longer does what the run's history recorded: ${WAY_OUT}[TMPRL1100] Nondeterminism error: something new`,
    );
  });
});
