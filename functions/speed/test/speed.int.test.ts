/**
 * The speed function under faas-js-runtime against the real local Cassandra (bash scripts/stack/stack.sh
 * up; ULA_CASSANDRA_CONTACT_POINTS, default 127.0.0.1). Events go over HTTP; each window's numbers are
 * read back from Cassandra and compared with the independent computation in oracle.ts.
 *
 * Runs never see each other's rows: the exactness tests place their events on a past day picked per run
 * (with the allowed lateness raised so those windows accept them), and the real-clock lateness tests use
 * a video id unique to the run.
 */
import { CassandraViewStore, type LmsEvent, loadConfig } from '@ula/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makers, mixedEvents, random } from './events.ts';
import { buildFunction, type RunningFunction, startFunction } from './function-process.ts';
import { pool, post } from './http.ts';
import { expectedViews, rowKey } from './oracle.ts';
import { readViews, sorted } from './read-views.ts';
import { TcpProxy } from './tcp-proxy.ts';

const minute = 60_000;
const contact = (process.env['ULA_CASSANDRA_CONTACT_POINTS'] ?? '127.0.0.1').split(',')[0]!;
const [cassandraHost, cassandraPort] = [contact.split(':')[0]!, Number(contact.split(':')[1] ?? 9042)];
/** 10:00 local time on a past day chosen by the run (even days; the outage test uses the odd day after). */
const runDay = Date.UTC(2001, 0, 1) + (Math.floor(Date.now() / 1000) % 4000) * 2 * 86_400_000 + 3 * 3_600_000;
const centuries = String(100 * 365 * 86_400);

let proxy: TcpProxy;
let fn: RunningFunction;
let realtime: RunningFunction;
let store: CassandraViewStore;

const sendAll = (f: RunningFunction, events: readonly LmsEvent[], concurrency = 64) =>
  pool(events, concurrency, (e) => post(f.url, e));

beforeAll(async () => {
  buildFunction();
  proxy = new TcpProxy(cassandraHost, cassandraPort);
  await proxy.open();
  const base = { ULA_TIMEZONE: 'Asia/Ho_Chi_Minh', ULA_CASSANDRA_KEYSPACE: 'lms_analytics' };
  [fn, realtime] = await Promise.all([
    startFunction({
      ...base,
      ULA_CASSANDRA_CONTACT_POINTS: `127.0.0.1:${proxy.port}`,
      ULA_SPEED_ALLOWED_LATENESS_SECONDS: centuries,
    }),
    // A TTL other than the tables' default (3 days): written per row with USING TTL.
    startFunction({ ...base, ULA_CASSANDRA_CONTACT_POINTS: contact, ULA_SPEED_TTL_SECONDS: '7200' }),
  ]);
  const config = loadConfig({ ...process.env, ULA_CASSANDRA_CONTACT_POINTS: contact });
  store = new CassandraViewStore(config.cassandra!);
});

afterAll(async () => {
  await Promise.all([fn?.stop(), realtime?.stop()]);
  await store?.close();
  await proxy?.cut();
});

