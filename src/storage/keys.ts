import { createHash } from 'node:crypto';

/**
 * Blob keys: `<kind>/<sha-256 of the bytes>`. The kind keeps a store browsable (`log/` holds
 * conversation entries, `text/` long tool results, `json/` tool lists and prompts, `payload/`
 * Temporal payloads); the hash makes equal content one blob.
 */
export type BlobKind = 'log' | 'text' | 'json' | 'payload' | 'image';

export function contentKey(kind: BlobKind, data: Uint8Array): string {
  return `${kind}/${createHash('sha256').update(data).digest('hex')}`;
}

const CONTENT_KEY = /^(log|text|json|payload|image)\/[0-9a-f]{64}$/;

/**
 * Keys also arrive from outside (the codec endpoint decodes what a browser sends), so a store
 * reads and writes nothing that is not a content key: no other object of a bucket, no path out of
 * the store's folder.
 */
export function assertContentKey(key: string): void {
  if (!CONTENT_KEY.test(key)) throw new InvalidBlobKeyError(key);
}

export class InvalidBlobKeyError extends Error {
  constructor(readonly key: string) {
    super(`not a blob key of this store: ${JSON.stringify(key.slice(0, 100))}`);
    this.name = 'InvalidBlobKeyError';
  }
}
