/**
 * A small stand-in for Knative's KafkaSource on the local stack: consumes the category topics and
 * delivers each record to a sink URL as a binary-mode CloudEvent, with KafkaSource's semantics:
 * unordered delivery within a fetched batch, retries with backoff on 5xx/408/429/timeouts, no retry on
 * other 4xx, dead-letter topic with the error extensions, and offsets committed only after delivery.
 * One consumer group per sink, as one KafkaSource per subscriber would have.
 */

import { kafkaClientOf } from '@ula/core/adapters/kafka-client';
import { categories, deadLetterTopic, topicOf } from '@ula/core/events/envelope';
import { type KafkaMessage, Partitioners, type Producer } from 'kafkajs';
import { type DeliveryOutcome, type DeliveryPolicy, defaultDeliveryPolicy, deliver } from './delivery.ts';
import { httpPoster } from './http-post.ts';

export interface Sink {
  name: string;
  url: string;
}

export interface DispatcherOptions {
  brokers: string[];
  sinks: Sink[];
  topics?: string[];
  /**
   * Records delivered at once per partition batch (unordered delivery; default 500, as the cluster's
   * KafkaSource max.poll.records: ingest's linger needs hundreds in flight, see eventing/).
   */
  concurrency?: number;
  policy?: DeliveryPolicy;
  groupPrefix?: string;
  onOutcome?: (sink: Sink, outcome: DeliveryOutcome) => void;
}

export interface Dispatcher {
  stop(): Promise<void>;
  counts: Record<string, { delivered: number; deadLettered: number }>;
}

/** The HTTP request KafkaSource would send for a record (non-CloudEvent records are wrapped). */
export function httpRequestOf(
  topic: string,
  partition: number,
  message: KafkaMessage,
): { headers: Record<string, string>; body: Buffer } {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? String(value[0]) : value.toString();
    if (name.startsWith('ce_')) headers[`ce-${name.slice(3)}`] = text;
    else if (name.toLowerCase() === 'content-type') headers['content-type'] = text;
  }
  if (headers['ce-specversion'] === undefined) {
    Object.assign(headers, {
      'ce-specversion': '1.0',
      'ce-id': `partition:${partition}/offset:${message.offset}`,
      'ce-type': 'dev.knative.kafka.event',
      'ce-source': `/kafka/${topic}`,
    });
  }
  headers['content-type'] ??= 'application/json';
  return { headers, body: message.value ?? Buffer.alloc(0) };
}

export async function startDispatcher(options: DispatcherOptions): Promise<Dispatcher> {
  const kafka = kafkaClientOf(options.brokers, 'ula-dispatcher');
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    // kafkajs 2's default (Java-compatible murmur2), named so it does not warn about the v1 change.
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const topics = options.topics ?? categories.map(topicOf);
  const policy = options.policy ?? defaultDeliveryPolicy;
  const concurrency = options.concurrency ?? 500;
  const counts: Dispatcher['counts'] = {};
  const partitionsAtOnce = 4;
  // One connection per delivery that can be in flight: none waits for a socket.
  const posters = options.sinks.map((sink) => httpPoster(sink.url, concurrency * partitionsAtOnce));
  const consumers = await Promise.all(
    options.sinks.map(async (sink, s) => {
      counts[sink.name] = { delivered: 0, deadLettered: 0 };
      const { post } = posters[s]!;
      const consumer = kafka.consumer({ groupId: `${options.groupPrefix ?? 'ula-dispatcher'}-${sink.name}` });
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: partitionsAtOnce,
        eachBatch: async ({ batch, heartbeat }) => {
          const messages = batch.messages;
          for (let i = 0; i < messages.length; i += concurrency) {
            await Promise.all(
              messages.slice(i, i + concurrency).map(async (message) => {
                const request = httpRequestOf(batch.topic, batch.partition, message);
                const outcome = await deliver(
                  (signal) => post(request.headers, request.body, signal),
                  policy,
                );
                options.onOutcome?.(sink, outcome);
                if (outcome.delivered) {
                  counts[sink.name]!.delivered++;
                  return;
                }
                counts[sink.name]!.deadLettered++;
                await producer.send({
                  topic: deadLetterTopic,
                  messages: [
                    {
                      key: message.key,
                      value: message.value,
                      headers: {
                        ...message.headers,
                        ce_knativeerrordest: sink.url,
                        ce_knativeerrorcode: String(outcome.status ?? 0),
                        ce_knativeerrordata: Buffer.from(outcome.reason).toString('base64'),
                      },
                    },
                  ],
                });
              }),
            );
            await heartbeat();
          }
          // Every record of the batch is delivered or dead-lettered: only now is the offset committed.
          const last = messages.at(-1);
          if (last) {
            await consumer.commitOffsets([
              {
                topic: batch.topic,
                partition: batch.partition,
                offset: (BigInt(last.offset) + 1n).toString(),
              },
            ]);
          }
        },
      });
      return consumer;
    }),
  );
  return {
    counts,
    async stop() {
      await Promise.all(consumers.map((c) => c.disconnect()));
      for (const poster of posters) poster.close();
      await producer.disconnect();
    },
  };
}
