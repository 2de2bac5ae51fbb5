/**
 * `npm start -- --kafka <brokers>`: the event bus is a real Kafka. Generated items are produced to the
 * category topics as binary-mode CloudEvents (`ce_*` headers), and the Kafka dispatcher (the local
 * stand-in for KafkaSource, kafka-dispatcher.ts) delivers them over HTTP to ingest and speed, whose
 * handlers still run in this process behind loopback HTTP servers (same context mapping as the
 * in-process dispatcher). Dead letters go to the dead-letter topic, as KafkaSource does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CloudEventRequest, type FunctionHandle, invokeHandler } from '@ula/tools/dispatch/in-process';
import { type Dispatcher, startDispatcher } from '@ula/tools/dispatch/kafka-dispatcher';
import { type Message, Partitioners, type Producer } from 'kafkajs';
import { kafkaClientOf } from '../../functions/core/src/adapters/kafka-client.ts';
import { categories, topicOf } from '../../functions/core/src/events/envelope.ts';

const categoryOf = (request: CloudEventRequest): string => {
  const fromSource = (request.headers['ce-source'] ?? '').split('/')[2] ?? '';
  return (categories as readonly string[]).includes(fromSource) ? fromSource : 'auth';
};

/** The Kafka record of a request: `ce-x` headers become `ce_x`, key = subject (the user). */
export function kafkaMessageOfRequest(request: CloudEventRequest): { topic: string; message: Message } {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (name.startsWith('ce-')) headers[`ce_${name.slice(3)}`] = value;
    else if (name === 'content-type') headers['content-type'] = value;
  }
  return {
    topic: topicOf(categoryOf(request) as (typeof categories)[number]),
    message: { key: request.headers['ce-subject'] ?? null, value: request.body, headers },
  };
}

/** A function handler behind a loopback HTTP server (what the dispatcher's sink URL points at). */
function serveHandler(handle: FunctionHandle): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
      }
      invokeHandler(handle, { headers, body: Buffer.concat(chunks) }).then((result) => {
        if ('error' in result) res.writeHead(500).end(result.error.message);
        else res.writeHead(result.status, { 'content-type': 'application/json' }).end(result.body);
      });
    });
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

export class KafkaBus {
  produced = 0;

  private constructor(
    private readonly producer: Producer,
    private readonly dispatcher: Dispatcher,
    private readonly servers: Server[],
  ) {}

  static async start(
    brokers: string[],
    sinks: { name: string; handle: FunctionHandle }[],
    groupPrefix: string,
  ): Promise<KafkaBus> {
    const servers = await Promise.all(sinks.map((s) => serveHandler(s.handle)));
    const kafka = kafkaClientOf(brokers, 'ula-demo');
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    const dispatcher = await startDispatcher({
      brokers,
      groupPrefix,
      sinks: sinks.map((s, i) => ({
        name: s.name,
        url: `http://127.0.0.1:${(servers[i]!.address() as AddressInfo).port}/`,
      })),
    });
    return new KafkaBus(producer, dispatcher, servers);
  }

  /** Produces the requests (acknowledged by Kafka when this resolves). */
  async send(requests: CloudEventRequest[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const request of requests) {
      const { topic, message } = kafkaMessageOfRequest(request);
      const list = byTopic.get(topic) ?? [];
      list.push(message);
      byTopic.set(topic, list);
    }
    await this.producer.sendBatch({
      topicMessages: [...byTopic.entries()].map(([topic, messages]) => ({ topic, messages })),
    });
    this.produced += requests.length;
  }

  get counts(): Dispatcher['counts'] {
    return this.dispatcher.counts;
  }

  /** Waits until the ingest sink has answered at least every record produced by this run. */
  async waitDelivered(onProgress: (done: number) => void): Promise<void> {
    for (;;) {
      const c = this.dispatcher.counts['ingest'] ?? { delivered: 0, deadLettered: 0 };
      const done = c.delivered + c.deadLettered;
      onProgress(Math.min(done, this.produced));
      if (done >= this.produced) return;
      await new Promise((ok) => setTimeout(ok, 250));
    }
  }

  async stop(): Promise<void> {
    await this.dispatcher.stop();
    await this.producer.disconnect();
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((ok) => {
            s.close(() => ok());
            s.closeAllConnections();
          }),
      ),
    );
  }
}
