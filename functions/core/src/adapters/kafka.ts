/**
 * Kafka adapter for producing LMS events (kafkajs): binary-mode CloudEvents on the category topics,
 * key = user id, through an idempotent producer that sends large batches with one request in flight
 * (kafkajs' requirement for the idempotent producer to keep per-partition order and sequence numbers).
 * Also a small consumer helper for tests and tools.
 */
import {
  type IHeaders,
  Kafka,
  type KafkaMessage,
  logLevel,
  type Message,
  Partitioners,
  type Producer,
} from 'kafkajs';
import {
  type Category,
  cloudEventSource,
  cloudEventType,
  type LmsEvent,
  topicOf,
} from '../events/envelope.ts';
import type { GeneratedItem, MalformedRecord } from '../generator/output.ts';

/**
 * The Kafka message of an event in binary mode: the same headers, key and value as `toKafkaRecord`
 * (which goes through the CloudEvents SDK), built directly because this is the producer's hot path.
 */
export function kafkaMessageOf(event: LmsEvent): Message {
  return {
    key: event.data.user_id,
    value: JSON.stringify(event.data),
    timestamp: String(Date.parse(event.time)),
    headers: {
      'content-type': 'application/json',
      ce_id: event.id,
      ce_time: event.time,
      ce_type: cloudEventType(event.category, event.eventType),
      ce_source: cloudEventSource(event.category),
      ce_specversion: '1.0',
      ce_datacontenttype: 'application/json',
      ce_subject: event.data.user_id,
    },
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
export function kafkaMessageOfMalformed(record: MalformedRecord): Message {
  const headers: IHeaders = { 'content-type': 'application/json' };
  for (const [name, value] of Object.entries(record.attributes)) headers[`ce_${name}`] = value;
  return { key: record.key, value: record.body, headers };
}

export interface KafkaSinkOptions {
  brokers: string[];
  clientId?: string;
  /** Messages per `sendBatch` call across all topics (default 4,000). */
  batchSize?: number;
  /**
   * Bytes buffered for one topic before sending (default 768 KiB): a partition's record batch must stay
   * under the broker's `message.max.bytes` (1 MiB by default) even when the topic has one partition.
   */
  maxTopicBytes?: number;
  logLevel?: logLevel;
  /** Topic of a category (default the reference topics, `<category>_topic`); benchmarks use their own. */
  topicOf?: (category: Category) => string;
}

/** Buffers generated items per topic and sends them in batches; at most one batch in flight. */
export class KafkaSink {
  readonly counts = { events: 0, malformed: 0, batches: 0 };
  private readonly batchSize: number;
  private buffer = new Map<string, { messages: Message[]; bytes: number }>();
  private readonly maxTopicBytes: number;
  private buffered = 0;
  private inFlight: Promise<unknown> | null = null;
  private readonly topicOf: (category: Category) => string;

  private constructor(
    private readonly kafka: Kafka,
    private readonly producer: Producer,
    options: KafkaSinkOptions,
  ) {
    this.batchSize = options.batchSize ?? 4000;
    this.topicOf = options.topicOf ?? topicOf;
    this.maxTopicBytes = options.maxTopicBytes ?? 768 * 1024;
  }

  static async connect(options: KafkaSinkOptions): Promise<KafkaSink> {
    const kafka = new Kafka({
      clientId: options.clientId ?? 'ula-producer',
      brokers: options.brokers,
      logLevel: options.logLevel ?? logLevel.WARN,
    });
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    try {
      await producer.connect();
    } catch (error) {
      throw new Error(
        `cannot connect to Kafka at ${options.brokers.join(',')} (${(error as Error).message}); ` +
          'start the local stack with `npm run stack:up` or set ULA_KAFKA_BROKERS',
      );
    }
    return new KafkaSink(kafka, producer, options);
  }

  /** Queues one item; resolves at once unless a full batch had to wait for the previous send. */
  write(item: GeneratedItem): Promise<void> | undefined {
    let topic: string;
    let message: Message;
    if (item.kind === 'event') {
      topic = this.topicOf(item.event.category);
      message = kafkaMessageOf(item.event);
      this.counts.events++;
    } else {
      topic = this.topicOf(item.record.category);
      message = kafkaMessageOfMalformed(item.record);
      this.counts.malformed++;
    }
    let list = this.buffer.get(topic);
    if (list === undefined) {
      list = { messages: [], bytes: 0 };
      this.buffer.set(topic, list);
    }
    list.messages.push(message);
    // Value + key + headers (about 300 bytes of ce_* headers) + record overhead.
    list.bytes += (message.value as string).length + 360;
    if (++this.buffered >= this.batchSize || list.bytes >= this.maxTopicBytes) return this.send();
    return undefined;
  }

  /** Starts sending what is buffered once the previous batch is acknowledged. */
  private async send(): Promise<void> {
    if (this.inFlight !== null) await this.inFlight;
    if (this.buffered === 0) return;
    const topicMessages = [...this.buffer].map(([topic, { messages }]) => ({ topic, messages }));
    this.buffer = new Map();
    this.buffered = 0;
    this.counts.batches++;
    const sending = this.producer.sendBatch({ topicMessages, acks: -1 });
    this.inFlight = sending;
    sending.catch(() => undefined);
  }

  /** Sends everything buffered and waits for the acknowledgements. */
  async flush(): Promise<void> {
    await this.send();
    if (this.inFlight !== null) {
      const last = this.inFlight;
      this.inFlight = null;
      await last;
    }
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.producer.disconnect();
    }
  }

  /** The kafkajs client, e.g. for an admin connection. */
  get client(): Kafka {
    return this.kafka;
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
