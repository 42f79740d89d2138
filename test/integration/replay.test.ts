import { loadRecordedHistories, replayFailures } from '../support/replay';

/**
 * Histories recorded by an earlier version of the workflows (RECORD_HISTORIES=1 npm test) must
 * replay on today's code: a change that breaks them would break runs in flight.
 */
test('recorded agent histories replay on the current workflow code', async () => {
  const histories = loadRecordedHistories();
  expect(histories.length).toBeGreaterThanOrEqual(10);
  expect(await replayFailures(histories)).toEqual([]);
});
