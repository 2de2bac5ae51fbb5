/** The lake's storage port: an S3 bucket in production, a local directory when embedded. */
export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

export interface ObjectStore {
  /** Writes (or overwrites) one object; resolves only once it is durable. */
  put(key: string, body: Uint8Array, contentType?: string): Promise<void>;
  /** The object's bytes, or undefined when absent. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Every object whose key starts with prefix, in key order. */
  list(prefix: string): Promise<ObjectInfo[]>;
  delete(key: string): Promise<void>;
  /** Throws when the store is unreachable (readiness). */
  health(): Promise<void>;
  /** A URI naming the object for readers outside this process (s3://bucket/key or file:///path). */
  uri(key: string): string;
}
