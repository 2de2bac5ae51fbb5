/**
 * Events straight into Kafka's category topics (the local stack, where no KafkaSink runs): kafkajs with an
 * idempotent producer and acks from every in-sync replica, records in the same binary mode as every
 * producer of the project (events/cloudevents.ts toKafkaRecord: `ce_*` headers, key = user id).
 *
 * A flush's events go in as few produce requests as fit the broker's limit: kafkajs puts every record of a
 * partition in one record batch, and a batch over the broker's `message.max.bytes` (1 MiB by default) is
 * refused whole — a flush of 6,400 events did that. Requests are cut at `maxRequestBytes` of records and
 * sent one after the other (the producer allows one in flight). After a failed send the producer is
 * replaced: kafkajs's idempotent producer can be left with sequence numbers the broker refuses for every
 * later send ("out of order sequence number"); the resend of the flush may then write an event twice,
 * which the event ids make harmless downstream.
 */
import { Kafka, Partitioners, type Producer } from 'kafkajs';
import type { KafkaConnection } from '../config.ts';
import { type LmsKafkaRecord, toKafkaRecord } from '../events/cloudevents.ts';
import type { LmsEvent } from '../events/envelope.ts';
import type { EventSink } from './event-sink.ts';
import { kafkaClientConfig } from './kafka-client.ts';

export interface KafkaEventSinkOptions {
  /** The brokers, with TLS and SASL when the cluster asks for them. */
  connection: KafkaConnection;
  clientId?: string;
  /** Record bytes (key, value, headers) per produce request (default 512 KiB, half the broker's default limit). */
  maxRequestBytes?: number;
}

type TopicMessages = { topic: string; messages: Omit<LmsKafkaRecord, 'topic'>[] }[];

/** The bytes a record adds to a produce request, near enough to bound it (the framing is a few bytes more). */
function recordBytes(record: LmsKafkaRecord): number {
  let bytes = Buffer.byteLength(record.value) + Buffer.byteLength(record.key) + 32;
  for (const name in record.headers) bytes += name.length + Buffer.byteLength(record.headers[name]!);
  return bytes;
}

/**
 * The records as produce requests of at most `maxBytes` each (a record larger than that alone in its
 * request), messages grouped by topic, in the order given within each topic.
 */
export function produceRequests(records: readonly LmsKafkaRecord[], maxBytes: number): TopicMessages[] {
  const requests: TopicMessages[] = [];
  let current = new Map<string, Omit<LmsKafkaRecord, 'topic'>[]>();
  let bytes = 0;
  const close = () => {
    if (current.size > 0) requests.push([...current].map(([topic, messages]) => ({ topic, messages })));
    current = new Map();
    bytes = 0;
  };
  for (const record of records) {
    const size = recordBytes(record);
    const { topic, ...message } = record;
    if (bytes > 0 && bytes + size > maxBytes) close();
    const messages = current.get(topic) ?? [];
    if (messages.length === 0) current.set(topic, messages);
    messages.push(message);
    bytes += size;
  }
  close();
  return requests;
}

export class KafkaEventSink implements EventSink {
  private readonly kafka: Kafka;
  private readonly maxRequestBytes: number;
  private producer: Producer;
  private connected: Promise<void> | undefined;

  constructor(options: KafkaEventSinkOptions) {
    this.kafka = new Kafka(kafkaClientConfig(options.connection, options.clientId ?? 'ula-xapi'));
    this.maxRequestBytes = options.maxRequestBytes ?? 512 * 1024;
    this.producer = this.newProducer();
  }

  private newProducer(): Producer {
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // kafkajs 2's default (Java-compatible murmur2), named so it does not warn about the v1 change.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  private connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    return this.connected;
  }

  async send(events: readonly LmsEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.connect();
    try {
      for (const topicMessages of produceRequests(events.map(toKafkaRecord), this.maxRequestBytes))
        await this.producer.sendBatch({ acks: -1, topicMessages });
    } catch (error) {
      await this.replaceProducer();
      throw error;
    }
  }

  private async replaceProducer(): Promise<void> {
    const failed = this.producer;
    const wasConnected = this.connected;
    this.producer = this.newProducer();
    this.connected = undefined;
    if (wasConnected) await failed.disconnect().catch(() => {});
  }

  async health(): Promise<void> {
    await this.connect();
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
    this.connected = undefined;
  }
}
