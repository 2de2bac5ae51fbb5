/**
 * Configuration from environment variables. Defaults select the embedded column of the README's component table
 * (local directory lake, SQLite views); setting a service variable points that adapter at a real service.
 * The variables are declared in settings.ts (`shared`), which the README's configuration table is generated from.
 */
import { type KafkaSaslMechanism, readSettings, shared } from './settings.ts';

/** How to reach Kafka: the brokers, and TLS and SASL when the cluster asks for them (adapters/kafka-client.ts). */
export interface KafkaConnection {
  brokers: string[];
  /** TLS on; `caFile`: the PEM the brokers' certificates are checked against (else the system CAs). */
  tls?: { caFile?: string };
  sasl?: { mechanism: KafkaSaslMechanism; username: string; password: string };
}

export interface Config {
  /** Analytics time zone for calendar buckets (date, hour); instants stay UTC. */
  timeZone: string;
  /** Folder for embedded data (lake directory, SQLite file). */
  dataDir: string;
  kafka: KafkaConnection | undefined;
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
  const v = readSettings(env, shared, kafkaProblems);
  return {
    timeZone: v.timeZone,
    dataDir: v.dataDir,
    kafka: v.kafkaBrokers.length > 0 ? kafkaConnectionOf(v.kafkaBrokers, v) : undefined,
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

const kafkaSettings = {
  kafkaBrokers: shared.kafkaBrokers,
  kafkaSaslMechanism: shared.kafkaSaslMechanism,
  kafkaUsername: shared.kafkaUsername,
  kafkaPassword: shared.kafkaPassword,
  kafkaTls: shared.kafkaTls,
  kafkaCaFile: shared.kafkaCaFile,
};

/** SASL needs a user and a password, and a user or password without a mechanism is a mistake, not a default. */
function kafkaProblems(v: {
  kafkaSaslMechanism: KafkaSaslMechanism | undefined;
  kafkaUsername: string | undefined;
  kafkaPassword: string | undefined;
}): string[] {
  if (v.kafkaSaslMechanism !== undefined) {
    const missing = [
      ...(v.kafkaUsername === undefined ? ['ULA_KAFKA_USERNAME'] : []),
      ...(v.kafkaPassword === undefined ? ['ULA_KAFKA_PASSWORD'] : []),
    ];
    return missing.length > 0
      ? [`ULA_KAFKA_SASL_MECHANISM=${v.kafkaSaslMechanism} needs ${missing.join(' and ')}`]
      : [];
  }
  return v.kafkaUsername !== undefined || v.kafkaPassword !== undefined
    ? [
        'ULA_KAFKA_USERNAME / ULA_KAFKA_PASSWORD are set without ULA_KAFKA_SASL_MECHANISM (e.g. scram-sha-512)',
      ]
    : [];
}

function kafkaConnectionOf(
  brokers: string[],
  v: {
    kafkaSaslMechanism: KafkaSaslMechanism | undefined;
    kafkaUsername: string | undefined;
    kafkaPassword: string | undefined;
    kafkaTls: boolean;
    kafkaCaFile: string | undefined;
  },
): KafkaConnection {
  return {
    brokers,
    ...(v.kafkaTls || v.kafkaCaFile !== undefined
      ? { tls: v.kafkaCaFile !== undefined ? { caFile: v.kafkaCaFile } : {} }
      : {}),
    ...(v.kafkaSaslMechanism !== undefined
      ? {
          sasl: {
            mechanism: v.kafkaSaslMechanism,
            username: v.kafkaUsername!,
            password: v.kafkaPassword!,
          },
        }
      : {}),
  };
}

/**
 * The Kafka settings alone, for the tools that take their brokers from a flag (`brokers`, else
 * ULA_KAFKA_BROKERS, else `fallbackBrokers`); InvalidSettings names every problem.
 */
export function loadKafkaConnection(
  env: NodeJS.ProcessEnv = process.env,
  brokers?: readonly string[],
  fallbackBrokers: readonly string[] = ['127.0.0.1:9092'],
): KafkaConnection {
  const v = readSettings(env, kafkaSettings, kafkaProblems);
  const chosen = brokers?.length ? brokers : v.kafkaBrokers.length > 0 ? v.kafkaBrokers : fallbackBrokers;
  return kafkaConnectionOf([...chosen], v);
}
