/**
 * The built ingest bundle under faas-js-runtime as a child process, writing to the real S3 (through a TCP
 * proxy the test can cut), read back directly from S3 and through Trino.
 * Needs the local stack: bash scripts/stack/stack.sh up.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { S3Store } from '@ula/core/adapters/s3';
import type { Category, LmsEvent } from '@ula/core/events/envelope';
import { type DeadLetter, readDeadLetters } from '@ula/core/lake/dead-letter';
import { readRawEvents } from '@ula/core/lake/raw-lake';
import { ensureRawTables, rawLakeFirstDate, trinoClient, trinoQuery } from '@ula/core/lake/trino-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackTrinoAccess } from '../../../scripts/stack/trino-credentials.ts';
import { binaryRequest, type HttpRequest, post, sampleEvent, structuredRequest } from './events.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const S3_ENDPOINT = process.env['ULA_S3_ENDPOINT'] || 'http://127.0.0.1:9000';
const BUCKET = process.env['ULA_S3_BUCKET'] || 'lake';
const AWS = {
  AWS_ACCESS_KEY_ID: process.env['AWS_ACCESS_KEY_ID'] || 'ula-local-access',
  AWS_SECRET_ACCESS_KEY: process.env['AWS_SECRET_ACCESS_KEY'] || 'ula-local-secret-key',
};
Object.assign(process.env, AWS);
const s3Url = new URL(S3_ENDPOINT);

// A date of its own per run keeps this run's partitions apart (afterAll deletes every raw file of that date):
// a random day of the first half of the first projected year (2026-01-01 .. 2026-06-28), which Trino's
// partition projection covers (it stops at tomorrow). trino-lake.int.test.ts takes its days from the second half.
const day = new Date(Date.parse(`${rawLakeFirstDate}T00:00:00Z`) + randomInt(179) * 86_400_000);
const date = day.toISOString().slice(0, 10);
const at = (i: number) => new Date(day.getTime() + (i % 4) * 3_600_000 + i);
const RUN = `run-${Date.now().toString(36)}`;

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/** A TCP proxy to S3 that can be cut (closing every connection) and restored on the same port. */
class CuttableProxy {
  private server: Server | undefined;
  private sockets = new Set<Socket>();
  constructor(readonly port: number) {}
  async open(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(Number(s3Url.port), s3Url.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
  }
  async cut(): Promise<void> {
    const closed = new Promise((r) => this.server?.close(r));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

interface Fn {
  proc: ChildProcess;
  url: string;
  log: string[];
}

async function startFunction(env: Record<string, string>): Promise<Fn> {
  const port = await freePort();
  const log: string[] = [];
  const proc = spawn(
    process.execPath,
    ['../../node_modules/faas-js-runtime/bin/cli.js', './build/index.js'],
    {
      cwd: `${root}functions/ingest`,
      env: {
        ...process.env,
        ...AWS,
        FUNC_PORT: String(port),
        FUNC_LOG_LEVEL: 'warn',
        ULA_S3_BUCKET: BUCKET,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  proc.stdout?.on('data', (d) => log.push(String(d)));
  proc.stderr?.on('data', (d) => log.push(String(d)));
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}health/liveness`)).ok) return { proc, url, log };
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`function did not start:\n${log.join('')}`);
}

const store = new S3Store({ bucket: BUCKET, endpoint: S3_ENDPOINT, region: 'us-east-1' });

async function lakeEvents(): Promise<LmsEvent[]> {
  const out: LmsEvent[] = [];
  for (const category of ['auth', 'video'] as Category[]) {
    for (const f of await store.list(`raw/${category}/date=${date}/`))
      out.push(...(await readRawEvents(store, f.key)));
  }
  return out;
}

const ids = (events: { id: string }[]) => events.map((e) => e.id).sort();
const marked = (r: HttpRequest): HttpRequest => ({ ...r, headers: { ...r.headers, 'x-test-run': RUN } });

let proxy: CuttableProxy;
let fn: Fn;
const acknowledged: LmsEvent[] = [];

beforeAll(async () => {
  await store.health().catch((e) => {
    throw new Error(`S3 not reachable at ${S3_ENDPOINT} (bash scripts/stack/stack.sh up): ${e}`);
  });
  execFileSync(process.execPath, ['scripts/build-functions.mjs', 'ingest'], { cwd: root });
  proxy = new CuttableProxy(await freePort());
  await proxy.open();
  fn = await startFunction({
    ULA_S3_ENDPOINT: `http://127.0.0.1:${proxy.port}`,
    // Requests here come one or a few at a time: no linger, so each answer is quick.
    ULA_INGEST_LINGER_MS: '0',
    ULA_INGEST_MAX_AGE_MS: '500',
  });
});

afterAll(async () => {
  fn?.proc.kill('SIGKILL');
  await proxy?.cut();
  for (const o of await store.list('raw/')) if (o.key.includes(`/date=${date}/`)) await store.delete(o.key);
  // Dead letters of this run: the function process was ours alone, so files holding only our records.
  for (const o of await store.list(`dead-letter/date=${new Date().toISOString().slice(0, 10)}/`)) {
    const text = new TextDecoder().decode((await store.get(o.key)) ?? new Uint8Array());
    const records = text
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as DeadLetter);
    if (records.length > 0 && records.every((r) => r.headers['x-test-run'] === RUN))
      await store.delete(o.key);
  }
  store.close();
});

describe('ingest against real S3 and Trino', () => {
  it('writes every accepted event (binary and structured) exactly once and dead-letters every rejected one', async () => {
    const events = Array.from({ length: 400 }, (_, i) => sampleEvent(i, at(i)));
    const answers = await Promise.all(
      events.map((e, i) => post(fn.url, marked(i % 2 ? binaryRequest(e) : structuredRequest(e)))),
    );
    expect(answers.filter((a) => a.status !== 204)).toEqual([]);
    acknowledged.push(...events);

    const good = binaryRequest(sampleEvent(0, at(0)));
    const bad: [HttpRequest, number, string][] = [
      [{ ...good, body: '{"user_id":' }, 400, 'invalid_json'],
      [{ ...good, headers: { ...good.headers, 'ce-type': 'edu.lms.auth.teleport' } }, 400, 'unknown_type'],
      [{ headers: { 'content-type': 'application/json' }, body: good.body }, 400, 'not_a_cloudevent'],
      [{ ...good, body: '{"user_id":"SV1","role":"admin"}' }, 422, 'invalid_data'],
      [{ ...good, body: `"${'x'.repeat(1_100_000)}"` }, 413, 'too_large'],
    ];
    const rejected = await Promise.all(bad.map(([r]) => post(fn.url, marked(r))));
    expect(rejected.map((r) => r.status)).toEqual(bad.map(([, s]) => s));

    const stored = await lakeEvents();
    expect(ids(stored)).toEqual(ids(events));
    const byId = new Map(stored.map((e) => [e.id, e]));
    for (const e of events)
      expect(byId.get(e.id)).toMatchObject({ time: e.time, data: e.data, eventType: e.eventType });

    const letters = (await readDeadLetters(store, new Date().toISOString().slice(0, 10))).filter(
      (d: DeadLetter) => d.headers['x-test-run'] === RUN,
    );
    expect(letters.map((d) => d.reason).sort()).toEqual(bad.map(([, , reason]) => reason).sort());
  });

  it('is queryable through Trino (lake.raw.<category>, lake.events.<category>) with no partition sync', async () => {
    const trino = trinoClient(stackTrinoAccess('ula_admin'));
    await ensureRawTables(trino, { bucket: BUCKET });
    for (const category of ['auth', 'video'] as const) {
      const expected = acknowledged.filter((e) => e.category === category);
      expect(expected.length).toBeGreaterThan(0);
      const [[n, distinct]] = (await trinoQuery(
        trino,
        `SELECT count(*), count(DISTINCT event_id) FROM lake.raw.${category} WHERE date = '${date}'`,
      )) as [[number, number]];
      expect([n, distinct]).toEqual([expected.length, expected.length]);
      const [[events]] = (await trinoQuery(
        trino,
        `SELECT count(*) FROM lake.events.${category} WHERE date = '${date}'`,
      )) as [[number]];
      expect(events).toBe(expected.length);
    }
    const e = acknowledged.find((x) => x.category === 'video')!;
    const rows = await trinoQuery(
      trino,
      `SELECT event_type, user_id, course_id, format_datetime(event_time, 'yyyy-MM-dd''T''HH:mm:ss.SSS'), hour,
              json_extract_scalar(data, '$.extra_field.nested[2]')
         FROM lake.raw.video WHERE date = '${date}' AND event_id = '${e.id}'`,
    );
    expect(rows).toEqual([
      ['VIDEO_WATCHED', e.data.user_id, e.data['course_id'], e.time.slice(0, 23), e.time.slice(11, 13), 'ü'],
    ]);
  });

  it('answers 5xx while S3 is down; after recovery the retried events are written, none lost or duplicated', async () => {
    const events = Array.from({ length: 30 }, (_, i) => sampleEvent(i, at(i)));
    await proxy.cut();
    const down = await Promise.all(events.map((e) => post(fn.url, binaryRequest(e))));
    expect(down.map((a) => a.status)).toEqual(events.map(() => 503));
    expect((await fetch(`${fn.url}health/readiness`)).status).toBe(503);
    await proxy.open();
    expect((await fetch(`${fn.url}health/readiness`)).status).toBe(200);
    // Knative redelivers what was not acknowledged.
    const up = await Promise.all(events.map((e) => post(fn.url, binaryRequest(e))));
    expect(up.map((a) => a.status)).toEqual(events.map(() => 204));
    acknowledged.push(...events);
    expect(ids(await lakeEvents())).toEqual(ids(acknowledged));
  });

  it('every acknowledged event is in the lake after SIGKILL with events pending', async () => {
    fn.proc.kill('SIGKILL');
    fn = await startFunction({
      ULA_S3_ENDPOINT: `http://127.0.0.1:${proxy.port}`,
      ULA_INGEST_IDLE_MS: '30', // keep batches pending a while, so the kill finds some
    });
    const acked: LmsEvent[] = [];
    let i = 1000;
    let running = true;
    let inFlight = 0;
    const sender = async () => {
      while (running) {
        const e = sampleEvent(i, at(i++));
        inFlight++;
        try {
          if ((await post(fn.url, binaryRequest(e))).status === 204) acked.push(e);
        } catch {
          return; // connection reset by the kill
        } finally {
          inFlight--;
        }
      }
    };
    const senders = Array.from({ length: 32 }, sender);
    const deadline = Date.now() + 30_000;
    while (acked.length < 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const pendingAtKill = inFlight;
    fn.proc.kill('SIGKILL');
    running = false;
    await Promise.all(senders);
    expect(acked.length).toBeGreaterThanOrEqual(200);
    expect(pendingAtKill).toBeGreaterThan(0); // requests were waiting for their group commit
    const stored = new Set(ids(await lakeEvents()));
    expect(acked.filter((e) => !stored.has(e.id))).toEqual([]);
    expect([...acknowledged, ...acked].every((e) => stored.has(e.id))).toBe(true);
  });
});
