/**
 * Configuration from environment variables. Defaults select the embedded column of the README's component table
 * (local directory lake, SQLite views); setting a service variable points that adapter at a real service.
 * The README's configuration table lists the same variables.
 */
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

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const keyspace = env['ULA_CASSANDRA_KEYSPACE'] ?? 'lms_analytics';
  const lakeBucket = env['ULA_S3_BUCKET'] ?? 'lake';
  const brokers = list(env['ULA_KAFKA_BROKERS']);
  const contactPoints = list(env['ULA_CASSANDRA_CONTACT_POINTS']);
  const username = env['ULA_CASSANDRA_USERNAME'];
  const password = env['ULA_CASSANDRA_PASSWORD'];
  return {
    timeZone: env['ULA_TIMEZONE'] ?? 'Asia/Ho_Chi_Minh',
    dataDir: env['ULA_DATA_DIR'] ?? '.data',
    kafka: brokers.length > 0 ? { brokers } : undefined,
    s3:
      env['ULA_S3_ENDPOINT'] !== undefined
        ? {
            endpoint: env['ULA_S3_ENDPOINT'],
            bucket: lakeBucket,
            region: env['ULA_S3_REGION'] ?? 'us-east-1',
          }
        : undefined,
    cassandra:
      contactPoints.length > 0
        ? {
            contactPoints,
            localDataCenter: env['ULA_CASSANDRA_LOCAL_DC'] ?? 'datacenter1',
            keyspace,
            ...(username !== undefined ? { username } : {}),
            ...(password !== undefined ? { password } : {}),
          }
        : undefined,
    lakeBucket,
    keyspace,
    trinoUrl: env['ULA_TRINO_URL'],
  };
}
