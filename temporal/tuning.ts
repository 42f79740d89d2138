/**
 * The Temporal settings that take the server's polling delay out of every agent turn. Each one is
 * explained, with the figure it buys, in temporal/TUNING.md; `npx tsx bench/temporal-dispatch.ts`
 * measures them. The dev server gets them from temporal/dev-server.ts (npm run dev, the test
 * suite, the benches); the production compose gets the same values from
 * temporal/dynamicconfig/development-sql.yaml, which a unit test keeps in step with this file.
 */

export type DynamicConfigValue = string | number | boolean;

/**
 * Dynamic config for dispatch latency. The history service reads a shard's transfer queue (where a
 * new workflow task waits to be handed to matching) at most 20 times a second by default, so back to
 * back each workflow task waits ~50 ms for the next read; 1000 makes that ~1 ms. Reads only happen
 * when a task was written (or on the 1-minute safety poll), so an idle server does not read more.
 */
export const dispatchDynamicConfig: Readonly<Record<string, DynamicConfigValue>> = {
  'history.transferProcessorMaxPollRPS': 1000,
};

/**
 * SQLite pragmas for a dev server with a database file (`npm run dev`): a write-ahead log and no
 * fsync on every commit. A crash of the machine (not of the server) can lose the last commits;
 * the file itself stays consistent. Not used for an in-memory server, where they change nothing.
 */
export const fileSqlitePragmas: Readonly<Record<string, string>> = {
  journal_mode: 'wal',
  synchronous: 'normal',
};
