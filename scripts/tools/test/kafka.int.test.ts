/**
 * Producer → real Kafka (ULA_KAFKA_BROKERS, default 127.0.0.1:9092) → consumer: events land on their
 * category topic, keyed by user id, with the CloudEvents headers intact, and read back equal; the
 * wire producer's batches are deduplicated by the broker when resent and rejected after a sequence gap.
 */

import { categories, fromKafkaRecord, type LmsEvent, toKafkaRecord, topicOf } from '@ula/core';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConsumedRecord,
  endOffsets,
  KafkaSink,
  kafkaMessageOf,
  readRecords,
} from '../src/adapters/kafka.ts';
import {
  initProducerIdRequest,
  parseInitProducerId,
  produceRequest,
  produceResults,
} from '../src/adapters/kafka-producer.ts';
import { apiKeys, BrokerConnection, encodeRecordBatch } from '../src/adapters/kafka-wire.ts';
import { backfill, createUniversity, type GeneratedItem } from '../src/generator/index.ts';

const brokers = (process.env['ULA_KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const topics = categories.map(topicOf);
// A fresh seed per run so this run's ids cannot be confused with earlier records on the topics.
const seed = `kafka-int-${Date.now()}`;
const university = createUniversity({ seed, students: 120, teachers: 6, courses: 12 });
const items: GeneratedItem[] = [
  ...backfill(university, { days: 1, end: Date.now(), malformedRate: 0.02, limit: 3000 }),
];
const events = items.flatMap((i) => (i.kind === 'event' ? [i.event] : []));
const malformed = items.filter((i) => i.kind === 'malformed');

describe('Kafka producer and consumer (real broker)', () => {
  let records: ConsumedRecord[] = [];

  beforeAll(async () => {
    const from = await endOffsets(brokers, topics);
    const sink = await KafkaSink.connect({ brokers, batchSize: 500 });
    for (const item of items) await sink.write(item);
    await sink.close();
    expect(sink.counts).toMatchObject({ events: events.length, malformed: malformed.length });
    const wanted = new Set(items.map((i) => (i.kind === 'event' ? i.event.id : i.record.attributes['id'])));
    let seen = 0;
    records = await readRecords({
      brokers,
      from,
      timeoutMs: 60_000,
      done: (list) => {
        for (; seen < list.length; seen++) wanted.delete(list[seen]!.headers['ce_id'] ?? '');
        return wanted.size === 0;
      },
    });
  });

  afterAll(() => undefined);

  it('delivers every event once to its category topic, keyed by user id, equal when read back', () => {
    const byId = new Map<string, ConsumedRecord>();
    for (const r of records) if (r.headers['ce_id']) byId.set(r.headers['ce_id'], r);
    for (const event of events) {
      const record = byId.get(event.id);
      expect(record, event.id).toBeDefined();
      expect(record!.topic).toBe(topicOf(event.category));
      expect(record!.key).toBe(event.data.user_id);
      const back: LmsEvent = fromKafkaRecord(record!);
      expect(back).toEqual(event);
    }
    const ours = records.filter((r) => byId.get(r.headers['ce_id'] ?? '') === r);
    expect(new Set(ours.map((r) => r.topic))).toEqual(new Set(topics));
  });

  it('keeps the CloudEvents headers of the SDK mapping (binary mode)', () => {
    const byId = new Map(records.map((r) => [r.headers['ce_id'], r]));
    for (const event of events.slice(0, 200)) {
      const expected = toKafkaRecord(event);
      expect(byId.get(event.id)!.headers).toEqual(expected.headers);
      expect(kafkaMessageOf(event).headers).toEqual(expected.headers);
      expect(byId.get(event.id)!.value).toBe(expected.value);
    }
  });

  it('writes malformed records raw to the category topic, where reading them fails', () => {
    expect(malformed.length).toBeGreaterThan(20);
    const byId = new Map(records.map((r) => [r.headers['ce_id'], r]));
    for (const m of malformed) {
      if (m.kind !== 'malformed') continue;
      const record = byId.get(m.record.attributes['id']);
      expect(record, m.defect).toBeDefined();
      expect(record!.topic).toBe(topicOf(m.record.category));
      expect(record!.value).toBe(m.record.body);
      expect(() => fromKafkaRecord(record!), m.defect).toThrow();
    }
  });
});

describe('idempotent wire producer (real broker)', () => {
  it('a batch resent with the same producer id and sequence is stored once; a sequence gap fails', async () => {
    const topic = `ula_wire_test_${Date.now()}`;
    const admin = new Kafka({ clientId: 'ula-wire-test', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
    const connection = await BrokerConnection.open(brokers[0]!, 'ula-wire-test', 10_000);
    try {
      const identity = parseInitProducerId(
        await connection.request(apiKeys.initProducerId, 1, initProducerIdRequest()),
      );
      const messages = events.slice(0, 50).map(kafkaMessageOf);
      const batch = (sequence: number, from: number, to: number) => ({
        topic,
        partition: 0,
        records: to - from,
        bytes: encodeRecordBatch(messages.slice(from, to), identity, sequence),
      });
      const produce = async (b: ReturnType<typeof batch>) =>
        produceResults(await connection.request(apiKeys.produce, 3, produceRequest([b], 10_000)), [b])[0]!
          .code;
      const first = batch(0, 0, 30);
      expect(await produce(first)).toBe(0);
      // The retry after a lost answer: the broker recognises it (0 or DUPLICATE_SEQUENCE_NUMBER, 46).
      expect([0, 46]).toContain(await produce(first));
      // Records 30..49 with a sequence that skips ten: OUT_OF_ORDER_SEQUENCE_NUMBER, not stored.
      expect(await produce(batch(40, 30, 50))).toBe(45);
      expect(await produce(batch(30, 30, 50))).toBe(0);

      const stored = await readRecords({
        brokers,
        from: new Map([[topic, [{ partition: 0, offset: '0' }]]]),
        done: (list) => list.length >= 50,
        timeoutMs: 5_000,
      });
      expect(stored.map((r) => r.headers['ce_id'])).toEqual(messages.map((m) => m.headers['ce_id']));
    } finally {
      connection.close();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
