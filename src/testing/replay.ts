import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { compileFunction } from 'node:vm';
import type { temporal } from '@temporalio/proto';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { bundleWorkflows } from '../../worker/create';
import { checkCodeWorkflows, workflowsEntry } from '../../worker/code-workflows';
import type { Config } from '../config/schema';
import { workflowTypeByPattern } from '../spec/constants';
import { openStorage } from '../storage/open';
import { activityTypeCandidates, activityTypeMismatch, explainNondeterminism, isTemporalNondeterminism } from './replay-explain';

/**
 * Changing workflow code safely: a recorded history (the Web UI's "Download", or `temporal workflow
 * show --output json`) replayed on today's code, built-ins and the config's code workflows alike.
 * A replay that fails says first what the history recorded where the new code differs (a model
 * or tool call, an agent resolved, a person asked, a child run, a timer), then Temporal's own
 * message: wrap that change in `patched()` (README, "Changing a workflow that is running").
 */

export interface ReplayOutcome {
  workflowId: string;
  /** Why today's code cannot replay it; absent when it replays. */
  error?: string;
  /** Its workflow type, when neither a built-in pattern nor a code workflow of the config has it: it was not replayed. */
  unknownWorkflowType?: string;
}

export interface NamedHistory {
  workflowId: string;
  history: temporal.api.history.v1.IHistory;
}

/**
 * Reads a history exported as JSON. The run's id is not in it, but replay needs it: the ids of
 * the run's children derive from it.
 */
export function readHistoryFile(file: string, workflowId: string): NamedHistory {
  const json: unknown = JSON.parse(readFileSync(file, 'utf8'));
  historyFromJSON ??= loadHistoryFromJSON();
  return { workflowId, history: historyFromJSON(json) };
}

type ProtoUtils = typeof import('@temporalio/common/lib/proto-utils');
let historyFromJSON: ProtoUtils['historyFromJSON'] | undefined;

/**
 * The SDK's `historyFromJSON`, for its fix-ups of the enum names in exported histories, but parsing
 * with the protobufjs copy that built its History type, @temporalio/proto's: protojson refuses a
 * type of another copy ("type must be a Type"). The SDK's module takes protojson from
 * @temporalio/common's folder instead. That is the same copy while protobufjs 8 sits at the top of
 * node_modules, as this package's own dependency on it asks, but a project that depends on
 * protobufjs 7 itself keeps that at the top, and the two SDK packages each get a nested copy. So
 * the module is evaluated anew here, its protojson taken from the folder of the @temporalio/proto
 * it loads.
 */
function loadHistoryFromJSON(): ProtoUtils['historyFromJSON'] {
  const file = require.resolve('@temporalio/common/lib/proto-utils');
  const requireFromCommon = createRequire(file);
  const protojson: unknown = createRequire(requireFromCommon.resolve('@temporalio/proto'))('protobufjs/ext/protojson');
  const requireMapped = (id: string): unknown => (id === 'protobufjs/ext/protojson' ? protojson : requireFromCommon(id));
  const module = { exports: {} as ProtoUtils };
  const evaluate = compileFunction(readFileSync(file, 'utf8'), ['exports', 'require', 'module', '__filename', '__dirname'], { filename: file });
  evaluate(module.exports, requireMapped, module, file, path.dirname(file));
  return module.exports.historyFromJSON;
}

/**
 * Replays each history on the workflows this config's worker would run. Payloads a history keeps
 * in external storage are read from the config's store. The config's code workflows are checked
 * first as a worker checks them: a module or export that a worker would refuse is a ConfigError
 * here too, with the same message, rather than a replay that fails inside the SDK. A history of a
 * workflow type the config does not run is not replayed: the SDK would log a stack trace for it
 * before failing, and only the type and the config's workflows say what is wrong.
 */
export async function replayHistories(config: Config, histories: NamedHistory[]): Promise<ReplayOutcome[]> {
  checkCodeWorkflows(config);
  const unknownTypes = histories.map((named) => unknownWorkflowType(config, named.history));
  const replayed = await replayKnown(config, histories.filter((_, index) => unknownTypes[index] === undefined));
  return histories.map(({ workflowId }, index) => {
    const type = unknownTypes[index];
    if (type === undefined) return replayed.shift()!;
    return { workflowId, error: unknownTypeMessage(config, type), unknownWorkflowType: type };
  });
}

