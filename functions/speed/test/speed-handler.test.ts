import {
  type LmsEvent,
  openSqliteViewStore,
  speedTable,
  speedViews,
  toHttpBinary,
  toHttpStructured,
  type ViewStore,
} from '@ula/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSpeedSettings } from '../src/settings.ts';
import { type Logger, SpeedHandler } from '../src/speed-handler.ts';
import { SpeedWriter } from '../src/speed-writer.ts';
import { makers, mixedEvents, random } from './events.ts';
import { expectedViews, rowKey } from './oracle.ts';
import { readViews, sorted } from './read-views.ts';

const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };
const minute = 60_000;
/** The function's clock in these tests: 12:00:10 UTC. */
const now = Date.parse('2026-11-02T12:00:10.000Z');
const lateness = 600_000;

const request = (event: LmsEvent) => {
  const message = toHttpBinary(event);
  return { method: 'POST', headers: message.headers as Record<string, string>, body: message.body };
};

/** Counts upserts and can be switched to fail, around a real SQLite store. */
class FlakyStore {
  failing = false;
  upserts = 0;
  constructor(readonly inner: ViewStore) {}
  asStore(): ViewStore {
    return new Proxy(this.inner, {
      get: (target, name) => {
        if (name === 'upsert')
          return async (...args: Parameters<ViewStore['upsert']>) => {
            this.upserts++;
            if (this.failing) throw new Error('connection refused (test)');
            return target.upsert(...args);
          };
        const value = Reflect.get(target, name);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }
}

let flaky: FlakyStore;
let store: ViewStore;
const newHandler = (clock = () => now) => {
  const settings = loadSpeedSettings({ ULA_DATA_DIR: ':memory:' });
  return new SpeedHandler(new SpeedWriter(store, settings), settings, quiet, clock);
};

beforeEach(async () => {
  flaky = new FlakyStore(openSqliteViewStore(':memory:'));
  store = flaky.asStore();
  await store.ensureTables(speedViews.map(speedTable));
});
afterEach(async () => store.close());

/** Windows accepted by the lateness policy at `now` (window end + allowed lateness not yet passed). */
const openAt = (clock: number) => (_view: string, _start: number, end: number) => clock <= end + lateness;

describe('speed handler', () => {
  it('keeps every view exact: numbers per window equal an independent computation', async () => {
    const events = mixedEvents(1500, now - 8 * minute, now, 7);
    const handler = newHandler();
    const answers = await Promise.all(events.map((e) => handler.handle(request(e))));
    expect(answers.every((a) => a.statusCode === 200)).toBe(true);
    const expected = expectedViews(events, openAt(now));
    expect(expected.size).toBeGreaterThan(300);
    expect(sorted(await readViews(store, expected))).toEqual(sorted(expected));
    // Group commit: far fewer writes than events.
    expect(flaky.upserts).toBeLessThan(events.length / 2);
  });

  it('changes nothing when events are redelivered, spotted or not', async () => {
    const events = mixedEvents(400, now - 3 * minute, now, 8);
    const first = newHandler();
    await Promise.all(events.map((e) => first.handle(request(e))));
    const expected = expectedViews(events, openAt(now));
    const again = await Promise.all(events.map((e) => first.handle(request(e))));
    expect(new Set(again.map((a) => (a.body as { status: string }).status))).toEqual(new Set(['duplicate']));
    // A new process has no memory of ids: it rewrites the same fact rows.
    const restarted = newHandler();
    const shuffled = [...events].sort(() => random(3)() - 0.5);
    await Promise.all(shuffled.map((e) => restarted.handle(request(e))));
    expect(sorted(await readViews(store, expected))).toEqual(sorted(expected));
  });

  it('accepts structured-mode CloudEvents too', async () => {
    const event = makers['VIDEO_WATCHED']!(random(1), now - 1000);
    const message = toHttpStructured(event);
    const answer = await newHandler().handle({
      method: 'POST',
      headers: message.headers as Record<string, string>,
      body: message.body,
    });
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toMatchObject({ status: 'on_time', facts: 4 });
  });

  it('puts an event exactly at a window boundary into the window that starts there', async () => {
    const boundary = Date.parse('2026-11-02T11:59:00.000Z');
    const atEnd = makers['VIDEO_WATCHED']!(random(2), boundary);
    const justBefore = makers['VIDEO_WATCHED']!(random(2), boundary - 1);
    const handler = newHandler();
    for (const e of [atEnd, justBefore]) expect((await handler.handle(request(e))).statusCode).toBe(200);
    const video = (atEnd.data as Record<string, string>)['video_id']!;
    const got = await readViews(store, expectedViews([atEnd, justBefore]));
    expect(got.get(rowKey('video_engagement', boundary, [video]))?.['views']).toBe(1);
    expect(got.get(rowKey('video_engagement', boundary - minute, [video]))?.['views']).toBe(1);
    // A login at 11:59:30.000 is in the sliding windows starting 11:59:00 and 11:59:30, not 11:58:30.
    const login = makers['LOGIN']!(random(4), Date.parse('2026-11-02T11:59:30.000Z'));
    await handler.handle(request(login));
    const starts = ['11:58:30', '11:59:00', '11:59:30'].map((t) => Date.parse(`2026-11-02T${t}.000Z`));
    const active = await readViews(store, new Map(), new Map([['active_users', starts]]));
    expect(starts.map((s) => active.get(rowKey('active_users', s))?.['active_users'] ?? 0)).toEqual([
      0, 1, 1,
    ]);
  });

  it('still updates closed windows within the allowed lateness, and reports later events as too late', async () => {
    const handler = newHandler();
    // Window 11:49-11:50 ends 10 min 10 s before now: past the 10-minute lateness.
    const tooLate = makers['VIDEO_WATCHED']!(random(5), Date.parse('2026-11-02T11:49:30.000Z'));
    // Window 11:50-11:51 ended 9 min 10 s ago: late but accepted.
    const late = makers['VIDEO_WATCHED']!(random(6), Date.parse('2026-11-02T11:50:30.000Z'));
    const tooLateLogin = makers['LOGIN']!(random(7), Date.parse('2026-11-02T11:40:00.000Z'));
    const answers = await Promise.all([tooLate, late, tooLateLogin].map((e) => handler.handle(request(e))));
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200]);
    expect(answers[0]!.body).toMatchObject({ status: 'too_late', facts: 0 });
    expect(answers[1]!.body).toMatchObject({ status: 'late', facts: 4 });
    // The login's minute windows are final, but its local day is still open: DAU live counts it.
    expect(answers[2]!.body).toMatchObject({
      status: 'too_late',
      facts: 2,
      tooLateViews: ['active_users', 'auth_realtime_login_rate'],
    });
    const expected = expectedViews([tooLate, late, tooLateLogin], openAt(now));
    const everything = expectedViews([tooLate, late, tooLateLogin]);
    const extra = new Map([...windowsByView(everything)]);
    expect(sorted(await readViews(store, expected, extra))).toEqual(sorted(expected));
  });

  it('warns about too-late events once per 10 s, counting the ones in between', async () => {
    const warnings: Record<string, unknown>[] = [];
    const settings = loadSpeedSettings({ ULA_DATA_DIR: ':memory:' });
    let clock = now;
    const handler = new SpeedHandler(
      new SpeedWriter(store, settings),
      settings,
      { ...quiet, warn: (fields) => warnings.push(fields) },
      () => clock,
    );
    const old = (seed: number) => makers['VIDEO_WATCHED']!(random(seed), now - 3_600_000);
    for (const seed of [20, 21, 22]) await handler.handle(request(old(seed)));
    clock += 10_000;
    await handler.handle(request(old(23)));
    expect(warnings.map((w) => w['alsoTooLateSinceLastWarning'])).toEqual([0, 2]);
  });

  it('measures lateness from the window end: accepted up to end + lateness inclusive', async () => {
    const end = Date.parse('2026-11-02T11:50:00.000Z');
    const event = makers['COURSE_VIEW']!(random(8), end - 1);
    expect((await newHandler(() => end + lateness).handle(request(event))).body).toMatchObject({
      status: 'late',
    });
    const again = makers['COURSE_VIEW']!(random(8), end - 1);
    expect((await newHandler(() => end + lateness + 1).handle(request(again))).body).toMatchObject({
      status: 'too_late',
    });
  });

  it('rejects events stamped beyond the allowed clock skew with 400, and accepts a small skew', async () => {
    const handler = newHandler();
    const ahead = makers['COURSE_VIEW']!(random(9), now + 61_000);
    const answer = await handler.handle(request(ahead));
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_attribute', field: 'time' });
    const slightly = makers['COURSE_VIEW']!(random(9), now + 30_000);
    expect((await handler.handle(request(slightly))).body).toMatchObject({ status: 'on_time' });
  });

  it('answers bad input with 4xx and the JSON error contract, never a crash', async () => {
    const handler = newHandler();
    const good = request(makers['LOGIN']!(random(10), now));
    const cases: [Parameters<SpeedHandler['handle']>[0], number, string][] = [
      [{ method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' }, 400, 'not_a_cloudevent'],
      [{ ...good, body: Buffer.from('{"user_id": ') }, 400, 'invalid_json'],
      [{ ...good, headers: { ...good.headers, 'ce-type': 'edu.lms.auth.nope' } }, 400, 'unknown_type'],
      [{ ...good, headers: { ...good.headers, 'ce-time': 'yesterday' } }, 400, 'invalid_attribute'],
      [{ ...good, body: JSON.stringify({ user_id: 'SV001', role: 'student' }) }, 422, 'invalid_data'],
      [{ ...good, method: 'GET' }, 405, 'method_not_allowed'],
    ];
    for (const [input, status, error] of cases) {
      const answer = await handler.handle(input);
      expect([answer.statusCode, (answer.body as { error: string }).error]).toEqual([status, error]);
      expect(answer.body).toHaveProperty('field');
      expect(answer.body).toHaveProperty('rule');
      expect(answer.body).toHaveProperty('message');
    }
    expect(flaky.upserts).toBe(0);
  });

  it('answers 503 when the store fails, and is exact after recovery and redelivery', async () => {
    const events = mixedEvents(200, now - 2 * minute, now, 11);
    const handler = newHandler();
    flaky.failing = true;
    const failed = await Promise.all(events.map((e) => handler.handle(request(e))));
    // Every event with facts to store is answered 503 (events no view reads have nothing to write).
    const statuses = failed.map((a) =>
      a.statusCode === 200 ? `200/${(a.body as { facts: number }).facts}` : `${a.statusCode}`,
    );
    expect(new Set(statuses)).toEqual(new Set(['503', '200/0']));
    expect(failed.find((a) => a.statusCode === 503)!.body).toMatchObject({ error: 'unavailable' });
    flaky.failing = false;
    const retried = await Promise.all(events.map((e) => handler.handle(request(e))));
    expect(new Set(retried.map((a) => a.statusCode))).toEqual(new Set([200]));
    const expected = expectedViews(events, openAt(now));
    expect(sorted(await readViews(store, expected))).toEqual(sorted(expected));
  });
});

function windowsByView(expected: Map<string, unknown>): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const key of expected.keys()) {
    const [view, start] = key.split('|') as [string, string];
    out.set(view, [...(out.get(view) ?? []), Date.parse(start)]);
  }
  return out;
}
