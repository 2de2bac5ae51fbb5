/**
 * The kafkajs client configuration of a KafkaConnection (config.ts, the ULA_KAFKA_* settings): every Kafka
 * client of the project (the xAPI sink, the tools) is built here, so TLS and SASL are set in one place.
 * The CA file is read when the client is made: a rotated Secret is picked up by the next client.
 */
import { readFileSync } from 'node:fs';
import { Kafka, type KafkaConfig, logLevel, type SASLOptions } from 'kafkajs';
import { type KafkaConnection, loadKafkaConnection } from '../config.ts';

export function kafkaClientConfig(
  connection: KafkaConnection,
  clientId: string,
  extra: Omit<KafkaConfig, 'brokers' | 'clientId' | 'ssl' | 'sasl'> = {},
): KafkaConfig {
  return {
    logLevel: logLevel.WARN,
    ...extra,
    clientId,
    brokers: connection.brokers,
    ...(connection.tls ? { ssl: kafkaTlsOptions(connection.tls) } : {}),
    // A fresh object per client: kafkajs stores its authenticator, bound to the password, on the object.
    ...(connection.sasl ? { sasl: { ...connection.sasl } as SASLOptions } : {}),
  };
}

/** Node TLS options of the brokers' connections: the CA file's certificates when given, else the system's. */
export function kafkaTlsOptions(tls: NonNullable<KafkaConnection['tls']>): { ca: string[] } | true {
  return tls.caFile !== undefined ? { ca: [readFileSync(tls.caFile, 'utf8')] } : true;
}

/**
 * The tools' kafkajs client: `brokers` (a flag's, else ULA_KAFKA_BROKERS, else the local stack's), TLS and
 * SASL from the ULA_KAFKA_* settings of `env`.
 */
export function kafkaClientOf(
  brokers: readonly string[] | undefined,
  clientId: string,
  extra: Omit<KafkaConfig, 'brokers' | 'clientId' | 'ssl' | 'sasl'> = {},
  env: NodeJS.ProcessEnv = process.env,
): Kafka {
  return new Kafka(kafkaClientConfig(loadKafkaConnection(env, brokers), clientId, extra));
}
