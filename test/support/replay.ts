import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { execFileSync } from 'node:child_process';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import { payloadDataConverter } from '../../src/storage/open';
import { FileBlobStore } from '../../src/storage/file-store';
import type { BlobStore } from '../../src/storage/store';
import { workflowBundle } from './harness';
import { testStoragePath, testTemporalAddress } from './temporal-env';

/**
 * Replay checks: today's workflow code must reproduce the commands of every recorded history.
 * Histories recorded from an earlier version live in test/fixtures/histories and catch changes
 * that would break running workflows (those need `patched()`).
 */

export const historiesDir = path.resolve(__dirname, '..', 'fixtures', 'histories');
/**
 * The payloads recorded histories left in external storage (Temporal keeps only a claim in
 * history), so that the fixtures replay without the suite's store.
 */
export const recordedBlobsDir = path.join(historiesDir, 'blobs');

export interface NamedHistory {
  workflowId: string;
  history: temporal.api.history.v1.IHistory;
}

export async function fetchHistories(handles: WorkflowHandle[]): Promise<NamedHistory[]> {
  return Promise.all(handles.map(async (h) => ({ workflowId: h.workflowId, history: await h.fetchHistory() })));
}

/** The runs and, recursively, every child workflow they started. */
export async function fetchTreeHistories(client: Client, workflowIds: string[]): Promise<NamedHistory[]> {
  const histories: NamedHistory[] = [];
  for (let queue = [...workflowIds]; queue.length > 0; ) {
    const workflowId = queue.shift()!;
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    histories.push({ workflowId, history });
    for (const event of history.events ?? []) {
      const child = event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
      if (child) queue.push(child);
    }
  }
  return histories;
}

/**
 * Replays each history and returns the ids whose replay failed, with why. Payloads a history keeps
 * in external storage are read from `blobs`: the suite's store unless said otherwise.
 */
export async function replayFailures(
  histories: NamedHistory[],
  blobs: BlobStore = new FileBlobStore(testStoragePath()),
): Promise<{ workflowId: string; error: string }[]> {
  const failures: { workflowId: string; error: string }[] = [];
  const dataConverter = payloadDataConverter(blobs, Number.MAX_SAFE_INTEGER);
  const results = Worker.runReplayHistories({ workflowBundle: await workflowBundle(), dataConverter }, histories);
  for await (const result of results) {
    if (result.error) failures.push({ workflowId: result.workflowId, error: String(result.error) });
  }
  return failures;
}

export function loadRecordedHistories(): NamedHistory[] {
  return readdirSync(historiesDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({
      // Child workflow ids derive from the parent's, so replay needs the id the run really had.
      workflowId: decodeURIComponent(f.replace(/\.json$/, '').split('__')[1] ?? f),
      history: historyFromJSON(JSON.parse(readFileSync(path.join(historiesDir, f), 'utf8'))),
    }));
}

/**
 * With RECORD_HISTORIES=1, the suite writes fresh fixtures for the replay test, exported by the
 * Temporal CLI in the same JSON the Web UI downloads.
 */
export function maybeRecord(label: string, workflowId: string): void {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const cli = process.env.TEMPORAL_TEST_CLI_PATH ?? 'temporal';
  const json = execFileSync(cli, ['workflow', 'show', '--output', 'json', '--address', testTemporalAddress(), '-w', workflowId], {
    maxBuffer: 64 * 1024 * 1024,
  });
  // Multi-megabyte histories (the continue-as-new test's) would bloat the repository for little gain.
  if (json.length > 1024 * 1024) return;
  mkdirSync(historiesDir, { recursive: true });
  writeFileSync(path.join(historiesDir, `${label}__${encodeURIComponent(workflowId)}.json`), json);
  copyStoredPayloads(json.toString('utf8'));
}

/**
 * The payloads a history keeps in external storage, copied from the suite's store into the
 * fixtures. A claim is a payload of its own (protobuf JSON, base64 in the exported JSON) naming
 * the blob's key.
 */
function copyStoredPayloads(historyJson: string): void {
  const payloadData = [...historyJson.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g)].map(([, b64]) => Buffer.from(b64, 'base64').toString('utf8'));
  const keys = new Set(payloadData.flatMap((data) => [...data.matchAll(/payload\/[0-9a-f]{64}/g)].map(([key]) => key)));
  for (const key of keys) {
    const target = path.join(recordedBlobsDir, key);
    mkdirSync(path.dirname(target), { recursive: true });
    copyFileSync(path.join(testStoragePath(), key), target);
  }
}
