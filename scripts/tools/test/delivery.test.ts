import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliver } from '../src/dispatch/delivery.ts';

// A real HTTP server whose answers are scripted per path.
const script = new Map<string, number[]>();
const hits = new Map<string, number>();
const server = createServer((req, res) => {
  const n = hits.get(req.url!) ?? 0;
  hits.set(req.url!, n + 1);
  if (req.url === '/hang') return; // never answers
  const statuses = script.get(req.url!) ?? [200];
  res.statusCode = statuses[Math.min(n, statuses.length - 1)]!;
  res.end(`answer ${res.statusCode}`);
});
let base = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

const policy = { retry: 3, backoffDelayMs: 1, timeoutMs: 1000 };
const post = (path: string) => (signal: AbortSignal) =>
  fetch(base + path, { method: 'POST', signal }).then(async (r) => ({
    status: r.status,
    body: await r.text(),
  }));

describe('delivery contract (Knative stand-in)', () => {
  it('retries 5xx and 429 until delivered', async () => {
    script.set('/flaky', [503, 429, 202]);
    expect(await deliver(post('/flaky'), policy)).toEqual({ delivered: true, status: 202, attempts: 3 });
  });

  it('does not retry a 4xx: the event goes to dead letter with the answer as reason', async () => {
    script.set('/bad', [422]);
    expect(await deliver(post('/bad'), policy)).toEqual({
      delivered: false,
      status: 422,
      reason: 'answer 422',
      attempts: 1,
    });
    expect(hits.get('/bad')).toBe(1);
  });

  it('gives up after the retry budget', async () => {
    script.set('/down', [500]);
    const outcome = await deliver(post('/down'), policy);
    expect(outcome).toMatchObject({ delivered: false, status: 500, attempts: 4 });
  });

  it('treats a refused connection as retryable', async () => {
    const outcome = await deliver(
      (signal) =>
        fetch('http://127.0.0.1:1/', { method: 'POST', signal }).then((r) => ({
          status: r.status,
          body: '',
        })),
      { ...policy, retry: 1 },
    );
    expect(outcome).toMatchObject({ delivered: false, status: undefined, attempts: 2 });
  });

  it('gives up on an attempt after its timeout and retries it', async () => {
    const outcome = await deliver(post('/hang'), { retry: 1, backoffDelayMs: 1, timeoutMs: 50 });
    expect(outcome).toMatchObject({ delivered: false, status: undefined, attempts: 2 });
    expect(hits.get('/hang')).toBe(2);
  });
});
