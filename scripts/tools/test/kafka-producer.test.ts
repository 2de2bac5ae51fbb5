/**
 * The producer's resend path, on the wire: a scripted broker on a loopback socket drops the connection
 * instead of answering the first Produce, and the test checks what the producer sends next (the same
 * batch, same producer id and sequence) and that it then carries on. That the real broker stores such a
 * resent batch once is checked in kafka.int.test.ts.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaSink } from '../src/adapters/kafka.ts';
import { WireProducer } from '../src/adapters/kafka-producer.ts';
import { apiKeys, Reader, Writer } from '../src/adapters/kafka-wire.ts';

interface ProduceSeen {
  connection: number;
  producerId: bigint;
  baseSequence: number;
  records: number;
}

/** Answers Metadata and InitProducerId; for Produce, `answer(n)` says whether to answer the n-th one. */
function scriptedBroker(answer: (n: number) => boolean) {
  const produced: ProduceSeen[] = [];
  let connections = 0;
  const server = net.createServer((socket) => {
    const connection = ++connections;
    let pending = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const frame = pending.subarray(4, 4 + pending.readInt32BE(0));
        pending = pending.subarray(4 + frame.length);
        const r = new Reader(frame);
        const apiKey = r.int16();
        r.int16(); // version
        const correlation = r.int32();
        r.string(); // client id
        const body = new Writer(256);
        if (apiKey === apiKeys.metadata) {
          const { port } = server.address() as net.AddressInfo;
          body.int32(0).int32(1).int32(0).string('127.0.0.1').int32(port).string(null);
          body.string('cluster').int32(0);
          body.int32(1).int16(0).string('t').int8(0);
          body.int32(1).int16(0).int32(0).int32(0).int32(1).int32(0).int32(1).int32(0).int32(0);
        } else if (apiKey === apiKeys.initProducerId) {
          body.int32(0).int16(0).int64(7n).int16(0);
        } else if (apiKey === apiKeys.produce) {
          r.string(); // transactional id
          r.int16(); // acks
          r.int32(); // timeout
          r.int32(); // topics
          const topic = r.string();
          r.int32(); // partitions
          const partition = r.int32();
          r.int32(); // record set size
          const batchAt = r.pos;
          produced.push({
            connection,
            producerId: frame.readBigInt64BE(batchAt + 43),
            baseSequence: frame.readInt32BE(batchAt + 53),
            records: frame.readInt32BE(batchAt + 57),
          });
          if (!answer(produced.length)) {
            socket.destroy();
            return;
          }
          body.int32(1).string(topic).int32(1).int32(partition).int16(0).int64(0n).int64(-1n).int32(0);
        }
        const header = new Writer(16).int32(body.pos + 4).int32(correlation);
        socket.write(Buffer.concat([header.view(), body.view()]));
      }
    });
  });
  return {
    produced,
    connections: () => connections,
    listen: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () =>
          resolve(`127.0.0.1:${(server.address() as net.AddressInfo).port}`),
        ),
      ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Appends n records to topic t and sends them. */
function send(producer: WireProducer, n: number, from = 0): Promise<void> {
  for (let i = from; i < from + n; i++) {
    producer.append('t', { key: 'u1', value: `{"i":${i}}`, headers: { ce_id: `id-${i}` } });
  }
  return producer.send();
}

describe('wire producer resends', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('resends a batch whose answer was lost with the same producer id and sequence, then goes on', async () => {
    const broker = scriptedBroker((n) => n !== 1);
    close = broker.close;
    const producer = await WireProducer.connect({ brokers: [await broker.listen()] });
    await producer.prepare(['t']);
    await send(producer, 30);
    await send(producer, 20, 30);
    producer.close();
    expect(broker.produced.map(({ connection, ...p }) => p)).toEqual([
      { producerId: 7n, baseSequence: 0, records: 30 },
      { producerId: 7n, baseSequence: 0, records: 30 },
      { producerId: 7n, baseSequence: 30, records: 20 },
    ]);
    // The resend went over a new connection.
    expect(broker.produced[1]!.connection).toBeGreaterThan(broker.produced[0]!.connection);
  });

  it('fails loudly after its attempts when the broker never answers, and fails every later send', async () => {
    const broker = scriptedBroker(() => false);
    close = broker.close;
    const producer = await WireProducer.connect({ brokers: [await broker.listen()], attempts: 3 });
    await producer.prepare(['t']);
    await expect(send(producer, 5)).rejects.toThrow(
      /1 record batches not acknowledged after 3 attempts \(last error: 127\.0\.0\.1:\d+: /,
    );
    expect(broker.produced.map((p) => p.baseSequence)).toEqual([0, 0, 0]);
    await expect(send(producer, 5, 5)).rejects.toThrow(/not acknowledged/);
    producer.close();
  });

  it('the sink (its worker thread) fails loudly, naming the broker and what to do, when Kafka is down', async () => {
    await expect(KafkaSink.connect({ brokers: ['127.0.0.1:1'], attempts: 1 })).rejects.toThrow(
      /cannot connect to Kafka at 127\.0\.0\.1:1 \(.*ECONNREFUSED.*\); start the local stack/,
    );
  });
});
