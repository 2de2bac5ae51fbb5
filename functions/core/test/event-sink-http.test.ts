/** The HTTP event sink (KafkaSink per category) against a server on loopback: what it posts, retries, refuses. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventSinkError, HttpEventSink } from '../src/adapters/event-sink-http.ts';
import type { LmsEvent } from '../src/events/envelope.ts';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let base = '';
const received: Received[] = [];
/** Answers per request in order; empty: 202. */
const answers: number[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(answers.shift() ?? 202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => {
  received.length = 0;
  answers.length = 0;
});

const login = (n: number): LmsEvent => ({
  id: `0192f3a4-5b6c-7d8e-9f01-${String(n).padStart(12, '0')}`,
  category: n % 2 === 0 ? 'auth' : 'video',
  eventType: n % 2 === 0 ? 'LOGIN' : 'VIDEO_WATCHED',
  time: new Date(Date.UTC(2030, 0, 1, 0, 0, n)).toISOString(),
  data: { user_id: `SV${n}`, role: 'student', n },
});

describe('HttpEventSink', () => {
  it('posts each event once as a binary CloudEvent to its category URL', async () => {
    const sink = new HttpEventSink({ urlTemplate: `${base}/ns/{category}-sink?x=1`, concurrency: 4 });
    const events = Array.from({ length: 30 }, (_, n) => login(n));
    await sink.send(events);
    await sink.close();
    expect(received.map((r) => r.headers['ce-id']).sort()).toEqual(events.map((e) => e.id).sort());
    const first = received.find((r) => r.headers['ce-id'] === events[0]!.id)!;
    expect(first.path).toBe('/ns/auth-sink?x=1');
    expect(first.headers['ce-specversion']).toBe('1.0');
    expect(first.headers['ce-subject']).toBe('SV0');
    expect(first.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(first.body)).toEqual(events[0]!.data);
    expect(received.find((r) => r.headers['ce-id'] === events[1]!.id)!.path).toBe('/ns/video-sink?x=1');
  });

  it('retries 503 and 429 with back-off until accepted', async () => {
    answers.push(503, 429);
    const sink = new HttpEventSink({ urlTemplate: `${base}/{category}`, backoffMs: 1 });
    await sink.send([login(2)]);
    await sink.close();
    expect(received.map((r) => r.headers['ce-id'])).toEqual(Array(3).fill(login(2).id));
  });

  it('fails at once on a 400, and after the last attempt on 5xx, naming the event and the answer', async () => {
    const sink = new HttpEventSink({ urlTemplate: `${base}/{category}`, backoffMs: 1, attempts: 3 });
    answers.push(400);
    await expect(sink.send([login(4)])).rejects.toThrow(EventSinkError);
    expect(received).toHaveLength(1);
    answers.push(500, 500, 500);
    await expect(sink.send([login(6)])).rejects.toThrow(
      `event ${login(6).id} (auth) not accepted by ${base}/auth: HTTP 500`,
    );
    expect(received).toHaveLength(4);
    await sink.close();
  });

  it('fails after its attempts when nothing listens', async () => {
    const sink = new HttpEventSink({
      urlTemplate: 'http://127.0.0.1:1/{category}',
      backoffMs: 1,
      attempts: 2,
    });
    await expect(sink.send([login(8)])).rejects.toThrow(/not accepted by http:\/\/127\.0\.0\.1:1\/auth/);
    await sink.close();
  });
});
