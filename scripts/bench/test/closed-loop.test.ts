import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closedLoop, encodePost } from '../closed-loop.ts';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A node:http server answering each POST by the status its body names; returns its port and the bodies seen. */
async function echoStatusServer(answer: (status: number, res: import('node:http').ServerResponse) => void) {
  const bodies: string[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      bodies.push(body);
      answer(Number(JSON.parse(body).status), res);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { port: (server!.address() as AddressInfo).port, bodies };
}

const statusAnswer = (status: number, res: import('node:http').ServerResponse) => {
  const body = JSON.stringify({ ok: status === 200 });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

const posts = (port: number, statuses: number[]) =>
  statuses.map((status, i) =>
    encodePost(
      `127.0.0.1:${port}`,
      '/',
      { 'content-type': 'application/json', 'ce-id': `e${i}` },
      JSON.stringify({ status, i }),
    ),
  );

describe('closedLoop', () => {
  it('sends every request once and counts the answers by status', async () => {
    const { port, bodies } = await echoStatusServer((status, res) => {
      const body = JSON.stringify({ ok: status === 200 });
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    });
    const statuses = Array.from({ length: 500 }, (_, i) => (i % 5 === 0 ? 503 : 200));
    const result = await closedLoop([{ port, requests: posts(port, statuses) }], 8, 30);
    expect(result.answered).toBe(500);
    expect(result.latencyMs.p50).toBeGreaterThan(0);
    expect(result.latencyMs.p99).toBeGreaterThanOrEqual(result.latencyMs.p50);
    expect(result.statuses.get(200)).toBe(400);
    expect(result.statuses.get(503)).toBe(100);
    expect(bodies.map((b) => JSON.parse(b).i).sort((a, b) => a - b)).toEqual(statuses.map((_, i) => i));
  });

  it('spreads the connections over several targets, each with its own requests', async () => {
    const first = await echoStatusServer(statusAnswer);
    const firstServer = server!;
    const second = await echoStatusServer(statusAnswer);
    try {
      const result = await closedLoop(
        [
          { port: first.port, requests: posts(first.port, Array(30).fill(200)) },
          { port: second.port, requests: posts(second.port, Array(20).fill(201)) },
        ],
        3,
        30,
      );
      expect(result.statuses).toEqual(
        new Map([
          [200, 30],
          [201, 20],
        ]),
      );
      expect([first.bodies.length, second.bodies.length]).toEqual([30, 20]);
    } finally {
      await new Promise((resolve) => firstServer.close(resolve));
    }
  });

  it('reassembles answers that arrive in pieces', async () => {
    const { port } = await echoStatusServer((status, res) => {
      res.writeHead(status, { 'content-length': 10 });
      res.write('01234');
      setTimeout(() => res.end('56789'), 5);
    });
    const result = await closedLoop([{ port, requests: posts(port, [200, 200, 201]) }], 2, 30);
    expect(result.answered).toBe(3);
    expect(result.statuses.get(201)).toBe(1);
  });

  it('reads answers without a body (204) back to back', async () => {
    const { port } = await echoStatusServer((status, res) => {
      res.writeHead(status, status === 204 ? {} : { 'content-length': 0 });
      res.end();
    });
    const result = await closedLoop([{ port, requests: posts(port, [204, 204, 200, 204]) }], 1, 30);
    expect(result.answered).toBe(4);
    expect(result.statuses.get(204)).toBe(3);
  });

  it('refuses chunked answers (it reads bodies by their length only)', async () => {
    const { port } = await echoStatusServer((status, res) => {
      res.writeHead(status);
      res.end('chunked');
    });
    await expect(closedLoop([{ port, requests: posts(port, [200]) }], 1, 30)).rejects.toThrow(
      /chunked answers/,
    );
  });

  it('fails loudly when the server drops a connection with a request in flight', async () => {
    const { port } = await echoStatusServer((_status, res) => res.socket?.destroy());
    await expect(closedLoop([{ port, requests: posts(port, [200]) }], 1, 30)).rejects.toThrow(
      /closed a connection/,
    );
  });
});
