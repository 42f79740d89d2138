import { createHash } from 'node:crypto';

/**
 * Blob keys: `<kind>/<sha-256 of the bytes>`. The kind keeps a store browsable (`log/` holds
 * conversation entries, `text/` long tool results, `json/` tool lists and prompts, `payload/`
 * Temporal payloads); the hash makes equal content one blob.
 */
export type BlobKind = 'log' | 'text' | 'json' | 'payload';

export function contentKey(kind: BlobKind, data: Uint8Array): string {
  return `${kind}/${createHash('sha256').update(data).digest('hex')}`;
}
