import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConversationStore } from '../../src/conversation/store';
import { FileBlobStore } from '../../src/storage/file-store';
import { contentKey } from '../../src/storage/keys';
import type { BlobStore } from '../../src/storage/store';

/** What a model turn's writes and reads cost in the store: no more file operations or parsing than needed. */

const bytes = (text: string) => new TextEncoder().encode(text);
const scratches: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-agent-unit-fast-'));
  scratches.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of scratches) rmSync(dir, { recursive: true, force: true });
});

test('the file store writes a key again over itself, leaving one file and no temporary ones', async () => {
  const root = scratch();
  const key = contentKey('log', bytes('entry'));
  await new FileBlobStore(root).put(key, bytes('entry'));
  // Another process (or this one after a restart) writes the same key: same bytes, one file.
  await new FileBlobStore(root).put(key, bytes('entry'));
  expect(readdirSync(path.join(root, 'log'))).toEqual([key.slice('log/'.length)]);
  expect(new TextDecoder().decode(await new FileBlobStore(root).get(key))).toBe('entry');
});

test('the file store makes its folder again when it went away after the first write', async () => {
  const root = scratch();
  const store = new FileBlobStore(root);
  await store.put(contentKey('text', bytes('one')), bytes('one'));
  rmSync(path.join(root, 'text'), { recursive: true, force: true });
  const key = contentKey('text', bytes('two'));
  await store.put(key, bytes('two'));
  expect(new TextDecoder().decode(await store.get(key))).toBe('two');
});

test('a JSON value is parsed once: what putJson stored or json read comes back from memory', async () => {
  let reads = 0;
  const blobs = new Map<string, Uint8Array>();
  const counting: BlobStore = {
    location: 'memory',
    put: async (key, data) => void blobs.set(key, data),
    get: async (key) => {
      reads++;
      return blobs.get(key)!;
    },
  };
  const tools = [{ name: 'fixture-add', description: 'Adds', inputSchema: { type: 'object' } }];
  const writer = new ConversationStore(counting, 1024);
  const key = await writer.putJson(tools);
  expect(await writer.json(key)).toBe(tools);
  expect(reads).toBe(0);

  const reader = new ConversationStore(counting, 1024);
  const first = await reader.json(key);
  expect(first).toEqual(tools);
  expect(await reader.json(key)).toBe(first);
  expect(reads).toBe(1);
});

test('the file store writes small and large blobs alike (synchronous calls up to 64 KiB, asynchronous above)', async () => {
  const root = scratch();
  const store = new FileBlobStore(root);
  for (const size of [10, 64 * 1024, 64 * 1024 + 1, 300_000]) {
    const data = bytes('x'.repeat(size));
    const key = contentKey('text', data);
    await store.put(key, data);
    expect((await store.get(key)).byteLength).toBe(size);
  }
  expect(readdirSync(path.join(root, 'text')).filter((name) => name.endsWith('.tmp'))).toEqual([]);
});

/** Waits until `check` holds; the deadline only turns a hang into a clear failure. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (const started = Date.now(); !check(); await new Promise((resolve) => setTimeout(resolve, 5))) {
    if (Date.now() - started > 5000) throw new Error(`gave up waiting until ${what}`);
  }
}

test('small writes go into spare files made ahead, so creating a file is off the write path; close removes the spares', async () => {
  const root = scratch();
  const store = new FileBlobStore(root);
  const spares = () => readdirSync(path.join(root, '.spares'));
  await store.put(contentKey('log', bytes('first')), bytes('first'));
  // A spare's file is on disk before its creation has finished and the store may use it: wait for the store.
  await until(() => store['spares'].length === 2, 'two spares were made');
  const before = spares();
  const key = contentKey('log', bytes('second'));
  await store.put(key, bytes('second'));
  // The second blob is one of those spares, renamed into place; another is on its way.
  expect(before.filter((name) => !spares().includes(name))).toHaveLength(1);
  expect(new TextDecoder().decode(await store.get(key))).toBe('second');
  await until(() => store['spares'].length === 2, 'the spare used was replaced');

  // A spare someone removed (a sweep of stale spares, a cleared store) does not fail a write.
  for (const name of spares()) rmSync(path.join(root, '.spares', name));
  const third = contentKey('log', bytes('third'));
  await store.put(third, bytes('third'));
  expect(new TextDecoder().decode(await store.get(third))).toBe('third');

  await until(() => spares().length > 0, 'a spare was made again');
  store.close();
  // One still being made when the store closed is removed as soon as it is there.
  await until(() => spares().length === 0, 'close removed the spares');
  expect(readdirSync(path.join(root, 'log')).sort()).toEqual(
    ['first', 'second', 'third'].map((text) => contentKey('log', bytes(text)).slice('log/'.length)).sort(),
  );
});
