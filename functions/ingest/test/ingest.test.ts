/**
 * The ingest function under faas-js-runtime (started in-process on a free port) with the embedded
 * local-directory lake: valid events land once in Parquet; every kind of bad input gets its 4xx JSON
 * error and a dead-letter record; the lake is readable by DuckDB.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { LocalDirStore } from '@ula/core/adapters/local-dir';
import type { ObjectStore } from '@ula/core/adapters/object-store';
import { readDeadLetters } from '@ula/core/lake/dead-letter';
import { readRawEvents } from '@ula/core/lake/raw-lake';
import { start } from 'faas-js-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fn from '../src/index.ts';
import { Ingest } from '../src/ingest.ts';
import { ingestMetrics } from '../src/metrics.ts';
import { loadIngestSettings } from '../src/settings.ts';
import { binaryRequest, type HttpRequest, post, sampleEvent, structuredRequest } from './events.ts';

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

async function allRaw(store: ObjectStore) {
  const files = await store.list('raw/');
  return { files, events: (await Promise.all(files.map((f) => readRawEvents(store, f.key)))).flat() };
}

let dir: string;
let store: LocalDirStore;
let server: Server;
let url: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ula-ingest-'));
  delete process.env['ULA_S3_ENDPOINT'];
  process.env['ULA_DATA_DIR'] = dir;
  // These tests send requests one or a few at a time: no linger (the policy has tests of its own).
  process.env['ULA_INGEST_LINGER_MS'] = '0';
  process.env['FUNC_BODY_LIMIT'] = '';
  store = new LocalDirStore(join(dir, 'lake'));
  const port = await freePort();
  server = await start(fn as never, { port, logLevel: 'silent' } as never);
  url = `http://127.0.0.1:${port}/`;
});

afterAll(async () => {
  await fn.shutdown();
  await new Promise((r) => server.close(r));
  process.env = savedEnv;
  await rm(dir, { recursive: true, force: true });
});

describe('ingest over HTTP (faas-js-runtime, local-dir lake)', () => {
  it('writes binary and structured events to raw/<category>/date=/hour= (UTC) exactly once', async () => {
    const events = Array.from({ length: 60 }, (_, i) => sampleEvent(i));
    const answers = await Promise.all(
      events.map((e, i) => post(url, i % 2 ? binaryRequest(e) : structuredRequest(e))),
    );
    expect(answers.map((a) => a.status)).toEqual(events.map(() => 204));
    const { files, events: stored } = await allRaw(store);
    // 60 concurrent requests, 3 (category, hour) groups: coalesced into far fewer files than events.
    expect(files.length).toBeLessThan(20);
    for (const f of files)
      expect(f.key).toMatch(/^raw\/(auth|video)\/date=2026-11-01\/hour=0[0-2]\/[0-9a-f]{32}\.parquet$/);
    expect(stored.map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
    const byId = new Map(stored.map((e) => [e.id, e]));
    for (const e of events) {
      expect(byId.get(e.id)).toMatchObject({
        category: e.category,
        eventType: e.eventType,
        time: e.time,
        data: e.data,
      });
    }
  });

  it('partitions by the UTC hour of the event time', async () => {
    const e = sampleEvent(1, new Date('2026-11-02T23:59:59.999+00:00'));
    expect((await post(url, binaryRequest({ ...e, time: '2026-11-03T06:59:59.999+07:00' }))).status).toBe(
      204,
    );
    const files = await store.list('raw/video/date=2026-11-02/hour=23/');
    expect(files).toHaveLength(1);
  });

  it('is readable by DuckDB with hive partitioning', async () => {
    const db = await DuckDBInstance.create();
    const c = await db.connect();
    const r = await c.runAndReadAll(
      `select category, count(*)::int n, count(distinct event_id)::int ids, min(typeof(event_time)) t,
              min(date) d, sum(case when course_id is null then 1 else 0 end)::int no_course
         from read_parquet('${store.root}/raw/*/*/*/*.parquet', hive_partitioning = true)
        group by category order by category`,
    );
    const rows = r.getRowObjectsJson();
    expect(rows.map((x) => x['category'])).toEqual(['auth', 'video']);
    expect(rows.reduce((a, x) => a + Number(x['n']), 0)).toBe(61);
    expect(rows.every((x) => x['n'] === x['ids'])).toBe(true);
    expect(rows[0]!['t']).toBe('TIMESTAMP WITH TIME ZONE');
    expect(rows[0]!['no_course']).toBe(rows[0]!['n']); // auth events carry no course
    c.closeSync();
  });

  const ok = sampleEvent(0);
  const good = binaryRequest(ok);
  const withHeaders = (h: Record<string, string | undefined>, body = good.body): HttpRequest => {
    const headers = { ...good.headers, ...h } as Record<string, string>;
    for (const [k, v] of Object.entries(h)) if (v === undefined) delete headers[k];
    return { headers, body };
  };
  const cases: [string, HttpRequest, number, string, string][] = [
    ['binary body not JSON', withHeaders({}, '{"user_id": '), 400, 'invalid_json', 'data'],
    [
      'structured body not JSON',
      { headers: { 'content-type': 'application/cloudevents+json' }, body: '{"id":' },
      400,
      'invalid_json',
      'body',
    ],
    [
      'plain JSON, no CloudEvent headers',
      { headers: { 'content-type': 'application/json' }, body: good.body },
      400,
      'not_a_cloudevent',
      'ce-id',
    ],
    [
      'text body, no content type',
      { headers: { 'content-type': 'text/plain' }, body: 'hello' },
      400,
      'not_a_cloudevent',
      'ce-id',
    ],
    ['missing ce-type', withHeaders({ 'ce-type': undefined }), 400, 'invalid_attribute', 'type'],
    ['missing ce-source', withHeaders({ 'ce-source': undefined }), 400, 'invalid_attribute', 'source'],
    ['bad specversion', withHeaders({ 'ce-specversion': '0.1' }), 400, 'invalid_attribute', 'specversion'],
    ['id not a UUID', withHeaders({ 'ce-id': 'abc' }), 400, 'invalid_attribute', 'id'],
    ['unknown type', withHeaders({ 'ce-type': 'edu.lms.auth.teleport' }), 400, 'unknown_type', 'type'],
    [
      'schema violation',
      withHeaders({}, JSON.stringify({ ...ok.data, role: 'admin' })),
      422,
      'invalid_data',
      'data.role',
    ],
    ['empty body', withHeaders({}, ''), 422, 'invalid_data', 'data'],
    [
      'batch mode',
      { headers: { 'content-type': 'application/cloudevents-batch+json' }, body: '[]' },
      400,
      'not_a_cloudevent',
      'content-type',
    ],
    ['body over the limit', withHeaders({}, `{"x":"${'a'.repeat(1_100_000)}"}`), 413, 'too_large', 'body'],
  ];

  it.each(cases)(
    'rejects %s with a JSON error and dead-letters it',
    async (_name, request, status, reason, field) => {
      const marker = `m-${Math.random()}`;
      const answer = await post(url, {
        ...request,
        headers: { ...request.headers, 'x-test-marker': marker },
      });
      expect(answer.status).toBe(status);
      expect(answer.body).toMatchObject({ error: reason, field });
      expect(answer.body).toHaveProperty('rule');
      expect(answer.body).toHaveProperty('message');
      const letters = (await readDeadLetters(store)).filter((d) => d.headers['x-test-marker'] === marker);
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({
        reason,
        field,
        status,
        rule: (answer.body as { rule: string }).rule,
      });
      if (status !== 413) expect(letters[0]!.body).toBe(request.body);
      expect(Date.parse(letters[0]!.received_at)).toBeGreaterThan(Date.now() - 60_000);
    },
  );

  it("never runs the runtime's CloudEvents SDK on a request (no ValidationError per valid event)", async () => {
    const require = createRequire(import.meta.url);
    const sdk = createRequire(require.resolve('faas-js-runtime'))('cloudevents') as {
      HTTP: { isEvent: (m: unknown) => boolean; toEvent: (m: unknown) => unknown };
    };
    const original = { isEvent: sdk.HTTP.isEvent, toEvent: sdk.HTTP.toEvent };
    let calls = 0;
    sdk.HTTP.isEvent = (m) => {
      calls++;
      return original.isEvent(m);
    };
    sdk.HTTP.toEvent = (m) => {
      calls++;
      return original.toEvent(m);
    };
    try {
      expect((await post(url, binaryRequest(sampleEvent(4)))).status).toBe(204);
      expect((await post(url, structuredRequest(sampleEvent(5)))).status).toBe(204);
    } finally {
      Object.assign(sdk.HTTP, original);
    }
    expect(calls).toBe(0);
  });

  it('answers 405 to GET without dead-lettering', async () => {
    const res = await fetch(url);
    expect(res.status).toBe(405);
    expect(await res.json()).toMatchObject({ error: 'method_not_allowed' });
  });

  it('reports readiness from the lake and serves its metrics on /metrics', async () => {
    expect((await fetch(`${url}health/readiness`)).status).toBe(200);
    const text = await (await fetch(`${url}metrics`)).text();
    expect(text).toMatch(/ula_ingest_events_accepted_total\{type="LOGIN",function="ingest"\} \d+/);
    expect(text).toMatch(
      /ula_ingest_events_rejected_total\{reason="invalid_data",type="edu.lms.auth.login",function="ingest"\} 2/,
    );
    // Lake files and bytes, valid events (raw) and dead letters.
    expect(text).toMatch(/ula_ingest_files_written_total\{kind="raw",function="ingest"\} [1-9]/);
    expect(text).toMatch(/ula_ingest_bytes_written_total\{kind="raw",function="ingest"\} [1-9]/);
    expect(text).toMatch(/ula_ingest_files_written_total\{kind="dead_letter",function="ingest"\} [1-9]/);
    expect(text).toMatch(/ula_ingest_bytes_written_total\{kind="dead_letter",function="ingest"\} [1-9]/);
    expect(text).toContain('faas_invocations'); // the runtime's own metrics are still there
  });
});

/** A store whose writes fail while `down` is set. */
class FlakyStore extends LocalDirStore {
  down = false;
  override async put(key: string, body: Uint8Array): Promise<void> {
    if (this.down) throw new Error('connect ECONNREFUSED');
    return super.put(key, body);
  }
  override async health(): Promise<void> {
    if (this.down) throw new Error('connect ECONNREFUSED');
  }
}

