import { describe, expect, it } from 'vitest';
import { produceRequests } from '../src/adapters/event-sink-kafka.ts';
import type { LmsKafkaRecord } from '../src/events/cloudevents.ts';

const record = (topic: string, n: number, valueBytes = 300): LmsKafkaRecord => ({
  topic,
  key: `user-${n % 7}`,
  value: JSON.stringify({ n, pad: 'x'.repeat(valueBytes) }),
  headers: { ce_id: `id-${n}`, ce_type: 'test.event', ce_specversion: '1.0' },
  timestamp: String(Date.UTC(2030, 0, 1) + n),
});

const requestBytes = (request: ReturnType<typeof produceRequests>[number]) =>
  request.flatMap((t) => t.messages).reduce((sum, m) => sum + m.value.length, 0);

describe('KafkaEventSink produce requests', () => {
  it('cuts a large flush into requests under the byte bound, every record once, in order per topic', () => {
    const records = Array.from({ length: 6400 }, (_, n) =>
      record(n % 3 === 0 ? 'auth_topic' : 'video_topic', n),
    );
    const maxBytes = 256 * 1024;
    const requests = produceRequests(records, maxBytes);
    expect(requests.length).toBeGreaterThan(1);
    for (const request of requests) expect(requestBytes(request)).toBeLessThanOrEqual(maxBytes);
    for (const topic of ['auth_topic', 'video_topic']) {
      const sent = requests.flatMap((r) => r.filter((t) => t.topic === topic).flatMap((t) => t.messages));
      const expected = records
        .filter((r) => r.topic === topic)
        .map(({ topic: _topic, ...message }) => message);
      expect(sent).toEqual(expected);
    }
  });

  it('sends a small flush as one request, and a record over the bound alone in its own', () => {
    expect(produceRequests([record('auth_topic', 1), record('course_topic', 2)], 64 * 1024)).toHaveLength(1);
    const big = record('auth_topic', 3, 100_000);
    const requests = produceRequests([record('auth_topic', 1), big, record('auth_topic', 2)], 50_000);
    expect(requests.map((r) => r.flatMap((t) => t.messages).map((m) => m.headers['ce_id']))).toEqual([
      ['id-1'],
      ['id-3'],
      ['id-2'],
    ]);
  });

  it('sends nothing for no records', () => {
    expect(produceRequests([], 1024)).toEqual([]);
  });
});