/** The outcomes in the order of `histories` (a continued-as-new chain repeats one workflow id). */
async function replayKnown(config: Config, histories: NamedHistory[]): Promise<ReplayOutcome[]> {
  if (histories.length === 0) return [];
  const workflowBundle = await bundleWorkflows(undefined, workflowsEntry(config));
  const storage = openStorage(config.storage);
  try {
    const options: ReplayWorkerOptions = { workflowBundle, dataConverter: storage.dataConverter };
    const failures: Array<{ index: number; reason: string }> = [];
    const outcomes: ReplayOutcome[] = [];
    for await (const result of Worker.runReplayHistories(options, histories)) {
      if (result.error) failures.push({ index: outcomes.length, reason: replayErrorReason(result.error) });
      outcomes.push({ workflowId: result.workflowId });
    }
    // Explained once the replays are done: locating a mismatch replays again, on a worker of its own.
    for (const { index, reason } of failures) outcomes[index].error = await explained(options, histories[index], reason);
    return outcomes;
  } finally {
    storage.close();
  }
}

async function explained(options: ReplayWorkerOptions, named: NamedHistory, reason: string): Promise<string> {
  if (!isTemporalNondeterminism(reason)) return reason;
  return explainNondeterminism(reason, named.history, await locateActivityTypeMismatch(options, named, reason));
}

/**
 * Temporal's message for an activity of another type names the two types but not the event, and
 * a history may hold many activities of the recorded type. Replay checks events in order, so the
 * place is the first of them where the history cut just after it fails the same way: found by
 * halving, a replay of a prefix each step.
 */
async function locateActivityTypeMismatch(options: ReplayWorkerOptions, named: NamedHistory, reason: string): Promise<number | undefined> {
  const mismatch = activityTypeMismatch(reason);
  if (!mismatch) return undefined;
  const candidates = activityTypeCandidates(mismatch, named.history);
  if (candidates.length < 2) return undefined;
  const failsThrough = async (eventId: number) => {
    const events = (named.history.events ?? []).filter((event) => Number(event.eventId?.toString()) <= eventId);
    try {
      await Worker.runReplayHistory(options, { events }, named.workflowId);
      return false;
    } catch (error) {
      return replayErrorReason(error) === reason;
    }
  };
  let low = 0;
  let high = candidates.length - 1;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (await failsThrough(candidates[middle])) high = middle;
    else low = middle + 1;
  }
  return candidates[low];
}

/** Code workflows are registered under their export's name, beside the built-in patterns (worker/code-workflows.ts). */
function codeWorkflowTypes(config: Config): Map<string, string> {
  const types = new Map<string, string>();
  for (const [name, entry] of Object.entries(config.workflows)) {
    if (entry.type === 'code' && !types.has(entry.export)) types.set(entry.export, name);
  }
  return types;
}

/** A history that names no type is left to the SDK, which says what is wrong with it. */
function unknownWorkflowType(config: Config, history: NamedHistory['history']): string | undefined {
  const type = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
  if (!type || Object.values(workflowTypeByPattern).includes(type) || codeWorkflowTypes(config).has(type)) return undefined;
  return type;
}

function unknownTypeMessage(config: Config, type: string): string {
  const code = [...codeWorkflowTypes(config)].map(([exported, name]) => `${exported} (workflows.${name})`);
  return (
    `its workflow type "${type}" is not one this config runs: ` +
    (code.length > 0 ? `its code workflows are ${code.join(', ')}` : 'it has no code workflows (type: code)') +
    `; the built-in patterns are ${Object.values(workflowTypeByPattern).sort().join(', ')}`
  );
}

/**
 * What went wrong, without the SDK core's debug dump around it: the failure's own message when the
 * workflow code failed (a debug-quoted string in the dump), else the dump's first part, up to the
 * history event it prints in full (payloads and all).
 */
function replayErrorReason(error: unknown): string {
  const whole = error instanceof Error ? error.message : String(error);
  // A recorded event printed in full may hold a failure of its own: only what comes before it is the reason.
  const cut = whole.search(/:? HistoryEvent \{/);
  const text = cut > 0 ? whole.slice(0, cut) : whole;
  const quoted = /Failure \{ message: "((?:[^"\\]|\\.)*)"/.exec(text);
  return quoted ? quoted[1].replace(/\\(["\\])/g, '$1') : text;
}
