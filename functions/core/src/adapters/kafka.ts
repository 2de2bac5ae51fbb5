/**
 * Kafka adapter: the generator's sink (binary-mode CloudEvents on the category topics, key = user id)
 * through the idempotent wire-protocol producer of kafka-producer.ts, and kafkajs helpers to read topics
 * back for tests and tools.
 */
import { Kafka, type KafkaMessage, logLevel } from 'kafkajs';
import {
  type Category,
  categories,
  cloudEventSource,
  cloudEventType,
  type LmsEvent,
  topicOf,
} from '../events/envelope.ts';
import type { GeneratedItem, MalformedRecord } from '../generator/output.ts';
import { WireProducer } from './kafka-producer.ts';
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
function kafkaRecordOf(event: LmsEvent): ProducerMessage & { timestamp: string } {
  return {
    key: event.data.user_id,
    value: JSON.stringify(event.data),
    timestamp: String(Date.parse(event.time)),
    headers: { ce_id: event.id, ce_time: event.time, ce_subject: event.data.user_id },
    sharedHeaders: sharedHeadersOf(event.category, event.eventType).encoded,
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
  clientId?: string;
  /** Messages per send across all topics (default 8,000). */
  batchSize?: number;
  /** Topic of a category (default the reference topics, `<category>_topic`); benchmarks use their own. */
  topicOf?: (category: Category) => string;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Hands generated items to the producer (which encodes each into its partition's batch at once) and
 * sends every `batchSize` items; waits for the send before, so at most two are pending.
 */
export class KafkaSink {
  readonly counts = { events: 0, malformed: 0, batches: 0 };
  private readonly batchSize: number;
  private appended = 0;
  private inFlight: Promise<void> | null = null;

  /** Topic per category, named once (a fresh string per record would be hashed again by every lookup). */
  private readonly topics: Map<Category, string>;

  private constructor(
    private readonly producer: WireProducer,
    topicOfCategory: (category: Category) => string,
    options: KafkaSinkOptions,
  ) {
    this.batchSize = options.batchSize ?? 8000;
    this.topics = new Map(categories.map((c) => [c, topicOfCategory(c)]));
  }

  static async connect(options: KafkaSinkOptions): Promise<KafkaSink> {
    const topicOfCategory = options.topicOf ?? topicOf;
    let producer: WireProducer | undefined;
    try {
      producer = await WireProducer.connect({
        brokers: options.brokers,
        ...(options.clientId ? { clientId: options.clientId } : {}),
      });
      const sink = new KafkaSink(producer, topicOfCategory, options);
      await producer.prepare([...sink.topics.values()]);
      return sink;
    } catch (error) {
      producer?.close();
      throw new Error(
        `cannot connect to Kafka at ${options.brokers.join(',')} (${(error as Error).message}); ` +
          'start the local stack with `npm run stack:up` or set ULA_KAFKA_BROKERS',
      );
    }
  }

  /**
   * Queues one item. Returns a promise to await when the caller must wait: for the previous send at a
   * batch boundary, or for one turn of the event loop while a send is in flight.
   */
  write(item: GeneratedItem): Promise<void> | undefined {
    if (item.kind === 'event') {
      this.producer.append(this.topics.get(item.event.category)!, kafkaRecordOf(item.event));
      this.counts.events++;
    } else {
      this.producer.append(this.topics.get(item.record.category)!, kafkaMessageOfMalformed(item.record));
      this.counts.malformed++;
    }
    if (++this.appended >= this.batchSize) return this.send();
    // The caller's loop is synchronous between awaits: every 1,024 items it lets the event loop move the
    // request in flight (a 3 MB request does not fit the socket's buffer) and read its answer. Without
    // this the send waited for the next batch boundary: 27 % of a backfill was spent waiting on acks.
    if ((this.appended & 1023) === 0 && this.inFlight !== null) return yieldToEventLoop();
    return undefined;
  }

  /** Sends what was appended after the send before, and waits for that one. */
  private async send(): Promise<void> {
    if (this.appended === 0) return;
    this.appended = 0;
    this.counts.batches++;
    const previous = this.inFlight;
    const sending = this.producer.send();
    sending.catch(() => undefined);
    this.inFlight = sending;
    if (previous !== null) await previous;
  }

  /** Sends everything appended and waits for the acknowledgements. */
  async flush(): Promise<void> {
    await this.send();
    const last = this.inFlight;
    this.inFlight = null;
    if (last !== null) await last;
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.producer.close();
    }
  }
}

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
  const admin = new Kafka({ clientId: 'ula-offsets', brokers, logLevel: logLevel.WARN }).admin();
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
  const kafka = new Kafka({ clientId: 'ula-reader', brokers: options.brokers, logLevel: logLevel.WARN });
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
