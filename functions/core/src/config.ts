/**
 * Configuration from environment variables. Defaults select the embedded column of the README's component table
 * (local directory lake, SQLite views); setting a service variable points that adapter at a real service.
 * The variables are declared in settings.ts (`shared`), which the README's configuration table is generated from.
 */
import { readSettings, shared } from './settings.ts';

export interface Config {
  /** Analytics time zone for calendar buckets (date, hour); instants stay UTC. */
  timeZone: string;
  /** Folder for embedded data (lake directory, SQLite file). */
  dataDir: string;
  kafka: { brokers: string[] } | undefined;
  s3: { endpoint: string | undefined; bucket: string; region: string } | undefined;
  cassandra:
    | {
        contactPoints: string[];
        localDataCenter: string;
        keyspace: string;
        username?: string;
        password?: string;
      }
    | undefined;
  /** Bucket name used by the local-directory lake too, so object keys are identical. */
  lakeBucket: string;
  keyspace: string;
  trinoUrl: string | undefined;
}

/** The shared settings (settings.ts declares them); InvalidSettings names every invalid variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const v = readSettings(env, shared);
  return {
    timeZone: v.timeZone,
    dataDir: v.dataDir,
    kafka: v.kafkaBrokers.length > 0 ? { brokers: v.kafkaBrokers } : undefined,
    s3:
      v.s3Endpoint !== undefined
        ? { endpoint: v.s3Endpoint, bucket: v.s3Bucket, region: v.s3Region }
        : undefined,
    cassandra:
      v.cassandraContactPoints.length > 0
        ? {
            contactPoints: v.cassandraContactPoints,
            localDataCenter: v.cassandraLocalDc,
            keyspace: v.cassandraKeyspace,
            ...(v.cassandraUsername !== undefined ? { username: v.cassandraUsername } : {}),
            ...(v.cassandraPassword !== undefined ? { password: v.cassandraPassword } : {}),
          }
        : undefined,
    lakeBucket: v.s3Bucket,
    keyspace: v.cassandraKeyspace,
    trinoUrl: v.trinoUrl,
  };
}
