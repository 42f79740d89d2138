import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { assertContentKey } from './keys';
import { BlobNotFoundError, type BlobStore } from './store';

export interface S3StoreSettings {
  bucket: string;
  /** Put before every key, e.g. `mcp-agent/`. */
  prefix: string;
  region: string;
  /** An S3-compatible server (MinIO, Ceph, R2); absent means AWS itself. */
  endpoint?: string;
  /** Bucket in the path rather than the host name, as MinIO and most S3-compatible servers want. */
  forcePathStyle: boolean;
  /** Absent: the AWS SDK's own chain (environment, shared config, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Blobs in an S3 bucket, so that workers on several machines and the API share them. The AWS SDK
 * keeps its own few retries here: these calls also run outside activities (the worker stores and
 * fetches large payloads for workflow tasks), where Temporal has no retry of its own to offer.
 */
export class S3BlobStore implements BlobStore {
  readonly location: string;
  private readonly client: S3Client;

  constructor(private readonly settings: S3StoreSettings) {
    this.location = `s3://${settings.bucket}/${settings.prefix}`;
    const config: S3ClientConfig = {
      region: settings.region,
      forcePathStyle: settings.forcePathStyle,
      // The SDK's default checksum trailers are newer than many S3-compatible servers (S3Proxy,
      // older MinIO and Ceph) understand; checksums only where S3 requires them work everywhere.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(settings.endpoint && { endpoint: settings.endpoint }),
      ...(settings.credentials && { credentials: settings.credentials }),
    };
    this.client = new S3Client(config);
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.settings.bucket, Key: this.keyOf(key), Body: data }));
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      const reply = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.keyOf(key) }));
      if (!reply.Body) throw new BlobNotFoundError(key, this.location);
      return await reply.Body.transformToByteArray();
    } catch (error) {
      if (error instanceof NoSuchKey) throw new BlobNotFoundError(key, this.location);
      throw error;
    }
  }

  close(): void {
    this.client.destroy();
  }

  private keyOf(key: string): string {
    assertContentKey(key);
    return `${this.settings.prefix}${key}`;
  }
}
