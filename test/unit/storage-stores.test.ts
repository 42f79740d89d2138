import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConversationLog, MAX_UNANSWERED_NOTES } from '../../src/conversation/log';
import { InternedValue } from '../../src/conversation/interned';
import { ConversationStore } from '../../src/conversation/store';
import { CachedBlobStore } from '../../src/storage/cached-store';
import { FileBlobStore } from '../../src/storage/file-store';
import { contentKey } from '../../src/storage/keys';
import { BlobNotFoundError, type BlobStore } from '../../src/storage/store';

/** The file store, the cache in front of any store, and conversations kept in them. */

const bytes = (text: string) => new TextEncoder().encode(text);
const scratch = () => mkdtempSync(path.join(tmpdir(), 'mcp-agent-unit-store-'));

const keyOf = (text: string) => contentKey('text', bytes(text));

test('the file store keeps blobs by key in subfolders, writes atomically, and names what is missing', async () => {
  const root = scratch();
  const store = new FileBlobStore(root);
  const key = keyOf('one');
  await store.put(key, bytes('one'));
  await store.put(key, bytes('one'));
  expect(new TextDecoder().decode(await store.get(key))).toBe('one');
  expect(readdirSync(path.join(root, 'text'))).toEqual([key.slice('text/'.length)]);
  await expect(store.get(keyOf('nope'))).rejects.toThrow(BlobNotFoundError);
});

test('a store touches nothing but content keys: no path out of its folder', async () => {
  const store = new FileBlobStore(scratch());
  for (const key of ['../escape', 'text/../../etc/passwd', `text/${'a'.repeat(64)}/..`, 'other/abc', 'text/ABC']) {
    await expect(store.get(key)).rejects.toThrow('not a blob key');
  }
});

