/**
 * Where content that must not live in Temporal history goes: conversation logs, large tool
 * results, and payloads over the external-storage threshold. Keys are content hashes, so a value
 * is written once however often it is stored, and a write may be repeated safely (an activity's
 * retry, two workers racing).
 */
export interface BlobStore {
  /** Stores `data` under `key`. Storing the same key again is harmless. */
  put(key: string, data: Uint8Array): Promise<void>;
  /** The bytes stored under `key`; BlobNotFoundError when there are none. */
  get(key: string): Promise<Uint8Array>;
  /** Where the blobs live, for logs and errors: a folder or an s3:// URL. */
  readonly location: string;
}

export class BlobNotFoundError extends Error {
  constructor(
    readonly key: string,
    location: string,
  ) {
    super(
      `Stored content "${key}" is missing from ${location}. Workers and the API must share one store ` +
        '(storage.driver: s3 when they run on several machines).',
    );
    this.name = 'BlobNotFoundError';
  }
}
