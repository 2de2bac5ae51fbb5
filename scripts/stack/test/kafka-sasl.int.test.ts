// The local stack's SASL_SSL listener (scripts/stack/kafka.sh: SCRAM-SHA-512 over TLS, the deploy's Kafka
// security) through the project's one Kafka client configuration (kafkaClientConfig of the ULA_KAFKA_*
// settings): with the generated credentials and CA a client produces and consumes; without credentials,
// with a wrong password, or without the CA it is refused.
// Run: bash scripts/stack/stack.sh up kafka && npx vitest run --project integration scripts/stack/test/kafka-sasl.int.test.ts
// (STACK_RUN: another stack state folder, as scripts/stack/lib.sh reads it, e.g. a second Kafka's.)
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KafkaEventSink } from '@ula/core/adapters/event-sink-kafka';
import { kafkaClientConfig, kafkaClientOf } from '@ula/core/adapters/kafka-client';
import { type KafkaConnection, loadKafkaConnection } from '@ula/core/config';
import { WireProducer } from '@ula/tools/adapters/kafka-producer';
import { wireSecurityOf } from '@ula/tools/adapters/kafka-sasl';
import { Kafka, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const clientEnvFile = join(
  process.env['STACK_RUN'] || fileURLToPath(new URL('../../../.stack', import.meta.url)),
  'kafka/sasl/client.env',
);

/** client.env as an environment: ULA_KAFKA_BROKERS (the SASL_SSL port), _SASL_MECHANISM, _USERNAME, _PASSWORD, _CA_FILE. */
function clientEnv(): Record<string, string> {
  const entries = readFileSync(clientEnvFile, 'utf8')
    .split('\n')
    .filter((line) => line.includes('='))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const);
  return Object.fromEntries(entries);
}

/** A client that fails fast: one attempt, short timeouts (a refusal is the expected outcome). */
const oneAttempt = { connectionTimeout: 5000, authenticationTimeout: 5000, retry: { retries: 0 } };

const connectAdmin = async (connection: KafkaConnection) => {
  const admin = new Kafka(kafkaClientConfig(connection, 'ula-sasl-test', oneAttempt)).admin();
  try {
    await admin.connect();
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
};

describe('Kafka SASL_SSL / SCRAM-SHA-512 listener', () => {
  let connection: KafkaConnection;
  const topic = `ula_sasl_${Date.now().toString(36)}_${randomUUID().slice(0, 6)}`;

  beforeAll(() => {
    if (!existsSync(clientEnvFile))
      throw new Error(
        `${clientEnvFile} is missing: this Kafka was started before its SASL_SSL listener existed; restart it (bash scripts/stack/stack.sh down kafka && bash scripts/stack/stack.sh up kafka)`,
      );
    connection = loadKafkaConnection(clientEnv());
  });

  afterAll(async () => {
    if (!connection) return;
    const admin = new Kafka(kafkaClientConfig(connection, 'ula-sasl-test')).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  });

  it('the settings say SCRAM-SHA-512 over TLS with the generated CA', () => {
    expect(connection.sasl).toMatchObject({ mechanism: 'scram-sha-512', username: expect.any(String) });
    expect(connection.sasl!.password.length).toBeGreaterThanOrEqual(32);
    expect(connection.tls?.caFile).toMatch(/ca\.pem$/);
  });

  it('with the credentials and the CA, a client produces and consumes', async () => {
    const kafka = new Kafka(kafkaClientConfig(connection, 'ula-sasl-test'));
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const value = `over SASL_SSL ${randomUUID()}`;
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `${topic}-reader` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no record within 60 s')), 60_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          clearTimeout(timer);
          resolve(message.value!.toString());
        },
      });
    });
    await consumer.disconnect();
    expect(received).toBe(value);
  });

  it("the xAPI function's Kafka sink connects with the same settings", async () => {
    const sink = new KafkaEventSink({ connection });
    await expect(sink.health()).resolves.toBeUndefined();
    await sink.close();
  });

  it("the tools' client (dispatcher, readers, demo) takes brokers and security from the ULA_KAFKA_* environment", async () => {
    const admin = kafkaClientOf(undefined, 'ula-sasl-test', oneAttempt, clientEnv()).admin();
    await admin.connect();
    await expect(admin.listTopics()).resolves.toContain(topic);
    await admin.disconnect();
  });

  it("the generator's wire producer (npm run produce) authenticates with SCRAM over TLS and its records arrive", async () => {
    const producer = await WireProducer.connect({
      brokers: connection.brokers,
      security: wireSecurityOf(connection),
    });
    await producer.prepare([topic]);
    const value = `wire over SASL_SSL ${randomUUID()}`;
    producer.append(topic, { key: 'wire', value, headers: { 'content-type': 'text/plain' } });
    await producer.send();
    producer.close();
    const kafka = new Kafka(kafkaClientConfig(connection, 'ula-sasl-test'));
    const consumer = kafka.consumer({ groupId: `${topic}-wire-reader` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const values: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no wire record within 60 s (got ${values.length})`)),
        60_000,
      );
      void consumer.run({
        eachMessage: async ({ message }) => {
          values.push(message.value!.toString());
          if (values.includes(value)) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    expect(values).toContain(value);

    const wrong = wireSecurityOf({
      ...connection,
      sasl: { ...connection.sasl!, password: 'not-the-password' },
    });
    await expect(
      WireProducer.connect({ brokers: connection.brokers, security: wrong, attempts: 1 }).then((p) =>
        p.prepare([topic]),
      ),
    ).rejects.toThrow(/SASL SCRAM-SHA-512 authentication failed/);
  });

  it('without credentials the listener refuses the client', async () => {
    const { sasl: _sasl, ...tlsOnly } = connection;
    await expect(connectAdmin(tlsOnly)).rejects.toThrow();
  });

  it('with a wrong password the SCRAM authentication fails', async () => {
    const wrong = { ...connection, sasl: { ...connection.sasl!, password: `${connection.sasl!.password}x` } };
    await expect(connectAdmin(wrong)).rejects.toThrow(/SASL SCRAM SHA512 authentication failed/i);
  });

  it("without the listener's CA the TLS handshake fails (its certificate is checked)", async () => {
    await expect(connectAdmin({ ...connection, tls: {} })).rejects.toThrow(/certificate/i);
  });
});
