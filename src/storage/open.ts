import { ExternalStorage, type DataConverter } from '@temporalio/common';
import type { StorageConfig } from '../config/schema';
import { CachedBlobStore } from './cached-store';
import { FileBlobStore } from './file-store';
import { BlobPayloadDriver } from './payload-driver';
import { S3BlobStore } from './s3-store';
import type { BlobStore } from './store';

/**
 * The store a process (worker or API) works with, as the config's `storage:` section describes it,
 * and the Temporal data converter that keeps large payloads in it. Every process of one deployment
 * must open the same store: what one worker stored, another (or the API) reads.
 */
export interface Storage {
  blobs: BlobStore;
  /** For Worker.create, the Client and replays: payloads over the threshold leave history. */
  dataConverter: DataConverter;
  settings: StorageConfig;
  close(): void;
}

export function openStorage(settings: StorageConfig): Storage {
  const inner = backend(settings);
  const blobs = new CachedBlobStore(inner, settings.cache_mb * 1024 * 1024);
  return {
    blobs,
    dataConverter: payloadDataConverter(blobs, settings.payload_threshold_bytes),
    settings,
    close: () => inner.close(),
  };
}

export function payloadDataConverter(blobs: BlobStore, thresholdBytes: number): DataConverter {
  return {
    externalStorage: new ExternalStorage({ drivers: [new BlobPayloadDriver(blobs)], payloadSizeThreshold: thresholdBytes }),
  };
}

function backend(settings: StorageConfig): FileBlobStore | S3BlobStore {
  if (settings.driver === 'file') return new FileBlobStore(settings.path);
  const s3 = settings.s3!;
  return new S3BlobStore({
    bucket: s3.bucket,
    prefix: s3.prefix,
    region: s3.region,
    ...(s3.endpoint && { endpoint: s3.endpoint }),
    forcePathStyle: s3.force_path_style ?? s3.endpoint !== undefined,
    ...(s3.access_key_id &&
      s3.secret_access_key && { credentials: { accessKeyId: s3.access_key_id, secretAccessKey: s3.secret_access_key } }),
  });
}
