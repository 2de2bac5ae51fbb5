/**
 * The wire-protocol producer's encoding, checked against independent implementations: a bitwise CRC-32C,
 * kafkajs' default partitioner (the Java client's murmur2) and kafkajs' record batch decoder.
 */
import { createRequire } from 'node:module';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { WireProducer } from '../src/adapters/kafka-producer.ts';
import {
  encodeHeaders,
  encodeRecordBatch,
  type ProducerMessage,
  partitionOfKey,
} from '../src/adapters/kafka-wire.ts';

const require = createRequire(import.meta.url);
const KafkaDecoder = require('kafkajs/src/protocol/decoder');
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder');

/** CRC-32C one bit at a time, straight from the definition (reflected polynomial 0x82F63B78). */
function bitwiseCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const pseudoRandom = (seed: number) => () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 2 ** 32;
};

describe('Kafka wire encoding', () => {
  it('partitions keys as kafkajs and the Java client do (murmur2)', () => {
    const partitioner = Partitioners.DefaultPartitioner();
    const rnd = pseudoRandom(11);
    const keys = [
      ...Array.from({ length: 500 }, (_, i) => `student_${i}`),
      ...Array.from({ length: 300 }, () =>
        Math.random()
          .toString(36)
          .slice(2, 2 + Math.floor(rnd() * 12)),
      ),
      'Nguyễn Văn Ánh',
      '',
    ];
    for (const partitions of [1, 3, 5, 12]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({
        partitionId: i,
        leader: 0,
        replicas: [0],
        isr: [0],
        partitionErrorCode: 0,
      }));
      for (const key of keys) {
        expect(partitionOfKey(key, partitions), key).toBe(
          partitioner({ topic: 't', partitionMetadata, message: { key, value: 'v' } }),
        );
      }
    }
  });

  it('encodes record batches that kafkajs decodes back to the same records, with a valid CRC', async () => {
    const base = Date.parse('2025-09-22T00:00:00Z');
    const messages: ProducerMessage[] = [
      {
        key: 'u1',
        value: '{"a":1}',
        timestamp: String(base),
        headers: { ce_id: 'x', 'content-type': 'a/b' },
      },
      // Non-ASCII (the length prefix is moved), a body over 8 KiB (a 3-byte record length), no key.
      { key: 'Nguyễn', value: `"${'é'.repeat(30)}"`, timestamp: String(base - 5_000), headers: {} },
      { key: null, value: 'v'.repeat(9_000), timestamp: String(base + 3_000_000_000), headers: { h: 'ü' } },
      // Headers encoded beforehand, then the record's own.
      {
        key: 'u2',
        value: '{}',
        timestamp: String(base + 1),
        headers: { ce_id: 'y' },
        sharedHeaders: encodeHeaders({ ce_type: 'edu.lms.auth.login', 'content-type': 'application/json' }),
      },
      ...Array.from({ length: 300 }, (_, i) => ({
        key: `k${i}`,
        value: JSON.stringify({ i, name: i % 7 === 0 ? 'Trần Thị Ý' : 'ascii' }),
        timestamp: String(base + i),
        headers: { ce_id: `id-${i}`, ce_type: 'edu.lms.video.video_watched' },
      })),
    ];
    const bytes = encodeRecordBatch(messages, { producerId: 4242n, producerEpoch: 3 }, 17);
    // Length, and the CRC over everything after it (attributes onwards).
    expect(bytes.readInt32BE(8)).toBe(bytes.length - 12);
    expect(bytes.readUInt32BE(17)).toBe(bitwiseCrc32c(bytes.subarray(21)));
    expect(bytes.readBigInt64BE(43)).toBe(4242n);
    expect(bytes.readInt16BE(51)).toBe(3);
    expect(bytes.readInt32BE(53)).toBe(17);

    const batch = await decodeRecordBatch(new KafkaDecoder(bytes));
    expect(batch.firstOffset).toBe('0');
    expect(batch.records).toHaveLength(messages.length);
    batch.records.forEach(
      (
        r: {
          key: Buffer | null;
          value: Buffer;
          timestamp: string;
          offset: string;
          headers: Record<string, Buffer>;
        },
        i: number,
      ) => {
        const m = messages[i]!;
        expect(r.key?.toString() ?? null).toBe(m.key);
        expect(r.value.toString()).toBe(m.value);
        expect(r.timestamp).toBe(m.timestamp);
        expect(r.offset).toBe(String(i));
        const headers = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, v.toString()]));
        const shared = m.sharedHeaders
          ? { ce_type: 'edu.lms.auth.login', 'content-type': 'application/json' }
          : {};
        expect(headers).toEqual({ ...shared, ...m.headers });
      },
    );
  });

  it('fails loudly, naming the broker and the cause, when no broker answers', async () => {
    await expect(WireProducer.connect({ brokers: ['127.0.0.1:1'], attempts: 2 })).rejects.toThrow(
      /metadata failed after 2 attempts: 127\.0\.0\.1:1: connect ECONNREFUSED/,
    );
  });
});
