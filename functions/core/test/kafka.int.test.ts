/**
 * Producer → real Kafka (ULA_KAFKA_BROKERS, default 127.0.0.1:9092) → consumer: events land on their
 * category topic, keyed by user id, with the CloudEvents headers intact, and read back equal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConsumedRecord,
  endOffsets,
  KafkaSink,
  kafkaMessageOf,
  readRecords,
} from '../src/adapters/kafka.ts';
import { backfill, createUniversity, type GeneratedItem } from '../src/generator/index.ts';
import { categories, fromKafkaRecord, type LmsEvent, toKafkaRecord, topicOf } from '../src/index.ts';

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
