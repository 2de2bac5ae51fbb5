/**
 * ObjectStore on an S3 bucket (MinIO or any S3-compatible store; path-style addressing).
 * Credentials come from the AWS SDK's default chain (env AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).
 * `put` resolves when S3 has answered 200, i.e. the object is durable.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { ObjectInfo, ObjectStore } from './object-store.ts';

export interface S3StoreOptions {
  bucket: string;
  endpoint?: string | undefined;
  region?: string;
  /** SDK attempts per call (default 3). */
  maxAttempts?: number;
  /** Per-request timeout in ms (default 10 s): a hung S3 becomes a 5xx, not a hung request. */
  requestTimeoutMs?: number;
}

export class S3Store implements ObjectStore {
  readonly bucket: string;
  readonly client: S3Client;

  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.client = new S3Client({
      region: options.region ?? 'us-east-1',
      ...(options.endpoint !== undefined ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
      maxAttempts: options.maxAttempts ?? 3,
      requestHandler: { connectionTimeout: 2_000, requestTimeout: options.requestTimeoutMs ?? 10_000 },
    });
  }

  async put(key: string, body: Uint8Array, contentType = 'application/octet-stream'): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
    } catch (e) {
      if (e instanceof NoSuchKey || (e as { name?: string }).name === 'NoSuchKey') return undefined;
      throw e;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        out.push({ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async health(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  uri(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  close(): void {
    this.client.destroy();
  }
}
