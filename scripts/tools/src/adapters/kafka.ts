/**
 * Kafka adapter: the generator's sink (binary-mode CloudEvents on the category topics, key = user id)
 * through the idempotent wire-protocol producer of kafka-producer.ts, run in a worker thread
 * (kafka-sink-worker.ts), and kafkajs helpers to read topics back for tests and tools.
 */
import { Worker } from 'node:worker_threads';
import { kafkaClientOf } from '@ula/core/adapters/kafka-client';
import { loadKafkaConnection } from '@ula/core/config';
import {
  type Category,
  categories,
  cloudEventSource,
  cloudEventType,
  type LmsEvent,
  topicOf,
} from '@ula/core/events/envelope';
import type { KafkaMessage } from 'kafkajs';
import type { GeneratedItem, MalformedRecord } from '../generator/output.ts';
import { type WireSecurity, wireSecurityOf } from './kafka-sasl.ts';
import { type EncodedHeaders, encodeHeaders, type ProducerMessage } from './kafka-wire.ts';

/**
 * The headers every event of a category and type shares, as values and encoded once for the producer:
 * only `ce_id`, `ce_time` and `ce_subject` differ from one event to the next.
 */
const sharedHeaders = new Map<Category, Map<string, SharedHeaders>>();
interface SharedHeaders {
  values: Record<string, string>;
  encoded: EncodedHeaders;
}
function sharedHeadersOf(category: Category, eventType: string): SharedHeaders {
  let types = sharedHeaders.get(category);
  if (types === undefined) {
    types = new Map();
    sharedHeaders.set(category, types);
  }
  let shared = types.get(eventType);
  if (shared === undefined) {
    const values = {
      'content-type': 'application/json',
      ce_type: cloudEventType(category, eventType),
      ce_source: cloudEventSource(category),
      ce_specversion: '1.0',
      ce_datacontenttype: 'application/json',
    };
    shared = { values, encoded: encodeHeaders(values) };
    types.set(eventType, shared);
  }
  return shared;
}

/**
 * The Kafka message of an event in binary mode: the same headers, key and value as `toKafkaRecord`
 * (which goes through the CloudEvents SDK), built directly because this is the producer's hot path.
 */
export function kafkaMessageOf(event: LmsEvent): ProducerMessage {
  const { key, value, timestamp, headers } = kafkaRecordOf(event);
  return {
    key,
    value,
    timestamp,
    headers: { ...sharedHeadersOf(event.category, event.eventType).values, ...headers },
  };
}

/** `kafkaMessageOf` as the sink sends it: the headers events share come encoded already. */
const kafkaRecordOf = (event: LmsEvent) => eventRecord(...eventParts(event));

/** An event's fields in `eventRecord`'s order: what the sink hands its worker thread. */
const eventParts = (e: LmsEvent) =>
  [
    e.category,
    e.eventType,
    e.data.user_id,
    JSON.stringify(e.data),
    String(Date.parse(e.time)),
    e.id,
    e.time,
  ] as const;

/** The record of an event from its parts (the sink's worker receives the parts, not the event). */
export function eventRecord(
  category: Category,
  eventType: string,
  userId: string,
  value: string,
  timestamp: string,
  id: string,
  time: string,
): ProducerMessage & { timestamp: string } {
  return {
    key: userId,
    value,
    timestamp,
    headers: { ce_id: id, ce_time: time, ce_subject: userId },
    sharedHeaders: sharedHeadersOf(category, eventType).encoded,
  };
}

/** The Kafka key of a generated item: an event's user id, a malformed record's own key. */
export const kafkaKeyOf = (item: GeneratedItem): string =>
  item.kind === 'event' ? item.event.data.user_id : item.record.key;

/**
 * Which of `producers` parallel producers sends an item, by its key (FNV-1a): every record of a key comes
 * from one producer in generation order, so each partition sees a key's records in the order one producer
 * would have sent them.
 */
export function producerOf(item: GeneratedItem, producers: number): number {
  const key = kafkaKeyOf(item);
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % producers;
}

