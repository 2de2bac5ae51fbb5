/**
 * The Kafka wire protocol, for the generator's producer only: record batches (magic 2, CRC-32C),
 * the murmur2 partitioner of the Java client and kafkajs, and a framed broker connection for the three
 * requests an idempotent producer needs (Metadata v6, InitProducerId v1, Produce v3; all non-flexible
 * versions every broker from 2.1 to 4.x accepts). Each record is written straight into its batch's
 * buffer, where kafkajs builds an encoder object per record and per header (most of the generator's time
 * with kafkajs, docs/events.md). The CRC-32C comes from @node-rs/crc32 (SSE4.2): 13 GB/s against
 * 0.84 GB/s for a slice-by-8 loop in JS. */
import net from 'node:net';
import tls from 'node:tls';
import { crc32c } from '@node-rs/crc32';

export const apiKeys = { produce: 0, metadata: 3, initProducerId: 22 } as const;

/** A record to produce: the key picks the partition; `timestamp` is epoch ms as a string (kafkajs' shape). */
export interface ProducerMessage {
  key: string | null;
  value: string;
  timestamp?: string;
  headers: Readonly<Record<string, string>>;
  /** Headers encoded once (`encodeHeaders`) for the many records that share them; written before `headers`. */
  sharedHeaders?: EncodedHeaders;
}

/** Record headers in their wire form (name and value, each a varint length and UTF-8). */
export interface EncodedHeaders {
  count: number;
  bytes: Buffer;
}

