/**
 * The worker thread of `KafkaSink`: owns the wire producer, appends the items it is handed in order
 * (partitioning and encoding them) and sends every `batchSize` items, keeping two sends pending at most.
 * A chunk is answered `taken` once appended; any failure is answered `error` and ends the run.
 */
import { parentPort } from 'node:worker_threads';
import type { Category } from '@ula/core/events/envelope';
import { eventRecord, type SinkWorkerReply, type SinkWorkerRequest } from './kafka.ts';
import { WireProducer } from './kafka-producer.ts';

const port = parentPort!;
const reply = (message: SinkWorkerReply) => port.postMessage(message);

let producer: WireProducer | undefined;
let batchSize = 8000;
let appended = 0;
let batches = 0;
let pending: Promise<void>[] = [];
let failed = false;

/** Sends what was appended after the send before; waits for that one, so two are pending at most. */
async function send(): Promise<void> {
  appended = 0;
  batches++;
  const sending = producer!.send();
  sending.catch(() => undefined);
  pending.push(sending);
  if (pending.length > 1) await pending.shift();
}

async function handle(request: SinkWorkerRequest): Promise<void> {
  if (request.type === 'open') {
    batchSize = request.batchSize;
    producer = await WireProducer.connect({
      brokers: request.brokers,
      security: request.security,
      clientId: request.clientId,
      ...(request.attempts !== undefined ? { attempts: request.attempts } : {}),
    });
    await producer.prepare(request.topics);
    reply({ type: 'ready' });
  } else if (request.type === 'records') {
    const r = request.records;
    for (let i = 0; i < r.length; ) {
      if (r[i] === 0) {
        producer!.append(
          r[i + 1] as string,
          eventRecord(
            r[i + 2] as Category,
            r[i + 3] as string,
            r[i + 4] as string,
            r[i + 5] as string,
            r[i + 6] as string,
            r[i + 7] as string,
            r[i + 8] as string,
          ),
        );
        i += 9;
      } else {
        producer!.append(r[i + 1] as string, {
          key: r[i + 2] as string,
          value: r[i + 3] as string,
          headers: r[i + 4] as Record<string, string>,
        });
        i += 5;
      }
      if (++appended >= batchSize) await send();
    }
    reply({ type: 'taken' });
  } else {
    if (appended > 0) await send();
    const all = pending;
    pending = [];
    await Promise.all(all);
    reply({ type: 'flushed', batches });
  }
}

// One request at a time, in order: a chunk is appended only after the ones before it.
let queue = Promise.resolve();
port.on('message', (request: SinkWorkerRequest) => {
  queue = queue.then(async () => {
    if (failed) return;
    try {
      await handle(request);
    } catch (error) {
      failed = true;
      producer?.close();
      reply({ type: 'error', message: (error as Error).message });
    }
  });
});
