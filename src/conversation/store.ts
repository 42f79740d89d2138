import type { ImageRef, Message, StoredText } from '../llm/messages';
import { contentKey } from '../storage/keys';
import type { BlobStore } from '../storage/store';
import type { LogEntry, LoggedMessage } from './entry';
import { preview } from './preview';

/**
 * Conversations, long texts and repeated values in the blob store, as activities and the API use
 * them. Everything is content-addressed: an activity that retries writes the same keys again, and
 * a worker with an empty cache (another machine, a restart) reads what any other worker wrote.
 */

export interface ChainLink {
  key: string;
  messages: LoggedMessage[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Chains recently read or written, by head, so a loop's next call extends one instead of walking the store. */
const MAX_CACHED_CHAINS = 256;
/** JSON values recently stored or read, by key: a loop sends the same system prompt and tool list every turn. */
const MAX_CACHED_VALUES = 128;

export class ConversationStore {
  private readonly chains = new Map<string, ChainLink[]>();
  private readonly values = new Map<string, unknown>();

  constructor(
    private readonly blobs: BlobStore,
    /** Texts longer than this (UTF-8 bytes) are stored rather than carried. */
    readonly inlineBytes: number,
  ) {}

  /** Stores an entry after `head` and returns its key, the conversation's new head. */
  async append(head: string | null, messages: LoggedMessage[]): Promise<string> {
    const entry: LogEntry = { prev: head, messages };
    const key = await this.putBytes('log', encoder.encode(JSON.stringify(entry)));
    const before = head === null ? [] : this.chains.get(head);
    if (before) this.remember(key, [...before, { key, messages }]);
    return key;
  }

  /**
   * The entries of the conversation ending at `head`, oldest first: all of them, or with `from`
   * (a summary's last entry) only that one and those after it, so that a cold worker reads no
   * more of a long summarized conversation than it sends.
   */
  async chain(head: string | null, from?: string): Promise<ChainLink[]> {
    if (head === null) return [];
    const cached = this.chains.get(head);
    if (cached) {
      this.remember(head, cached);
      const start = from === undefined ? 0 : cached.findIndex((link) => link.key === from);
      return start > 0 ? cached.slice(start) : cached;
    }
    const newest: ChainLink[] = [];
    let before: ChainLink[] = [];
    let whole = true;
    for (let key: string | null = head; key !== null; ) {
      const known = this.chains.get(key);
      if (known) {
        before = known;
        break;
      }
      const entry = JSON.parse(decoder.decode(await this.blobs.get(key))) as LogEntry;
      newest.push({ key, messages: entry.messages });
      if (key === from) {
        whole = false;
        break;
      }
      key = entry.prev;
    }
    const chain = [...before, ...newest.reverse()];
    if (!whole) return chain;
    this.remember(head, chain);
    const start = from === undefined ? 0 : chain.findIndex((link) => link.key === from);
    return start > 0 ? chain.slice(start) : chain;
  }

  async messages(head: string | null): Promise<LoggedMessage[]> {
    return (await this.chain(head)).flatMap((link) => link.messages);
  }

  /** A text as a message carries it: whole when short, else its start and the key of the whole. */
  async storeText(text: string): Promise<{ content: string; stored?: StoredText }> {
    const bytes = encoder.encode(text);
    if (bytes.byteLength <= this.inlineBytes) return { content: text };
    const key = await this.putBytes('text', bytes);
    return { content: preview(text), stored: { key, bytes: bytes.byteLength } };
  }

  /** Stores a text whatever its length and returns its key. */
  async putText(text: string): Promise<string> {
    return this.putBytes('text', encoder.encode(text));
  }

  async text(key: string): Promise<string> {
    return decoder.decode(await this.blobs.get(key));
  }

  /** Stores an image's bytes (base64 as MCP carries them) and returns its reference. */
  async putImage(base64: string, mimeType: string): Promise<ImageRef> {
    const bytes = Buffer.from(base64, 'base64');
    return { key: await this.putBytes('image', bytes), mimeType, bytes: bytes.byteLength };
  }

  /**
   * Messages with every stored text read back, as a model or a person should see them; with
   * `images`, each image's bytes too (base64 `data`), as a model is sent them.
   */
  async resolve<M extends Message>(messages: M[], options: { images?: boolean } = {}): Promise<M[]> {
    return Promise.all(
      messages.map(async (message) => {
        if (message.role === 'assistant') return message;
        let resolved: Message = message;
        if (resolved.role === 'tool' && resolved.stored) {
          const { stored, ...rest } = resolved;
          resolved = { ...rest, content: await this.text(stored.key) };
        }
        if (options.images && resolved.images?.length) {
          const images = await Promise.all(
            resolved.images.map(async (image) => ({ ...image, data: Buffer.from(await this.blobs.get(image.key)).toString('base64') })),
          );
          resolved = { ...resolved, images };
        }
        return resolved as M;
      }),
    );
  }

  async putJson(value: unknown): Promise<string> {
    const key = await this.putBytes('json', encoder.encode(JSON.stringify(value)));
    this.rememberValue(key, value);
    return key;
  }

  /**
   * The value stored under `key`, parsed once and then shared while it stays cached: callers must
   * not change it (a value's key is its content's hash).
   */
  async json<T>(key: string): Promise<T> {
    if (this.values.has(key)) {
      const known = this.values.get(key);
      this.rememberValue(key, known);
      return known as T;
    }
    const value = JSON.parse(decoder.decode(await this.blobs.get(key))) as T;
    this.rememberValue(key, value);
    return value;
  }

  private async putBytes(kind: 'log' | 'text' | 'json' | 'image', bytes: Uint8Array): Promise<string> {
    const key = contentKey(kind, bytes);
    await this.blobs.put(key, bytes);
    return key;
  }

  private rememberValue(key: string, value: unknown): void {
    this.values.delete(key);
    this.values.set(key, value);
    if (this.values.size > MAX_CACHED_VALUES) this.values.delete(this.values.keys().next().value!);
  }

  private remember(head: string, chain: ChainLink[]): void {
    this.chains.delete(head);
    this.chains.set(head, chain);
    if (this.chains.size > MAX_CACHED_CHAINS) this.chains.delete(this.chains.keys().next().value!);
  }
}
