/**
 * A closed-loop HTTP/1.1 load for throughput ceilings: `connections` keep-alive sockets per target, each
 * sending its next request as soon as the previous answer is complete. The requests are encoded before the
 * clock starts (each used once, so a function that recognises redeliveries sees none) and the answers are
 * parsed only as far as the status line and the body length. The generator shares the machine with what
 * it measures: node:http (an `http.request` per event, built while sending) spent more CPU per request
 * than the no-op function it measured, and both it and autocannon capped the no-op peers well below what
 * they do under this loop (docs/speed.md, docs/ingest.md).
 */
import { connect, type Socket } from 'node:net';

export interface ClosedLoopResult {
  /** Answers by status code. */
  statuses: Map<number, number>;
  answered: number;
  seconds: number;
  /** Request written → answer complete, ms, over every answer. */
  latencyMs: { p50: number; p99: number };
  /** CPU µs this process spent per answered request (the generator's own cost). */
  generatorCpuUs: number;
}

/** A server on loopback and the requests for it (sent in order, each once). */
export interface Target {
  port: number;
  requests: readonly Buffer[];
}

/** The raw bytes of one POST (headers and body), ready to write on a keep-alive socket. */
export function encodePost(
  host: string,
  path: string,
  headers: Record<string, string>,
  body: string,
): Buffer {
  let head = `POST ${path} HTTP/1.1\r\nhost: ${host}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
  for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
  return Buffer.from(`${head}\r\n${body}`);
}

const headEnd = Buffer.from('\r\n\r\n');

/** Bytes of the first complete HTTP response in `data` and its status, or undefined if incomplete. */
function completeResponse(data: Buffer): { length: number; status: number } | undefined {
  const end = data.indexOf(headEnd);
  if (end < 0) return undefined;
  const head = data.toString('latin1', 0, end);
  const status = Number(head.slice(9, 12));
  // 204 and 304 answers have no body (ingest answers 204).
  const match = status === 204 || status === 304 ? ['', '0'] : /\r\ncontent-length: *(\d+)/i.exec(head);
  if (!match) throw new Error(`response without content-length (chunked answers are not supported): ${head}`);
  const length = end + headEnd.length + Number(match[1]);
  return data.length >= length ? { length, status } : undefined;
}

const percentile = (sorted: Float64Array, p: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/**
 * Runs `connections` sockets per target for `seconds`, or until a target's requests run out; counts the
 * answers by status.
 */
export async function closedLoop(
  targets: readonly Target[],
  connections: number,
  seconds: number,
): Promise<ClosedLoopResult> {
  const statuses = new Map<number, number>();
  let latencies = new Float64Array(1 << 16);
  let answered = 0;
  let deadline = Number.POSITIVE_INFINITY;
  const run = (socket: Socket, target: { requests: readonly Buffer[]; next: number }) =>
    new Promise<void>((resolve, reject) => {
      let pending: Buffer = Buffer.alloc(0);
      let sentAt = Number.NaN;
      const send = () => {
        if (target.next >= target.requests.length || performance.now() >= deadline) {
          socket.end();
          return resolve();
        }
        sentAt = performance.now();
        socket.write(target.requests[target.next++]!);
      };
      socket.on('data', (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        let response: ReturnType<typeof completeResponse>;
        try {
          response = completeResponse(pending);
        } catch (error) {
          return reject(error);
        }
        if (!response) return;
        if (response.length !== pending.length)
          return reject(new Error('bytes after a response on a connection with one request in flight'));
        if (answered === latencies.length) {
          const grown = new Float64Array(latencies.length * 2);
          grown.set(latencies);
          latencies = grown;
        }
        latencies[answered++] = performance.now() - sentAt;
        pending = Buffer.alloc(0);
        sentAt = Number.NaN;
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        send();
      });
      socket.on('error', reject);
      socket.on('close', () =>
        Number.isNaN(sentAt)
          ? resolve()
          : reject(new Error('the server closed a connection with a request in flight')),
      );
      send();
    });
  const open = (port: number) =>
    new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(socket));
      socket.once('error', reject);
    });
  const lanes = await Promise.all(
    targets.flatMap((target) => {
      const queue = { requests: target.requests, next: 0 };
      return Array.from({ length: connections }, async () => ({ socket: await open(target.port), queue }));
    }),
  );
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  deadline = start + seconds * 1000;
  try {
    await Promise.all(lanes.map(({ socket, queue }) => run(socket, queue)));
  } finally {
    for (const { socket } of lanes) socket.destroy();
  }
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const sorted = latencies.subarray(0, answered).sort();
  return {
    statuses,
    answered,
    seconds: elapsed,
    latencyMs: { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) },
    generatorCpuUs: answered === 0 ? Number.NaN : (cpu.user + cpu.system) / answered,
  };
}
