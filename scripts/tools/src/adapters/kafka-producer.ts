/**
 * An idempotent Kafka producer over the wire protocol (kafka-wire.ts), for the generator's bulk sends.
 * Records are partitioned like the Java client and kafkajs (murmur2 of the key), encoded into one record
 * batch per partition and sent as one Produce request per leader (acks = all). The broker keeps, per
 * producer id and partition, the sequence of the last batch it stored: a batch resent after a lost
 * connection or a leader change is acknowledged as a duplicate instead of written twice, and a gap fails
 * loudly. Records are appended (encoded at once into their partition's batch) and sent in order: each
 * partition receives its records in the order appended.
 */

import { authenticate, type WireSecurity } from './kafka-sasl.ts';
import {
  apiKeys,
  BrokerConnection,
  describeKafkaError,
  isRetriableKafkaError,
  KafkaConnectionError,
  type ProducerIdentity,
  type ProducerMessage,
  partitionOfKey,
  Reader,
  RecordBatchBuilder,
  Writer,
} from './kafka-wire.ts';

export interface WireProducerOptions {
  brokers: readonly string[];
  /** TLS and SASL of every broker connection (none: plaintext, as the local stack's 9092). */
  security?: WireSecurity;
  clientId?: string;
  /** Per request (default 30 s). */
  requestTimeoutMs?: number;
  /** Attempts per batch, metadata lookup or producer id before failing (default 8, backoff 0.1 → 2 s). */
  attempts?: number;
  /** Bytes of one partition's record batch (default 512 KiB; the broker's limit is 1 MiB by default). */
  maxBatchBytes?: number;
}

/** A batch of one partition, encoded once and resent as is. */
export interface PartitionBatch {
  topic: string;
  partition: number;
  records: number;
  bytes: Buffer;
}

const duplicateSequence = 46;

/** The key of a topic's partition in the producer's maps. */
const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** InitProducerId v1 of a producer that is idempotent, not transactional. */
export const initProducerIdRequest = (): Buffer[] => [new Writer(64).string(null).int32(60_000).view()];

export function parseInitProducerId(response: Buffer): ProducerIdentity {
  const r = new Reader(response);
  r.int32(); // throttle
  const code = r.int16();
  if (code !== 0) {
    const error = `InitProducerId: ${describeKafkaError(code)}`;
    throw isRetriableKafkaError(code) ? new KafkaConnectionError(error) : new Error(`Kafka: ${error}`);
  }
  return { producerId: r.int64(), producerEpoch: r.int16() };
}

/** Produce v3 (acks = all) of one batch per partition. */
export function produceRequest(batches: readonly PartitionBatch[], timeoutMs: number): Buffer[] {
  const byTopic = new Map<string, PartitionBatch[]>();
  for (const b of batches) {
    const list = byTopic.get(b.topic) ?? [];
    list.push(b);
    byTopic.set(b.topic, list);
  }
  const pieces: Buffer[] = [];
  const w = new Writer(4096);
  w.string(null).int16(-1).int32(timeoutMs).int32(byTopic.size);
  for (const [topic, list] of byTopic) {
    w.string(topic).int32(list.length);
    for (const b of list) {
      w.int32(b.partition).int32(b.bytes.length);
      pieces.push(Buffer.from(w.view()), b.bytes);
      w.pos = 0;
    }
  }
  return pieces;
}

