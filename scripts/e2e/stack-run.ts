/**
 * What the end-to-end test and benchmark share: the local stack's settings for an isolated run (its own
 * bucket and keyspace), resetting them, producing generated items to Kafka, and consumer groups that
 * start at the topics' current ends (so only this run's records are dispatched).
 */
import { createRequire } from 'node:module';
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { type DispatcherOptions, startDispatcher } from '@ula/tools/dispatch/kafka-dispatcher';
import type { GeneratedItem } from '@ula/tools/generator/index';
import { type Kafka, Partitioners } from 'kafkajs';
import { kafkaClientOf } from '../../functions/core/src/adapters/kafka-client.ts';
import { toKafkaRecord } from '../../functions/core/src/events/cloudevents.ts';
import { categories, topicOf } from '../../functions/core/src/events/envelope.ts';
import { cassandraSchema } from '../../functions/core/src/views/catalogue.ts';

const require = createRequire(import.meta.url);
const cassandra = require('cassandra-driver') as typeof import('cassandra-driver');
const applySchemaModule = '../stack/apply-schema.mjs';
const { splitCql } = (await import(applySchemaModule)) as { splitCql: (cql: string) => string[] };

/** The local stack's endpoints and credentials (scripts/stack), as the functions and jobs read them. */
export function localStackEnv(): Record<string, string> {
  return {
    ULA_KAFKA_BROKERS: process.env['ULA_KAFKA_BROKERS'] || '127.0.0.1:9092',
    ULA_S3_ENDPOINT: process.env['ULA_S3_ENDPOINT'] || 'http://127.0.0.1:9000',
    AWS_ACCESS_KEY_ID: process.env['AWS_ACCESS_KEY_ID'] || 'ula-local-access',
    AWS_SECRET_ACCESS_KEY: process.env['AWS_SECRET_ACCESS_KEY'] || 'ula-local-secret-key',
    AWS_REGION: 'us-east-1',
    ULA_CASSANDRA_CONTACT_POINTS: process.env['ULA_CASSANDRA_CONTACT_POINTS'] || '127.0.0.1',
    ULA_TIMEZONE: 'Asia/Ho_Chi_Minh',
  };
}

/** Environment for functions and jobs of one isolated run on the local stack. */
export function stackEnv(run: { keyspace: string; bucket: string }): Record<string, string> {
  const env: Record<string, string> = {
    ...localStackEnv(),
    ULA_S3_BUCKET: run.bucket,
    ULA_CASSANDRA_KEYSPACE: run.keyspace,
  };
  // In-process S3 clients read their credentials from the process environment.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: env['AWS_ACCESS_KEY_ID'],
    AWS_SECRET_ACCESS_KEY: env['AWS_SECRET_ACCESS_KEY'],
  });
  return env;
}

/** Empties (creating if needed) the run's bucket, and recreates its keyspace from the declarations. */
export async function resetStorage(env: Record<string, string>): Promise<void> {
  const bucket = env['ULA_S3_BUCKET']!;
  const keyspace = env['ULA_CASSANDRA_KEYSPACE']!;
  const s3 = new S3Client({
    endpoint: env['ULA_S3_ENDPOINT'],
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: env['AWS_ACCESS_KEY_ID']!, secretAccessKey: env['AWS_SECRET_ACCESS_KEY']! },
  });
  await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((e: Error) => {
    if (!/BucketAlready/.test(e.name)) throw e;
  });
  for (;;) {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (keys.length === 0) break;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  }
  s3.destroy();
  await recreateKeyspace(env['ULA_CASSANDRA_CONTACT_POINTS']!, keyspace);
}

/** Drops `keyspace` and creates it again from the view declarations (as cassandra/schema.cql would). */
export async function recreateKeyspace(contactPoints: string, keyspace: string): Promise<void> {
  const client = cassandraClient({ ULA_CASSANDRA_CONTACT_POINTS: contactPoints });
  try {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    for (const statement of splitCql(cassandraSchema(keyspace))) await client.execute(statement);
  } finally {
    await client.shutdown();
  }
}

export const cassandraClient = (env: Record<string, string>) =>
  new cassandra.Client({
    contactPoints: env['ULA_CASSANDRA_CONTACT_POINTS']!.split(','),
    localDataCenter: 'datacenter1',
  });

/** A Kafka client of the stack's brokers (warnings and errors logged only). */
export const stackKafka = (env: Record<string, string>, clientId: string) =>
  kafkaClientOf(env['ULA_KAFKA_BROKERS']!.split(','), clientId, {}, { ...process.env, ...env });

/**
 * The run's dispatcher as the stack's KafkaSources deliver: the category topics to the ingest and speed
 * functions at `urls`, through the consumer groups `<groupPrefix>-ingest|speed` (see consumerGroupsAtEnd).
 */
export function dispatchToFunctions(
  env: Record<string, string>,
  groupPrefix: string,
  urls: { ingest: string; speed: string },
  onOutcome?: DispatcherOptions['onOutcome'],
) {
  return startDispatcher({
    brokers: env['ULA_KAFKA_BROKERS']!.split(','),
    sinks: [
      { name: 'ingest', url: urls.ingest },
      { name: 'speed', url: urls.speed },
    ],
    groupPrefix,
    policy: { retry: 6, backoffDelayMs: 200, timeoutMs: 30_000 },
    ...(onOutcome ? { onOutcome } : {}),
  });
}

/** Fresh consumer groups `<prefix>-<sink>` that start where the category topics end now. */
export async function consumerGroupsAtEnd(
  kafka: Kafka,
  prefix: string,
  sinks: readonly string[],
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  for (const category of categories) {
    const topic = topicOf(category);
    const partitions = (await admin.fetchTopicOffsets(topic)).map((p) => ({
      partition: p.partition,
      offset: p.high,
    }));
    for (const sink of sinks) await admin.setOffsets({ groupId: `${prefix}-${sink}`, topic, partitions });
  }
  await admin.disconnect();
}

/** Produces every generated item to its category topic as Kafka binary-mode records (malformed ones raw). */
export async function produce(kafka: Kafka, items: readonly GeneratedItem[]): Promise<void> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const byTopic = new Map<string, { key: string; value: string; headers: Record<string, string> }[]>();
  for (const item of items) {
    const record =
      item.kind === 'event'
        ? toKafkaRecord(item.event)
        : {
            topic: topicOf(item.record.category),
            key: item.record.key,
            value: item.record.body,
            headers: Object.fromEntries(
              Object.entries(item.record.attributes).map(([k, v]) => [`ce_${k}`, v]),
            ),
          };
    const list = byTopic.get(record.topic) ?? [];
    list.push({ key: record.key, value: record.value, headers: record.headers });
    byTopic.set(record.topic, list);
  }
  for (const [topic, messages] of byTopic) {
    for (let i = 0; i < messages.length; i += 2000)
      await producer.send({ topic, messages: messages.slice(i, i + 2000) });
  }
  await producer.disconnect();
}
