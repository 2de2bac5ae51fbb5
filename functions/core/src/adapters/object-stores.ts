/** Chooses the lake's ObjectStore from configuration: S3 when ULA_S3_ENDPOINT is set, else a local folder. */
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { LocalDirStore } from './local-dir.ts';
import type { ObjectStore } from './object-store.ts';
import { S3Store, type S3StoreOptions } from './s3.ts';

export function lakeStore(config: Config, s3Options: Partial<S3StoreOptions> = {}): ObjectStore {
  if (config.s3) {
    return new S3Store({
      bucket: config.s3.bucket,
      endpoint: config.s3.endpoint,
      region: config.s3.region,
      ...s3Options,
    });
  }
  // Embedded: <dataDir>/<bucket>/ so object keys are the same as in the bucket.
  return new LocalDirStore(join(config.dataDir, config.lakeBucket));
}