/** A malformed record as written raw to its category topic: its attributes as `ce_*` headers. */
export function kafkaMessageOfMalformed(record: MalformedRecord): ProducerMessage {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [name, value] of Object.entries(record.attributes)) headers[`ce_${name}`] = value;
  return { key: record.key, value: record.body, headers };
}

export interface KafkaSinkOptions {
  brokers: string[];
  /** TLS and SASL (default: the ULA_KAFKA_* settings of the environment, kafka-sasl.ts wireSecurityOf). */
  security?: WireSecurity;
  clientId?: string;
  /** Messages per send across all topics (default 8,000). */
  batchSize?: number;
  /** Attempts per Kafka request before the run fails (default 8, backoff 0.1 → 2 s). */
  attempts?: number;
  /** Topic of a category (default the older system's topics, `<category>_topic`: docs/architecture.md#the-older-system); benchmarks use their own. */
  topicOf?: (category: Category) => string;
}

/** Items per message to the sink's worker. */
const chunkItems = 1024;
/** Chunks handed to the worker and not yet taken before `write` waits. */
const chunksAhead = 16;

/**
 * Produces generated items through a worker thread (kafka-sink-worker.ts) that owns the producer: this
 * thread simulates and serialises (`JSON.stringify`, the timestamp), the worker partitions, encodes and
 * sends, so the two share the work on two cores. Items go over in chunks of 1,024, in order, as flat
 * arrays of strings. The worker sends every `batchSize` items with two sends pending at most, and takes
 * a chunk only when it can append it, so a slow broker holds `write` back.
 */
export class KafkaSink {
  readonly counts = { events: 0, malformed: 0, batches: 0 };
  private chunk: unknown[] = [];
  private items = 0;
  private ahead = 0;
  private readonly waiting: (() => void)[] = [];
  private failure: Error | undefined;
  private flushed: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private closing = false;
  /** Topic per category, named once (a fresh string per record would be hashed again by every lookup). */
  private readonly topics: Map<Category, string>;

  private constructor(
    private readonly worker: Worker,
    topics: Map<Category, string>,
  ) {
    this.topics = topics;
    worker.on('message', (message: SinkWorkerReply) => this.onReply(message));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`the Kafka sink's worker thread exited (code ${code})`));
    });
  }

  static async connect(options: KafkaSinkOptions): Promise<KafkaSink> {
    const topicOfCategory = options.topicOf ?? topicOf;
    const topics = new Map(categories.map((c) => [c, topicOfCategory(c)]));
    const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), {
      workerData: { entry: new URL('./kafka-sink-worker.ts', import.meta.url).href },
    });
    const open: SinkWorkerRequest = {
      type: 'open',
      brokers: options.brokers,
      security: options.security ?? wireSecurityOf(loadKafkaConnection(process.env, options.brokers)),
      clientId: options.clientId ?? 'ula-producer',
      topics: [...topics.values()],
      batchSize: options.batchSize ?? 8000,
      ...(options.attempts !== undefined ? { attempts: options.attempts } : {}),
    };
    worker.postMessage(open);
    const reply = await new Promise<SinkWorkerReply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    }).catch((error: Error): SinkWorkerReply => ({ type: 'error', message: error.message }));
    if (reply.type !== 'ready') {
      await worker.terminate();
      throw new Error(
        `cannot connect to Kafka at ${options.brokers.join(',')} (${reply.type === 'error' ? reply.message : reply.type}); ` +
          'start the local stack with `npm run stack:up` or set ULA_KAFKA_BROKERS',
      );
    }
    return new KafkaSink(worker, topics);
  }

  /** Queues one item; returns a promise to await when the worker is behind (or has failed). */
  write(item: GeneratedItem): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    const chunk = this.chunk;
    if (item.kind === 'event') {
      chunk.push(0, this.topics.get(item.event.category), ...eventParts(item.event));
      this.counts.events++;
    } else {
      const m = kafkaMessageOfMalformed(item.record);
      chunk.push(1, this.topics.get(item.record.category), m.key, m.value, m.headers);
      this.counts.malformed++;
    }
    if (++this.items < chunkItems) return undefined;
    this.post();
    if (this.ahead <= chunksAhead) return undefined;
    return new Promise<void>((resolve) => this.waiting.push(resolve)).then(() => {
      if (this.failure) throw this.failure;
    });
  }

  /** Sends everything written and waits for the acknowledgements. */
  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.items > 0) this.post();
    await new Promise<void>((resolve, reject) => {
      this.flushed = { resolve, reject };
      this.request({ type: 'flush' });
    });
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.closing = true;
      await this.worker.terminate();
    }
  }

  private post(): void {
    this.request({ type: 'records', records: this.chunk });
    this.chunk = [];
    this.items = 0;
    this.ahead++;
  }

  private request(message: SinkWorkerRequest): void {
    this.worker.postMessage(message);
  }

  private onReply(reply: SinkWorkerReply): void {
    if (reply.type === 'taken') {
      this.ahead--;
      this.waiting.shift()?.();
    } else if (reply.type === 'flushed') {
      this.counts.batches = reply.batches;
      this.flushed?.resolve();
      this.flushed = undefined;
    } else if (reply.type === 'error') {
      this.fail(new Error(reply.message));
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const resume of this.waiting.splice(0)) resume();
    this.flushed?.reject(this.failure);
    this.flushed = undefined;
  }
}

