import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCloudEvent, toHttpBinary, toKafkaRecord, validateEvent } from '@ula/core';
import { afterAll, describe, expect, it } from 'vitest';
import { HttpSink, httpBinaryOf } from '../src/adapters/http-sink.ts';
import { kafkaKeyOf, kafkaMessageOf, kafkaMessageOfMalformed, producerOf } from '../src/adapters/kafka.ts';
import { NdjsonSink } from '../src/adapters/ndjson.ts';
import { backfill, createUniversity, type GeneratedItem } from '../src/generator/index.ts';

const university = createUniversity({ seed: 'sinks', students: 80, teachers: 4, courses: 8 });
const items: GeneratedItem[] = [
  ...backfill(university, { days: 1, end: '2025-09-10T00:00:00.000Z', malformedRate: 0.05, limit: 1500 }),
];
const events = items.flatMap((i) => (i.kind === 'event' ? [i.event] : []));
const dir = mkdtempSync(join(tmpdir(), 'ula-sinks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('generator sinks', () => {
  it('NDJSON: one structured CloudEvent per line that validates back to the event; malformed lines are rejected', () => {
    const path = join(dir, 'events.ndjson');
    const sink = new NdjsonSink(path, { chunkBytes: 4096 });
    for (const item of items) sink.write(item);
    sink.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(items.length);
    lines.forEach((line, i) => {
      const item = items[i]!;
      if (item.kind === 'event') {
        const parsed = JSON.parse(line);
        expect(parsed).toMatchObject({ specversion: '1.0', datacontenttype: 'application/json' });
        expect(validateEvent(parsed)).toEqual(item.event);
      } else {
        expect(() => validateEvent(JSON.parse(line)), item.defect).toThrow();
      }
    });
  });

  it('Kafka and HTTP binary mode built directly equal the CloudEvents SDK mapping', () => {
    for (const event of events.slice(0, 300)) {
      const record = toKafkaRecord(event);
      expect(kafkaMessageOf(event)).toEqual({
        key: record.key,
        value: record.value,
        headers: record.headers,
        timestamp: record.timestamp,
      });
      const message = toHttpBinary(event);
      expect(httpBinaryOf(event)).toEqual({ headers: message.headers, body: message.body });
    }
    const malformed = items.find((i) => i.kind === 'malformed');
    if (malformed?.kind === 'malformed') {
      expect(kafkaMessageOfMalformed(malformed.record).headers).toMatchObject({
        ce_id: malformed.record.attributes['id'],
      });
    }
  });

  it('parallel Kafka producers: each key belongs to exactly one producer, and the shares are balanced', () => {
    for (const producers of [2, 3]) {
      const ownerOfKey = new Map<string, number>();
      const shares = new Array<number>(producers).fill(0);
      for (const item of items) {
        const owner = producerOf(item, producers);
        expect(Number.isInteger(owner) && owner >= 0 && owner < producers).toBe(true);
        const key = kafkaKeyOf(item);
        expect(key).toBe(item.kind === 'event' ? kafkaMessageOf(item.event).key : item.record.key);
        expect(ownerOfKey.get(key) ?? owner, key).toBe(owner);
        ownerOfKey.set(key, owner);
        shares[owner]!++;
      }
      for (const share of shares) expect(share / items.length).toBeGreaterThan(0.5 / producers);
    }
  });

  it('HTTP: posts every item as a binary CloudEvent; the receiver accepts events and rejects malformed ones', async () => {
    const received: string[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          const event = validateEvent(
            decodeCloudEvent({ headers: req.headers, body: Buffer.concat(chunks) }),
          );
          received.push(event.id);
          res.writeHead(202).end();
        } catch (error) {
          res.writeHead(400).end(String(error));
        }
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const sink = new HttpSink({ url: `http://127.0.0.1:${port}/`, concurrency: 8 });
    for (const item of items.slice(0, 400)) await sink.write(item);
    await sink.close();
    server.close();
    const sent = items.slice(0, 400);
    const good = sent.filter((i) => i.kind === 'event').length;
    expect(sink.counts).toMatchObject({
      accepted: good,
      rejectedMalformed: sent.length - good,
      rejectedValid: 0,
      acceptedMalformed: 0,
      failed: 0,
    });
    expect(received).toHaveLength(good);
  });
});
