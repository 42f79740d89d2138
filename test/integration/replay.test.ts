import { workflowTypeByPattern } from '../../src/spec/schema';
import { FileBlobStore } from '../../src/storage/file-store';
import { loadRecordedHistories, recordedBlobsDir, replayFailures } from '../support/replay';

/**
 * Histories recorded by an earlier version of the workflows (`RECORD_HISTORIES=1 npm test`) must
 * replay on today's code: a change that breaks them would break runs in flight, and needs
 * `patched()`.
 */
test('recorded histories of every pattern replay on the current workflow code', async () => {
  const histories = loadRecordedHistories();
  const types = new Set(
    histories.map((h) => h.history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name),
  );
  expect([...types].sort()).toEqual(Object.values(workflowTypeByPattern).sort());
  expect(await replayFailures(histories, new FileBlobStore(recordedBlobsDir))).toEqual([]);
});