/** Messages to the sink's worker. */
export type SinkWorkerRequest =
  | {
      type: 'open';
      brokers: string[];
      security: WireSecurity;
      clientId: string;
      topics: string[];
      batchSize: number;
      attempts?: number;
    }
  /** Items, flat: `0, topic, category, eventType, userId, value, timestamp, id, time` per event, `1, topic, key, value, headers` per malformed record. */
  | { type: 'records'; records: unknown[] }
  | { type: 'flush' };

/** Replies of the sink's worker. */
export type SinkWorkerReply =
  | { type: 'ready' }
  | { type: 'taken' }
  | { type: 'flushed'; batches: number }
  | { type: 'error'; message: string };

/** A consumed record with headers decoded to strings. */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

const decodeHeaders = (headers: KafkaMessage['headers']): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    out[name] = (Array.isArray(value) ? value[0] : value)?.toString() ?? '';
  }
  return out;
};

/** The current end offset of every partition of the topics (where new records will land). */
export async function endOffsets(
  brokers: string[],
  topics: string[],
): Promise<Map<string, { partition: number; offset: string }[]>> {
  const admin = kafkaClientOf(brokers, 'ula-offsets').admin();
  await admin.connect();
  try {
    const out = new Map<string, { partition: number; offset: string }[]>();
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      out.set(
        topic,
        offsets.map((o) => ({ partition: o.partition, offset: o.offset })),
      );
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads records from the given start offsets until `done(records)` says so or the timeout passes
 * (then returns what it has). A throwaway consumer group; nothing is committed.
 */
export async function readRecords(options: {
  brokers: string[];
  from: Map<string, { partition: number; offset: string }[]>;
  done: (records: ConsumedRecord[]) => boolean;
  timeoutMs?: number;
}): Promise<ConsumedRecord[]> {
  const kafka = kafkaClientOf(options.brokers, 'ula-reader');
  const consumer = kafka.consumer({ groupId: `ula-reader-${process.pid}-${Date.now()}` });
  const records: ConsumedRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...options.from.keys()], fromBeginning: true });
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const timer = setTimeout(finish, options.timeoutMs ?? 60_000);
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          records.push({
            topic: batch.topic,
            partition: batch.partition,
            offset: m.offset,
            key: m.key?.toString() ?? null,
            value: m.value?.toString() ?? null,
            headers: decodeHeaders(m.headers),
          });
        }
        if (options.done(records)) finish();
      },
    });
    for (const [topic, partitions] of options.from) {
      for (const p of partitions) consumer.seek({ topic, partition: p.partition, offset: p.offset });
    }
    await finished;
    clearTimeout(timer);
    return records;
  } finally {
    await consumer.disconnect();
  }
}
