import type { BlobStore } from './store';

/**
 * A process-wide, size-bounded cache in front of a blob store. Blobs never change once written, so
 * a cached copy is always right; a worker with a cold cache simply reads from the store. Entries
 * are evicted least recently used first.
 */
export class CachedBlobStore implements BlobStore {
  readonly location: string;
  private readonly entries = new Map<string, Uint8Array>();
  private bytes = 0;
  /** Reads in flight, so that many activities asking for one blob fetch it once. */
  private readonly loading = new Map<string, Promise<Uint8Array>>();

  constructor(
    private readonly inner: BlobStore,
    private readonly maxBytes: number,
  ) {
    this.location = inner.location;
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    if (this.entries.has(key)) return;
    await this.inner.put(key, data);
    this.remember(key, data);
  }

  async get(key: string): Promise<Uint8Array> {
    const cached = this.entries.get(key);
    if (cached) {
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.inner.get(key).finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    const data = await pending;
    this.remember(key, data);
    return data;
  }

  private remember(key: string, data: Uint8Array): void {
    if (data.byteLength > this.maxBytes / 4 || this.entries.has(key)) return;
    this.entries.set(key, data);
    this.bytes += data.byteLength;
    for (const [oldest, value] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= value.byteLength;
    }
  }
}
