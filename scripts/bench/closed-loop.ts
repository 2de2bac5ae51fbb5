/**
 * A closed-loop HTTP/1.1 load for throughput ceilings: `connections` keep-alive sockets, each sending its
 * next request as soon as the previous answer is complete. The requests are encoded before the clock
 * starts (each used once, so a function that recognises redeliveries sees none) and the answers are
 * parsed only as far as the status line and the body length. The generator shares the machine with what
 * it measures; with node:http (an `http.request` per event, built while sending) it spent more CPU per
 * request than the no-op function it measured, and so set the ceiling itself (docs/speed.md).
 */
import { connect, type Socket } from 'node:net';

export interface ClosedLoopResult {
  /** Answers by status code. */
  statuses: Map<number, number>;
  answered: number;
  seconds: number;
  /** CPU µs this process spent per answered request (the generator's own cost). */
  generatorCpuUs: number;
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
  const match = /\r\ncontent-length: *(\d+)/i.exec(head);
  if (!match) throw new Error(`response without content-length (chunked answers are not supported): ${head}`);
  const length = end + headEnd.length + Number(match[1]);
  return data.length >= length ? { length, status } : undefined;
}

/**
 * Sends `requests` (in order, each once) over `connections` sockets to `port` on loopback for `seconds`,
 * or until the requests run out; counts the answers by status.
 */
export async function closedLoop(
  port: number,
  requests: readonly Buffer[],
  connections: number,
  seconds: number,
): Promise<ClosedLoopResult> {
  const statuses = new Map<number, number>();
  let answered = 0;
  let next = 0;
  let deadline = Number.POSITIVE_INFINITY;
  const run = (socket: Socket) =>
    new Promise<void>((resolve, reject) => {
      let pending: Buffer = Buffer.alloc(0);
      let waiting = false;
      const send = () => {
        if (next >= requests.length || performance.now() >= deadline) {
          socket.end();
          return resolve();
        }
        waiting = true;
        socket.write(requests[next++]!);
      };
      socket.on('data', (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        const response = completeResponse(pending);
        if (!response) return;
        if (response.length !== pending.length)
          return reject(new Error('bytes after a response on a connection with one request in flight'));
        pending = Buffer.alloc(0);
        waiting = false;
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        answered++;
        send();
      });
      socket.on('error', reject);
      socket.on('close', () =>
        waiting ? reject(new Error('the server closed a connection with a request in flight')) : resolve(),
      );
      send();
    });
  const sockets = await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(socket));
          socket.once('error', reject);
        }),
    ),
  );
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  deadline = start + seconds * 1000;
  try {
    await Promise.all(sockets.map(run));
  } finally {
    for (const socket of sockets) socket.destroy();
  }
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    statuses,
    answered,
    seconds: elapsed,
    generatorCpuUs: answered === 0 ? Number.NaN : (cpu.user + cpu.system) / answered,
  };
}