test('content keys name the kind and the SHA-256 of the bytes', () => {
  expect(contentKey('text', bytes('abc'))).toBe('text/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('the cache answers repeated reads itself and fetches a blob once for concurrent readers', async () => {
  let reads = 0;
  const inner: BlobStore = {
    location: 'counting',
    put: async () => undefined,
    get: async () => {
      reads++;
      await new Promise((r) => setTimeout(r, 10));
      return bytes('value');
    },
  };
  const cache = new CachedBlobStore(inner, 1024);
  const key = keyOf('k');
  await Promise.all([cache.get(key), cache.get(key), cache.get(key)]);
  await cache.get(key);
  expect(reads).toBe(1);
});

test('the cache evicts the least recently used blobs past its size', async () => {
  let reads = 0;
  const files = new FileBlobStore(scratch());
  const counting: BlobStore = { location: 'counting', put: (k, d) => files.put(k, d), get: (k) => (reads++, files.get(k)) };
  const store = new CachedBlobStore(counting, 40);
  const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((name) => ({ key: keyOf(name), data: bytes(name.repeat(10)) }));
  for (const blob of [a, b, c]) await store.put(blob.key, blob.data);
  await store.get(a.key);
  await store.put(d.key, d.data);
  await store.put(e.key, e.data);
  // a was used last among the first three, so b and c went first: reading them goes to the store.
  expect(new TextDecoder().decode(await store.get(a.key))).toBe('a'.repeat(10));
  expect(reads).toBe(0);
  expect(new TextDecoder().decode(await store.get(b.key))).toBe('b'.repeat(10));
  expect(reads).toBe(1);
});

test('a conversation is a chain of entries: any store reader gets every message back in order', async () => {
  const dir = scratch();
  const writer = new ConversationStore(new FileBlobStore(dir), 16);
  const first = await writer.append(null, [{ role: 'user', content: 'hi', turn: 1 }]);
  const long = await writer.storeText('a long tool result, longer than sixteen bytes');
  expect(long.stored).toMatchObject({ bytes: 45 });
  const second = await writer.append(first, [
    { role: 'tool', toolCallId: 'c', name: 't', ...long, isError: false, turn: 1 },
    { role: 'assistant', content: 'done', toolCalls: [], turn: 1 },
  ]);
  // Another process, nothing cached.
  const reader = new ConversationStore(new FileBlobStore(dir), 16);
  const messages = await reader.messages(second);
  expect(messages.map((m) => m.role)).toEqual(['user', 'tool', 'assistant']);
  expect((await reader.resolve(messages))[1]).toEqual({
    role: 'tool',
    toolCallId: 'c',
    name: 't',
    content: 'a long tool result, longer than sixteen bytes',
    isError: false,
    turn: 1,
  });
  expect((await writer.storeText('short')).stored).toBeUndefined();
});

test("a cold reader of a summarized conversation reads back only from the summary's last entry", async () => {
  const dir = scratch();
  const writer = new ConversationStore(new FileBlobStore(dir), 1024);
  let head: string | null = null;
  const keys: string[] = [];
  for (let turn = 1; turn <= 5; turn++) {
    head = await writer.append(head, [{ role: 'user', content: `q${turn}`, turn }]);
    keys.push(head);
  }
  let reads = 0;
  const files = new FileBlobStore(dir);
  const reader = new ConversationStore({ location: 'counting', put: (k, d) => files.put(k, d), get: (k) => (reads++, files.get(k)) }, 1024);
  const recent = await reader.chain(head, keys[2]);
  expect(recent.map((link) => link.key)).toEqual(keys.slice(2));
  expect(reads).toBe(3);
  expect((await writer.chain(head, keys[2])).map((link) => link.key)).toEqual(keys.slice(2));
  expect(await writer.chain(head)).toHaveLength(5);
});

test('a workflow-side log keeps the turns that ended without an answer, beside the chain, across continue-as-new', () => {
  const log = new ConversationLog();
  log.add({ role: 'user', content: 'q' }, 1);
  expect(log.position()).not.toHaveProperty('unanswered');
  log.turnUnanswered(1, 'failed', { code: 'ProviderRequestRejected', message: 'x'.repeat(1000) });
  log.turnUnanswered(2, 'interrupted');
  // The model is never sent them.
  expect(log.continuation().append).toEqual([{ role: 'user', content: 'q', turn: 1 }]);
  const carried = new ConversationLog(log.position());
  log.stored('log/1');
  expect(carried.position().unanswered).toEqual([
    { turn: 1, outcome: 'failed', error: { code: 'ProviderRequestRejected', message: `${'x'.repeat(239)}…` } },
    { turn: 2, outcome: 'interrupted' },
  ]);
  expect(log.position().unanswered).toHaveLength(2);
});

test('a workflow-side log keeps the latest notes of turns without an answer, not every one', () => {
  const log = new ConversationLog();
  for (let turn = 1; turn <= MAX_UNANSWERED_NOTES + 20; turn++) log.turnUnanswered(turn, 'failed', { code: 'x', message: 'outage' });
  const notes = log.position().unanswered!;
  expect(notes).toHaveLength(MAX_UNANSWERED_NOTES);
  expect(notes[0].turn).toBe(21);
  expect(notes.at(-1)!.turn).toBe(MAX_UNANSWERED_NOTES + 20);
});

test('a workflow-side log holds the head and what came since; an interned value is sent once', () => {
  const log = new ConversationLog();
  log.add({ role: 'user', content: 'hi' }, 1);
  expect(log.continuation()).toEqual({ head: null, append: [{ role: 'user', content: 'hi', turn: 1 }] });
  log.stored('log/1');
  expect(log.position()).toEqual({ head: 'log/1', pending: [] });

  const tools = new InternedValue([{ name: 't', description: '', inputSchema: {} }]);
  expect(tools.wire()).toEqual({ value: [{ name: 't', description: '', inputSchema: {} }] });
  tools.learn('json/1');
  expect(tools.wire()).toEqual({ key: 'json/1' });
  expect(InternedValue.from({ key: 'json/1' }).wire()).toEqual({ key: 'json/1' });
});