/** The error code of each batch in a Produce v3 response (a partition missing from it: NETWORK_EXCEPTION). */
export function produceResults(
  response: Buffer,
  batches: readonly PartitionBatch[],
): { batch: PartitionBatch; code: number }[] {
  const r = new Reader(response);
  const codes = new Map<string, number>();
  for (const topic of r.array((t) => ({
    name: t.string(),
    partitions: t.array((p) => {
      const partition = p.int32();
      const code = p.int16();
      p.int64(); // base offset
      p.int64(); // log append time
      return { partition, code };
    }),
  }))) {
    for (const p of topic.partitions) codes.set(partitionKey(topic.name ?? '', p.partition), p.code);
  }
  return batches.map((batch) => ({
    batch,
    code: codes.get(partitionKey(batch.topic, batch.partition)) ?? 13,
  }));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class WireProducer {
  private readonly connections = new Map<string, BrokerConnection>();
  private readonly brokerAddress = new Map<number, string>();
  /** Leader node id per partition, by topic. */
  private readonly leaders = new Map<string, number[]>();
  private readonly sequences = new Map<string, number>();
  /** The batch being filled per partition, by topic; and the full ones waiting for `send`, in order. */
  private readonly open = new Map<string, (RecordBatchBuilder | undefined)[]>();
  private full: { topic: string; partition: number; builder: RecordBatchBuilder }[] = [];
  private readonly clientId: string;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly maxBatchBytes: number;
  private identity: ProducerIdentity = { producerId: -1n, producerEpoch: -1 };
  private roundRobin = 0;
  /** The last send in the chain, and the error that ended the chain, if any. */
  private tail: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  private constructor(private readonly options: WireProducerOptions) {
    this.clientId = options.clientId ?? 'ula-producer';
    this.timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.attempts = options.attempts ?? 8;
    this.maxBatchBytes = options.maxBatchBytes ?? 512 * 1024;
  }

  /** Connects to the cluster and obtains a producer id; rejects when no bootstrap broker answers. */
  static async connect(options: WireProducerOptions): Promise<WireProducer> {
    const producer = new WireProducer(options);
    try {
      await producer.retrying('metadata', () => producer.refreshMetadata([]));
      producer.identity = await producer.retrying('InitProducerId', () => producer.initProducerId());
    } catch (error) {
      producer.close();
      throw error;
    }
    return producer;
  }

  /** Looks up the partitions and leaders of the topics `append` will be given (creating new topics). */
  async prepare(topics: readonly string[]): Promise<void> {
    await this.retrying('metadata', () => this.ensureLeaders(topics));
  }

  /** Encodes a message into its partition's batch (a prepared topic), to be sent by the next `send`. */
  append(topic: string, message: ProducerMessage): void {
    const leaders = this.leaders.get(topic);
    if (leaders === undefined) throw new Error(`Kafka producer: topic ${topic} was not prepared`);
    const partition =
      message.key === null ? this.roundRobin++ % leaders.length : partitionOfKey(message.key, leaders.length);
    let builders = this.open.get(topic);
    if (builders === undefined) {
      builders = [];
      this.open.set(topic, builders);
    }
    let builder = builders[partition];
    if (builder === undefined) {
      builder = new RecordBatchBuilder();
      builders[partition] = builder;
    }
    builder.append(message);
    if (builder.bytes >= this.maxBatchBytes) {
      this.full.push({ topic, partition, builder });
      builders[partition] = undefined;
    }
  }

  /**
   * Seals what was appended and sends it after the sends before it (so the next records are encoded
   * while these travel); resolves once the cluster has acknowledged all of them. After a failed send
   * every later one fails too: its sequence numbers would leave a gap.
   */
  send(): Promise<void> {
    for (const [topic, builders] of this.open) {
      builders.forEach((builder, partition) => {
        if (builder) this.full.push({ topic, partition, builder });
      });
    }
    this.open.clear();
    const rounds = this.seal(this.full);
    this.full = [];
    const sent = this.tail.then(async () => {
      if (this.failure) throw this.failure;
      try {
        for (const round of rounds) await this.produce(round);
      } catch (error) {
        this.failure = error as Error;
        throw error;
      }
    });
    this.tail = sent.catch(() => undefined);
    return sent;
  }

  /**
   * Sequence numbers, in order per partition, and requests: one holds one batch per partition, so a
   * partition with more than one batch sends the rest in the requests after it.
   */
  private seal(batches: readonly { topic: string; partition: number; builder: RecordBatchBuilder }[]) {
    const rounds: PartitionBatch[][] = [];
    const round = new Map<string, number>();
    for (const { topic, partition, builder } of batches) {
      const id = partitionKey(topic, partition);
      const sequence = this.sequences.get(id) ?? 0;
      // Sequences wrap at the int32 maximum, as the broker expects.
      this.sequences.set(id, (sequence + builder.records) % 2 ** 31);
      const r = round.get(id) ?? 0;
      round.set(id, r + 1);
      const list = rounds[r] ?? [];
      rounds[r] = list;
      list.push({ topic, partition, records: builder.records, bytes: builder.seal(this.identity, sequence) });
    }
    return rounds;
  }

  close(): void {
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
  }

  /** Sends batches to their leaders, resending those that failed retriably, with backoff. */
  private async produce(batches: PartitionBatch[]): Promise<void> {
    let pending = batches;
    let lastError = '';
    for (let attempt = 1; ; attempt++) {
      const byLeader = new Map<string, PartitionBatch[]>();
      const failed: PartitionBatch[] = [];
      for (const batch of pending) {
        const address = this.brokerAddress.get(this.leaders.get(batch.topic)?.[batch.partition] ?? -1);
        if (address === undefined) {
          failed.push(batch);
          lastError = `no leader known for ${batch.topic}[${batch.partition}]`;
          continue;
        }
        const list = byLeader.get(address) ?? [];
        list.push(batch);
        byLeader.set(address, list);
      }
      await Promise.all(
        [...byLeader].map(async ([address, list]) => {
          try {
            const response = await (await this.connection(address)).request(
              apiKeys.produce,
              3,
              produceRequest(list, this.timeoutMs),
            );
            for (const { batch, code } of produceResults(response, list)) {
              if (code === 0 || code === duplicateSequence) continue;
              const where = `${batch.topic}[${batch.partition}] at ${address}: ${describeKafkaError(code)}`;
              if (!isRetriableKafkaError(code)) {
                throw new Error(`Kafka rejected a batch of ${batch.records} records for ${where}`);
              }
              failed.push(batch);
              lastError = where;
            }
          } catch (error) {
            if (!(error instanceof KafkaConnectionError)) throw error;
            this.connections.delete(address);
            failed.push(...list);
            lastError = error.message;
          }
        }),
      );
      if (failed.length === 0) return;
      if (attempt >= this.attempts) {
        throw new Error(
          `Kafka: ${failed.length} record batches not acknowledged after ${attempt} attempts (last error: ${lastError})`,
        );
      }
      await sleep(Math.min(100 * 2 ** (attempt - 1), 2000));
      // A leader may have moved: look it up again (a failure here counts as the next attempt's).
      await this.refreshMetadata([...new Set(failed.map((b) => b.topic))]).catch((error: Error) => {
        lastError = error.message;
      });
      pending = failed;
    }
  }

  /** Metadata until every topic has a leader for each partition (a new topic is created on first use). */
  private async ensureLeaders(topics: readonly string[]): Promise<void> {
    const missing = topics.filter((t) => !this.leaders.has(t));
    if (missing.length === 0) return;
    await this.refreshMetadata(missing);
    const still = missing.filter((t) => !this.leaders.has(t));
    if (still.length > 0) {
      throw new KafkaConnectionError(
        `no leaders yet for ${still.join(', ')} (the topics may be being created)`,
      );
    }
  }

  private async refreshMetadata(topics: readonly string[]): Promise<void> {
    const w = new Writer(256);
    w.int32(topics.length);
    for (const t of topics) w.string(t);
    w.int8(1); // allow auto topic creation, as kafkajs and the Java client do
    const r = new Reader(await this.anyBroker((c) => c.request(apiKeys.metadata, 6, [w.view()])));
    r.int32(); // throttle
    for (const broker of r.array((b) => ({
      id: b.int32(),
      host: b.string(),
      port: b.int32(),
      rack: b.string(),
    }))) {
      this.brokerAddress.set(broker.id, `${broker.host}:${broker.port}`);
    }
    r.string(); // cluster id
    r.int32(); // controller
    const metadata = r.array((t) => ({
      code: t.int16(),
      name: t.string() ?? '',
      internal: t.int8(),
      partitions: t.array((p) => {
        const partition = { code: p.int16(), index: p.int32(), leader: p.int32() };
        p.array((x) => x.int32()); // replicas
        p.array((x) => x.int32()); // in-sync replicas
        p.array((x) => x.int32()); // offline replicas
        return partition;
      }),
    }));
    for (const topic of metadata) {
      const leaders: number[] = [];
      for (const p of topic.partitions) leaders[p.index] = p.leader;
      const complete =
        topic.code === 0 &&
        leaders.length > 0 &&
        topic.partitions.length === leaders.length &&
        leaders.every((l) => l >= 0);
      if (complete) this.leaders.set(topic.name, leaders);
      else if (!isRetriableKafkaError(topic.code) && topic.code !== 0) {
        throw new Error(`Kafka: topic ${topic.name}: ${describeKafkaError(topic.code)}`);
      } else this.leaders.delete(topic.name);
    }
  }

  private async initProducerId(): Promise<ProducerIdentity> {
    return parseInitProducerId(
      await this.anyBroker((c) => c.request(apiKeys.initProducerId, 1, initProducerIdRequest())),
    );
  }

  /** Runs a request on a connected broker, else on the first bootstrap broker that connects. */
  private async anyBroker(run: (c: BrokerConnection) => Promise<Buffer>): Promise<Buffer> {
    const live = [...this.connections.values()].find((c) => c.alive);
    if (live) return run(live);
    let last: Error | undefined;
    for (const address of [...this.brokerAddress.values(), ...this.options.brokers]) {
      try {
        return await run(await this.connection(address));
      } catch (error) {
        if (!(error instanceof KafkaConnectionError)) throw error;
        this.connections.delete(address);
        last = error;
      }
    }
    throw last ?? new KafkaConnectionError('no Kafka broker address');
  }

  private async connection(address: string): Promise<BrokerConnection> {
    const open = this.connections.get(address);
    if (open?.alive) return open;
    const { tls, sasl } = this.options.security ?? {};
    const connection = await BrokerConnection.open(address, this.clientId, this.timeoutMs, tls);
    if (sasl)
      await authenticate((key, version, body) => connection.request(key, version, body), sasl, address).catch(
        (error: unknown) => {
          connection.close();
          throw error;
        },
      );
    this.connections.set(address, connection);
    return connection;
  }

  /** Retries a step that failed on the connection or a retriable error, with backoff; then fails loudly. */
  private async retrying<T>(what: string, step: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await step();
      } catch (error) {
        if (!(error instanceof KafkaConnectionError) || attempt >= this.attempts) {
          throw new Error(`Kafka ${what} failed after ${attempt} attempts: ${(error as Error).message}`);
        }
        await sleep(Math.min(100 * 2 ** (attempt - 1), 2000));
      }
    }
  }
}
