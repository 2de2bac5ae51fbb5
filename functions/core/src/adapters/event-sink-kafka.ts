/**
 * Events straight into Kafka's category topics (the local stack, where no KafkaSink runs): kafkajs with an
 * idempotent producer and acks from every in-sync replica, records in the same binary mode as every
 * producer of the project (events/cloudevents.ts toKafkaRecord: `ce_*` headers, key = user id).
 */
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { toKafkaRecord } from '../events/cloudevents.ts';
import type { LmsEvent } from '../events/envelope.ts';
import type { EventSink } from './event-sink.ts';

export interface KafkaEventSinkOptions {
  brokers: string[];
  clientId?: string;
}

export class KafkaEventSink implements EventSink {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;

  constructor(options: KafkaEventSinkOptions) {
    const kafka = new Kafka({
      clientId: options.clientId ?? 'ula-xapi',
      brokers: options.brokers,
      logLevel: logLevel.WARN,
    });
    this.producer = kafka.producer({
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
    const byTopic = new Map<
      string,
      { key: string; value: string; headers: Record<string, string>; timestamp: string }[]
    >();
    for (const event of events) {
      const { topic, ...message } = toKafkaRecord(event);
      const messages = byTopic.get(topic) ?? [];
      if (messages.length === 0) byTopic.set(topic, messages);
      messages.push(message);
    }
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }

  async health(): Promise<void> {
    await this.connect();
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
    this.connected = undefined;
  }
}
