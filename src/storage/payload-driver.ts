import {
  StorageDriverClaim,
  type Payload,
  type StorageDriver,
  type StorageDriverRetrieveContext,
  type StorageDriverStoreContext,
} from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { contentKey } from './keys';
import type { BlobStore } from './store';

const ProtoPayload = temporal.api.common.v1.Payload;

/**
 * Temporal's external storage on our blob store: a payload over the threshold is written as its
 * protobuf bytes under a content key, and history keeps only the claim (the key). Equal payloads,
 * such as the same large input sent twice, share one blob.
 */
export class BlobPayloadDriver implements StorageDriver {
  readonly name = 'mcp-agent-blobs';
  readonly type = 'mcp-agent.blob-store';

  constructor(private readonly blobs: BlobStore) {}

  async store(_context: StorageDriverStoreContext, payloads: Payload[]): Promise<StorageDriverClaim[]> {
    return Promise.all(
      payloads.map(async (payload) => {
        const bytes = ProtoPayload.encode(payload).finish();
        const key = contentKey('payload', bytes);
        await this.blobs.put(key, bytes);
        return new StorageDriverClaim({ key });
      }),
    );
  }

  async retrieve(_context: StorageDriverRetrieveContext, claims: StorageDriverClaim[]): Promise<Payload[]> {
    return Promise.all(
      claims.map(async (claim) => {
        const key = claim.claimData.key;
        if (!key) throw new Error(`an external-storage claim without a key: ${JSON.stringify(claim.claimData)}`);
        return ProtoPayload.decode(await this.blobs.get(key)) as Payload;
      }),
    );
  }
}