describe('ingest service when the lake is not writable', () => {
  it('answers 503 (nothing acknowledged), and the retried events are written once after recovery', async () => {
    const flaky = new FlakyStore(join(dir, 'flaky'));
    const ingest = new Ingest(flaky, loadIngestSettings({ ULA_INGEST_LINGER_MS: '0' }), ingestMetrics());
    const events = Array.from({ length: 10 }, (_, i) => sampleEvent(i));
    const request = (e: (typeof events)[number]) => {
      const r = binaryRequest(e);
      return { method: 'POST', headers: r.headers, body: Buffer.from(r.body) };
    };
    flaky.down = true;
    const down = await Promise.all(events.map((e) => ingest.handle(request(e))));
    expect(down.map((a) => a?.statusCode)).toEqual(events.map(() => 503));
    expect(down[0]?.body).toMatchObject({ error: 'unavailable' });
    // A bad event cannot be dead-lettered either: 503, not 4xx.
    const bad = await ingest.handle({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(bad?.statusCode).toBe(503);
    await expect(ingest.health()).rejects.toThrow();
    expect(await flaky.list('')).toEqual([]);

    flaky.down = false;
    const up = await Promise.all(events.map((e) => ingest.handle(request(e))));
    expect(up).toEqual(events.map(() => undefined));
    const { events: stored } = await allRaw(flaky);
    expect(stored.map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
    await ingest.close();
  });

  it('shutdown flushes pending events before it resolves', async () => {
    const s = new LocalDirStore(join(dir, 'shutdown'));
    const ingest = new Ingest(
      s,
      { ...loadIngestSettings({ ULA_INGEST_LINGER_MS: '0' }), idleMs: 60_000, maxAgeMs: 60_000 },
      ingestMetrics(),
    );
    const e = sampleEvent(3);
    const r = binaryRequest(e);
    const answer = ingest.handle({ method: 'POST', headers: r.headers, body: r.body });
    await new Promise((res) => setTimeout(res, 20));
    expect(await s.list('raw/')).toEqual([]);
    await ingest.close();
    expect(await answer).toBeUndefined();
    expect((await allRaw(s)).events.map((x) => x.id)).toEqual([e.id]);
    const after = await ingest.handle({ method: 'POST', headers: r.headers, body: r.body });
    expect(after?.statusCode).toBe(503);
  });
});