/** Kafka's murmur2 (32-bit) of the first `length` bytes, as the Java client and kafkajs hash keys. */
export function murmur2(data: Uint8Array, length = data.length): number {
  const m = 0x5bd1e995;
  const whole = length & ~3;
  let h = 0x9747b28c ^ length;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= data[whole + 2]! << 16;
  if (rest >= 2) h ^= data[whole + 1]! << 8;
  if (rest >= 1) h = Math.imul(h ^ data[whole]!, m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

const keyScratch = Buffer.allocUnsafe(1024);

/** The partition of a key among `partitions`: the Java client's `toPositive(murmur2(key)) % n`. */
export function partitionOfKey(key: string, partitions: number): number {
  // Keys are short (user ids): encoded into one reused buffer rather than a new one each.
  const hash =
    key.length * 3 <= keyScratch.length
      ? murmur2(keyScratch, keyScratch.write(key, 0))
      : murmur2(Buffer.from(key));
  return (hash & 0x7fffffff) % partitions;
}

/** Bytes of a zigzag varint (the record format's signed varints) for an int32. */
const varintSize = (n: number): number => {
  let z = ((n << 1) ^ (n >> 31)) >>> 0;
  let size = 1;
  while (z >= 0x80) {
    z >>>= 7;
    size++;
  }
  return size;
};

/** A growable big-endian buffer writer. */
export class Writer {
  buf: Buffer;
  pos = 0;

  constructor(size = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  int8(n: number): this {
    this.ensure(1);
    this.buf[this.pos++] = n & 0xff;
    return this;
  }

  int16(n: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(n, this.pos);
    this.pos += 2;
    return this;
  }

  int32(n: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(n, this.pos);
    this.pos += 4;
    return this;
  }

  int64(n: number | bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(BigInt(n), this.pos);
    this.pos += 8;
    return this;
  }

  /** int16 length + UTF-8 (null: length -1). */
  string(s: string | null): this {
    if (s === null) return this.int16(-1);
    const bytes = Buffer.byteLength(s);
    this.int16(bytes);
    this.ensure(bytes);
    this.pos += this.buf.write(s, this.pos);
    return this;
  }

  bytes(b: Uint8Array): this {
    this.int32(b.length).ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** Zigzag varint of an int32. */
  varint(n: number): this {
    this.ensure(5);
    this.pos = writeUnsignedVarint(this.buf, this.pos, ((n << 1) ^ (n >> 31)) >>> 0);
    return this;
  }

  /** Zigzag varint of a safe integer (timestamp deltas). */
  varlong(n: number): this {
    if (n >= -0x40000000 && n < 0x40000000) return this.varint(n);
    this.ensure(10);
    let z = n >= 0 ? n * 2 : -n * 2 - 1;
    while (z >= 0x80) {
      this.buf[this.pos++] = (z % 0x80) | 0x80;
      z = Math.floor(z / 0x80);
    }
    this.buf[this.pos++] = z;
    return this;
  }

  /**
   * Varint length + UTF-8 of a string (null: -1), written in one pass: the length prefix is sized for
   * the string's length in UTF-16 units (its byte length when ASCII) and the bytes are moved in the rare
   * case the real byte length needs a different prefix.
   */
  varString(s: string | null): this {
    if (s === null) return this.varint(-1);
    const guess = varintSize(s.length);
    this.ensure(guess + s.length * 3 + 5);
    const start = this.pos + guess;
    const bytes = this.buf.write(s, start);
    const prefix = varintSize(bytes);
    if (prefix !== guess) this.buf.copyWithin(this.pos + prefix, start, start + bytes);
    writeUnsignedVarint(this.buf, this.pos, bytes << 1);
    this.pos += prefix + bytes;
    return this;
  }

  raw(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** The bytes written so far (a view, valid until the next write). */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

function writeUnsignedVarint(buf: Buffer, at: number, z: number): number {
  let pos = at;
  while (z >= 0x80) {
    buf[pos++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  buf[pos++] = z;
  return pos;
}

/** Encoded header names: a record's headers repeat the same few names. */
const headerNames = new Map<string, Buffer>();
const nameWriter = new Writer(256);

function writeHeader(w: Writer, name: string, value: string): void {
  let encoded = headerNames.get(name);
  if (encoded === undefined) {
    nameWriter.pos = 0;
    encoded = Buffer.from(nameWriter.varString(name).view());
    headerNames.set(name, encoded);
  }
  w.raw(encoded).varString(value);
}

export function encodeHeaders(headers: Readonly<Record<string, string>>): EncodedHeaders {
  const w = new Writer(256);
  let count = 0;
  for (const [name, value] of Object.entries(headers)) {
    writeHeader(w, name, value);
    count++;
  }
  return { count, bytes: Buffer.from(w.view()) };
}

/** The identity of an idempotent producer, from InitProducerId. */
export interface ProducerIdentity {
  producerId: bigint;
  producerEpoch: number;
}

/** Bytes before a batch's first record: offset, length, epoch, magic, CRC, attributes, … record count. */
const batchHeaderBytes = 61;

/**
 * A record batch (magic 2, uncompressed) for one partition, built as records arrive: each is encoded
 * straight into the batch's buffer, so a message object lives only until it is appended. `seal` writes
 * the header: the producer id and the first record's sequence number. The broker rejects a batch whose
 * sequence does not follow the last one it stored for this producer and partition, and acknowledges a
 * resent one as a duplicate, so a retry never writes a record twice.
 */
export class RecordBatchBuilder {
  records = 0;
  private readonly w = new Writer(64 * 1024);
  private first = 0;
  private max = Number.NEGATIVE_INFINITY;

  constructor() {
    this.w.pos = batchHeaderBytes;
  }

  get bytes(): number {
    return this.w.pos;
  }

  append(m: ProducerMessage): void {
    const w = this.w;
    const t = m.timestamp === undefined ? Date.now() : Number(m.timestamp);
    if (this.records === 0) this.first = t;
    if (t > this.max) this.max = t;
    // Record length as a 2-byte varint (bodies of 64..8191 bytes, nearly all), moved when it is not.
    w.ensure(2);
    const lengthPos = w.pos;
    w.pos += 2;
    const bodyFrom = w.pos;
    w.int8(0);
    w.varlong(t - this.first); // signed: a late record may be older than the first
    w.varint(this.records++);
    w.varString(m.key);
    w.varString(m.value);
    const headers = m.headers;
    const shared = m.sharedHeaders;
    let count = shared?.count ?? 0;
    for (const name in headers) if (headers[name] !== undefined) count++;
    w.varint(count);
    if (shared) w.raw(shared.bytes);
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined) continue;
      writeHeader(w, name, value);
    }
    const body = w.pos - bodyFrom;
    const prefix = varintSize(body);
    if (prefix !== 2) {
      w.ensure(prefix);
      w.buf.copyWithin(lengthPos + prefix, bodyFrom, bodyFrom + body);
      w.pos = lengthPos + prefix + body;
    }
    writeUnsignedVarint(w.buf, lengthPos, body << 1);
  }

  /** The finished batch (the builder is done with after this). */
  seal(identity: ProducerIdentity, baseSequence: number): Buffer {
    const w = this.w;
    const end = w.pos;
    w.pos = 0;
    w.int64(0); // base offset: the broker assigns offsets
    w.int32(end - 12); // length of what follows this field
    w.int32(-1); // partition leader epoch: set by the broker
    w.int8(2); // magic
    w.int32(0); // CRC, below
    w.int16(0); // attributes: no compression, create time, not transactional
    w.int32(this.records - 1); // last offset delta
    w.int64(this.first).int64(this.max);
    w.int64(identity.producerId).int16(identity.producerEpoch).int32(baseSequence);
    w.int32(this.records);
    w.buf.writeUInt32BE(crc32c(w.buf.subarray(21, end)), 17);
    return w.buf.subarray(0, end);
  }
}

/** One record batch of `messages` (see `RecordBatchBuilder`). */
export function encodeRecordBatch(
  messages: readonly ProducerMessage[],
  identity: ProducerIdentity,
  baseSequence: number,
): Buffer {
  const builder = new RecordBatchBuilder();
  for (const m of messages) builder.append(m);
  return builder.seal(identity, baseSequence);
}

/** A big-endian reader over a response body. */
export class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  int8(): number {
    return this.buf.readInt8(this.pos++);
  }
  int16(): number {
    const n = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return n;
  }
  int32(): number {
    const n = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return n;
  }
  int64(): bigint {
    const n = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return n;
  }
  string(): string | null {
    const length = this.int16();
    if (length < 0) return null;
    const s = this.buf.toString('utf8', this.pos, this.pos + length);
    this.pos += length;
    return s;
  }
  take(length: number): Buffer {
    const b = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return b;
  }
  array<T>(item: (r: Reader) => T): T[] {
    const length = this.int32();
    const out: T[] = [];
    for (let i = 0; i < length; i++) out.push(item(this));
    return out;
  }
}

/** A broker connection lost, refused or timed out: the request may or may not have been applied. */
export class KafkaConnectionError extends Error {
  override readonly name = 'KafkaConnectionError';
}

/**
 * One TCP connection to a broker: size-framed requests (header v1) and responses matched by correlation
 * id. Any socket failure rejects every request in flight with `KafkaConnectionError`.
 */
export class BrokerConnection {
  private readonly pending = new Map<
    number,
    { resolve: (body: Buffer) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  private nextId = 1;
  private received: Buffer = Buffer.alloc(0);
  private failure: Error | undefined;

  private constructor(
    private readonly socket: net.Socket,
    readonly address: string,
    private readonly clientId: string,
    private readonly timeoutMs: number,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.fail(new KafkaConnectionError(`${address}: ${e.message}`)));
    socket.on('close', () => this.fail(new KafkaConnectionError(`${address}: connection closed`)));
  }

  /**
   * Connects, over TLS when `tlsOptions` is given (the server's certificate checked against its `ca`, else
   * the system's CAs). A certificate the client does not trust is a plain Error: retrying cannot help.
   */
  static open(
    address: string,
    clientId: string,
    timeoutMs: number,
    tlsOptions?: { ca?: string[] },
  ): Promise<BrokerConnection> {
    const [host, port] = splitAddress(address);
    return new Promise((resolve, reject) => {
      const socket = tlsOptions
        ? tls.connect({
            host,
            port,
            ...(tlsOptions.ca ? { ca: tlsOptions.ca } : {}),
            ...(net.isIP(host) === 0 ? { servername: host } : {}),
          })
        : net.connect({ host, port, noDelay: true });
      if (tlsOptions) socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new KafkaConnectionError(`${address}: no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once(tlsOptions ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new BrokerConnection(socket, address, clientId, timeoutMs));
      });
      socket.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const untrusted = /CERT|SELF_SIGNED|TLS|SSL/.test(e.code ?? '');
        reject(
          untrusted
            ? new Error(`Kafka ${address}: TLS: ${e.message}`)
            : new KafkaConnectionError(`${address}: ${e.message}`),
        );
      });
    });
  }

  get alive(): boolean {
    return this.failure === undefined;
  }

  /** Sends one request (body after the header); resolves with the response body after its correlation id. */
  request(apiKey: number, apiVersion: number, body: readonly Buffer[]): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId;
    this.nextId = (this.nextId + 1) & 0x7fffffff;
    const header = new Writer(64);
    header.int32(0).int16(apiKey).int16(apiVersion).int32(id).string(this.clientId);
    const size = header.pos - 4 + body.reduce((n, b) => n + b.length, 0);
    header.buf.writeInt32BE(size, 0);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new KafkaConnectionError(`${this.address}: no response within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.cork();
      this.socket.write(header.view());
      for (const b of body) this.socket.write(b);
      this.socket.uncork();
    });
  }

  close(): void {
    this.fail(new KafkaConnectionError(`${this.address}: closed by the client`));
  }

  private onData(chunk: Buffer): void {
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    while (this.received.length >= 4) {
      const size = this.received.readInt32BE(0);
      if (this.received.length < 4 + size) break;
      const frame = this.received.subarray(4, 4 + size);
      this.received = this.received.subarray(4 + size);
      const id = frame.readInt32BE(0);
      const waiter = this.pending.get(id);
      if (!waiter) continue;
      this.pending.delete(id);
      clearTimeout(waiter.timer);
      waiter.resolve(frame.subarray(4));
    }
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.socket.destroy();
    for (const waiter of this.pending.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.pending.clear();
  }
}

function splitAddress(address: string): [string, number] {
  const colon = address.lastIndexOf(':');
  if (colon < 0) return [address, 9092];
  return [address.slice(0, colon), Number(address.slice(colon + 1))];
}

/** Kafka error codes the producer meets, with whether resending the same batch can succeed. */
const kafkaErrors: Record<number, { name: string; retriable: boolean }> = {
  1: { name: 'OFFSET_OUT_OF_RANGE', retriable: false },
  2: { name: 'CORRUPT_MESSAGE', retriable: true },
  3: { name: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true },
  5: { name: 'LEADER_NOT_AVAILABLE', retriable: true },
  6: { name: 'NOT_LEADER_OR_FOLLOWER', retriable: true },
  7: { name: 'REQUEST_TIMED_OUT', retriable: true },
  10: { name: 'MESSAGE_TOO_LARGE', retriable: false },
  13: { name: 'NETWORK_EXCEPTION', retriable: true },
  14: { name: 'COORDINATOR_LOAD_IN_PROGRESS', retriable: true },
  15: { name: 'COORDINATOR_NOT_AVAILABLE', retriable: true },
  17: { name: 'INVALID_TOPIC_EXCEPTION', retriable: false },
  18: { name: 'RECORD_LIST_TOO_LARGE', retriable: false },
  19: { name: 'NOT_ENOUGH_REPLICAS', retriable: true },
  20: { name: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', retriable: true },
  29: { name: 'TOPIC_AUTHORIZATION_FAILED', retriable: false },
  35: { name: 'UNSUPPORTED_VERSION', retriable: false },
  45: { name: 'OUT_OF_ORDER_SEQUENCE_NUMBER', retriable: false },
  46: { name: 'DUPLICATE_SEQUENCE_NUMBER', retriable: false },
  47: { name: 'INVALID_PRODUCER_EPOCH', retriable: false },
  56: { name: 'KAFKA_STORAGE_ERROR', retriable: true },
  59: { name: 'UNKNOWN_PRODUCER_ID', retriable: false },
  74: { name: 'FENCED_LEADER_EPOCH', retriable: true },
  75: { name: 'UNKNOWN_LEADER_EPOCH', retriable: true },
  87: { name: 'INVALID_RECORD', retriable: false },
};

export const describeKafkaError = (code: number): string => `${kafkaErrors[code]?.name ?? 'error'} (${code})`;
export const isRetriableKafkaError = (code: number): boolean => kafkaErrors[code]?.retriable ?? false;
