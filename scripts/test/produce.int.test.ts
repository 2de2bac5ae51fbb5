/**
 * `npm run produce` with `--producers 2` against the real broker (ULA_KAFKA_BROKERS, default
 * 127.0.0.1:9092): two producer processes send exactly the items one in-process backfill generates, each
 * once, and every key's records reach their partition in generation order.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type ConsumedRecord, endOffsets, kafkaKeyOf, readRecords } from '@ula/tools/adapters/kafka';
import { backfill, createUniversity, type GeneratedItem } from '@ula/tools/generator/index';
import { beforeAll, describe, expect, it } from 'vitest';
import { categories, topicOf } from '../../functions/core/src/events/envelope.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const brokers = process.env['ULA_KAFKA_BROKERS'] ?? '127.0.0.1:9092';
const topics = categories.map(topicOf);
// A fresh seed per run, so that earlier runs' records on the topics cannot be mistaken for this run's.
const seed = `produce-int-${Date.now()}`;
const end = new Date(Date.now() - 3_600_000).toISOString();
const shape = { students: 120, teachers: 6, courses: 12 };
const options = { days: 1, end, malformedRate: 0.02, limit: 4000 };
const idOf = (item: GeneratedItem) => (item.kind === 'event' ? item.event.id : item.record.attributes['id']!);
const topicOfItem = (item: GeneratedItem) =>
  topicOf(item.kind === 'event' ? item.event.category : item.record.category);

describe('produce CLI with parallel producers (real broker)', () => {
  const expected = [...backfill(createUniversity({ seed, ...shape }), options)];
  let records: ConsumedRecord[] = [];
  let stdout = '';

  beforeAll(async () => {
    const from = await endOffsets(brokers.split(','), topics);
    const args = [
      ...['scripts/produce.ts', '--sink', 'kafka', '--brokers', brokers, '--producers', '2', '--quiet'],
      ...['--seed', seed, '--students', String(shape.students), '--teachers', String(shape.teachers)],
      ...['--courses', String(shape.courses), '--days', '1', '--end', end, '--malformed-rate', '0.02'],
      ...['--limit', String(options.limit)],
    ];
    ({ stdout } = await promisify(execFile)(join(root, 'node_modules/.bin/tsx'), args, { cwd: root }));
    const wanted = new Set(expected.map(idOf));
    let seen = 0;
    records = await readRecords({
      brokers: brokers.split(','),
      from,
      timeoutMs: 60_000,
      done: (list) => {
        for (; seen < list.length; seen++) wanted.delete(list[seen]!.headers['ce_id'] ?? '');
        return wanted.size === 0;
      },
    });
  });

  it('sends every generated item once, on its topic and key', () => {
    expect(expected.some((i) => i.kind === 'malformed')).toBe(true);
    const ours = new Set(expected.map(idOf));
    const received = records.filter((r) => ours.has(r.headers['ce_id'] ?? ''));
    expect(received).toHaveLength(expected.length);
    const byId = new Map(received.map((r) => [r.headers['ce_id'], r]));
    for (const item of expected) {
      const record = byId.get(idOf(item));
      expect(record, idOf(item)).toBeDefined();
      expect(record!.topic).toBe(topicOfItem(item));
      expect(record!.key).toBe(kafkaKeyOf(item));
    }
    expect(stdout).toMatch(
      new RegExp(`produced ${expected.length.toLocaleString('en-US')} items .* 2 producers`),
    );
  });

  it("keeps each key's records in generation order on its partition", () => {
    const offsetOf = new Map(records.map((r) => [r.headers['ce_id'], BigInt(r.offset)]));
    const lastOffset = new Map<string, bigint>();
    for (const item of expected) {
      const stream = `${topicOfItem(item)}/${kafkaKeyOf(item)}`;
      const offset = offsetOf.get(idOf(item))!;
      const previous = lastOffset.get(stream);
      if (previous !== undefined) expect(offset > previous, stream).toBe(true);
      lastOffset.set(stream, offset);
    }
  });
});