describe('speed function on Cassandra', { timeout: 300_000 }, () => {
  const events = mixedEvents(2000, runDay, runDay + 8 * minute, 21);

  it('keeps each window exactly equal to an independent computation', async () => {
    const replies = await sendAll(fn, events);
    expect(replies.filter((r) => r.status !== 200)).toEqual([]);
    const expected = expectedViews(events);
    expect(expected.size).toBeGreaterThan(300);
    expect(sorted(await readViews(store, expected))).toEqual(sorted(expected));
    // Speed rows expire: written with the 3-day TTL (ULA_SPEED_TTL_SECONDS).
    const ttl = await store.client.execute(
      'SELECT TTL(value) AS ttl FROM video_engagement WHERE window_start = ? LIMIT 1',
      [new Date(Math.floor(runDay / minute) * minute)],
      { prepare: true },
    );
    expect(ttl.rows[0]?.['ttl']).toBeGreaterThan(259_200 - 600);
    expect(ttl.rows[0]?.['ttl']).toBeLessThanOrEqual(259_200);
  });

  it('changes nothing when the same events are redelivered, by the same or a restarted process', async () => {
    const expected = expectedViews(events);
    const shuffled = [...events].sort(() => random(5)() - 0.5);
    const again = await sendAll(fn, shuffled);
    expect(new Set(again.map((r) => r.body['status']))).toEqual(new Set(['duplicate']));
    await fn.stop();
    fn = await startFunction({
      ULA_CASSANDRA_CONTACT_POINTS: `127.0.0.1:${proxy.port}`,
      ULA_SPEED_ALLOWED_LATENESS_SECONDS: centuries,
    });
    const rewritten = await sendAll(fn, shuffled.slice(0, 700));
    expect(rewritten.filter((r) => r.status !== 200)).toEqual([]);
    expect(sorted(await readViews(store, expected))).toEqual(sorted(expected));
  });

  it('puts events exactly on a window boundary into the window starting there', async () => {
    const boundary = runDay + 30 * minute;
    const rnd = random(31);
    const onBoundary = makers['VIDEO_WATCHED']!(rnd, boundary);
    const justBefore = { ...makers['VIDEO_WATCHED']!(rnd, boundary - 1), data: onBoundary.data };
    const login = makers['LOGIN']!(rnd, boundary + 30_000);
    for (const e of [onBoundary, justBefore, login]) expect((await post(fn.url, e)).status).toBe(200);
    const video = String(onBoundary.data['video_id']);
    const got = await readViews(
      store,
      new Map(),
      new Map([
        ['video_engagement', [boundary - minute, boundary]],
        ['active_users', [boundary - 30_000, boundary, boundary + 30_000]],
      ]),
    );
    expect(got.get(rowKey('video_engagement', boundary, [video]))?.['views']).toBe(1);
    expect(got.get(rowKey('video_engagement', boundary - minute, [video]))?.['views']).toBe(1);
    expect(got.get(rowKey('active_users', boundary - 30_000))).toBeUndefined();
    expect(got.get(rowKey('active_users', boundary))).toEqual({ active_users: 1 });
    expect(got.get(rowKey('active_users', boundary + 30_000))).toEqual({ active_users: 1 });
  });

  it('updates a closed window within the allowed lateness, answers too_late after it, rejects the future', async () => {
    const video = `VID-RUN-${Date.now()}`;
    const at = (ms: number) => ({
      ...makers['VIDEO_WATCHED']!(random(41), ms),
      data: { ...makers['VIDEO_WATCHED']!(random(41), ms).data, video_id: video },
    });
    const now = Date.now();
    const late = at(now - 9.5 * minute);
    const veryLate = at(now - 15 * minute);
    const future = at(now + 5 * minute);
    const [lateReply, veryLateReply, futureReply] = [
      await post(realtime.url, late),
      await post(realtime.url, veryLate),
      await post(realtime.url, future),
    ];
    expect([lateReply.status, lateReply.body['status']]).toEqual([200, 'late']);
    expect([veryLateReply.status, veryLateReply.body['status']]).toEqual([200, 'too_late']);
    expect(veryLateReply.body['tooLateViews']).toEqual(['video_engagement', 'course_popularity']);
    expect([futureReply.status, futureReply.body['error'], futureReply.body['field']]).toEqual([
      400,
      'invalid_attribute',
      'time',
    ]);
    const windows = [late, veryLate].map((e) => Math.floor(Date.parse(e.time) / minute) * minute);
    const got = await readViews(store, new Map(), new Map([['video_engagement', windows]]));
    expect(got.get(rowKey('video_engagement', windows[0]!, [video]))?.['views']).toBe(1);
    expect(got.get(rowKey('video_engagement', windows[1]!, [video]))).toBeUndefined();
    const ttl = await store.client.execute(
      'SELECT TTL(value) AS ttl FROM video_engagement WHERE window_start = ? AND video_id = ? LIMIT 1',
      [new Date(windows[0]!), video],
      { prepare: true },
    );
    expect(ttl.rows[0]?.['ttl']).toBeGreaterThan(7200 - 600);
    expect(ttl.rows[0]?.['ttl']).toBeLessThanOrEqual(7200);
    const metrics = await (await fetch(`${realtime.url}/metrics`)).text();
    expect(metrics).toMatch(
      /ula_speed_late_events_total\{[^}]*view="video_engagement"[^}]*lateness="too_late"[^}]*\} [1-9]/,
    );
    expect(metrics).toMatch(/ula_speed_events_total\{[^}]*outcome="late"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/ula_speed_write_seconds_count/);
  });

  it('answers bad input over HTTP with 4xx and the JSON error contract', async () => {
    const good = makers['LOGIN']!(random(51), runDay);
    const ce = {
      'ce-specversion': '1.0',
      'ce-id': good.id,
      'ce-type': 'edu.lms.auth.login',
      'ce-source': '/lms/auth',
      'ce-time': good.time,
      'content-type': 'application/json',
    };
    const cases: [RequestInit, number, string][] = [
      [{ method: 'POST', headers: ce, body: '{"user_id":' }, 400, 'invalid_json'],
      [
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' },
        400,
        'not_a_cloudevent',
      ],
      [
        { method: 'POST', headers: { ...ce, 'ce-source': '/lms/video' }, body: JSON.stringify(good.data) },
        400,
        'invalid_attribute',
      ],
      [{ method: 'POST', headers: ce, body: JSON.stringify({ user_id: 'SV001' }) }, 422, 'invalid_data'],
      [
        { method: 'POST', headers: ce, body: JSON.stringify({ ...good.data, pad: 'x'.repeat(1_100_000) }) },
        413,
        'too_large',
      ],
    ];
    for (const [init, status, error] of cases) {
      const response = await fetch(fn.url, init);
      const body = (await response.json()) as Record<string, unknown>;
      expect([response.status, body['error']]).toEqual([status, error]);
      expect(Object.keys(body).sort()).toEqual(['error', 'field', 'message', 'rule']);
    }
    expect((await fetch(`${fn.url}/health/liveness`)).status).toBe(200);
  });

  it('answers 503 while Cassandra is unreachable, then is exact after recovery and redelivery', async () => {
    const outage = mixedEvents(300, runDay + 86_400_000, runDay + 86_400_000 + 3 * minute, 61);
    await proxy.cut();
    const during = await sendAll(fn, outage, 32);
    const withFacts = during.filter((r) => r.status !== 200 || (r.body['facts'] as number) > 0);
    expect(withFacts.length).toBeGreaterThan(250);
    expect(new Set(withFacts.map((r) => r.status))).toEqual(new Set([503]));
    expect(withFacts[0]!.body['error']).toBe('unavailable');
    await proxy.open();
    // Redeliver as Knative would (retry with backoff) until every event is acknowledged.
    let pending = outage;
    const deadline = Date.now() + 90_000;
    while (pending.length > 0 && Date.now() < deadline) {
      const replies = await sendAll(fn, pending, 32);
      pending = pending.filter((_, i) => replies[i]!.status !== 200);
      if (pending.length > 0) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(pending).toEqual([]);
    const expected = expectedViews(outage);
    expect(sorted(await readViews(store, expected))).toEqual(sorted(expected));
  });
});
