/**
 * The lake's retention (batch/retain.ts) on a local-dir lake: whole UTC date partitions before the limit
 * go, the boundary date stays, other prefixes are untouched, reruns change nothing, a dry run deletes
 * nothing; and the batch run after it leaves the views of the removed days as they were (the raw horizon),
 * where without the horizon it would have emptied them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDirStore } from '../src/adapters/local-dir.ts';
import type { ObjectStore } from '../src/adapters/object-store.ts';
import { openSqliteViewStore } from '../src/adapters/sqlite.ts';
import { prefixesBelow, type RetentionLimits, retainLake, runRetention } from '../src/batch/retain.ts';
import { rawHorizonKey } from '../src/batch/state.ts';
import { addDays, datesBetween } from '../src/views/time.ts';
import { batchFixture, ev, readRows, writeLake } from './batch-support.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ula-retention-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
let lakes = 0;
const newLake = () => new LocalDirStore(join(root, `lake-${++lakes}`));
const keys = async (lake: ObjectStore, prefix = '') => (await lake.list(prefix)).map((o) => o.key);
const today = () => Date.parse('2026-12-07T12:00:00Z');
const bytes = (text: string) => new TextEncoder().encode(text);
const video = {
  video_id: 'VID001',
  course_id: 'COURSE001',
  watch_duration_seconds: 300,
  video_duration_seconds: 600,
  session_id: '33333333-3333-4333-8333-333333333333',
};

/** One file in each of the given UTC hours (`YYYY-MM-DDTHH`) under a table prefix. */
async function putHours(lake: ObjectStore, prefix: string, hours: readonly string[]) {
  for (const h of hours)
    await lake.put(`${prefix}date=${h.slice(0, 10)}/hour=${h.slice(11, 13)}/f-${h}.bin`, bytes(h));
}

describe('prefixesBelow', () => {
  it('covers every date before the horizon exactly once and no later date', () => {
    const dates = datesBetween('1999-12-25', '2031-01-05');
    for (const horizon of ['2026-11-07', '2021-12-07', '2030-01-01', '2000-10-31']) {
      const prefixes = prefixesBelow('date=', horizon);
      for (const date of dates) {
        const covering = prefixes.filter((p) => `date=${date}/`.startsWith(p)).length;
        expect(covering, `${date} under horizon ${horizon}`).toBe(date < horizon ? 1 : 0);
      }
    }
  });
});

describe('retainLake', () => {
  const limits: RetentionLimits = { rawDays: 30, personalDays: 10 }; // keep from 2026-11-07 / 2026-11-27

  async function populated() {
    const lake = newLake();
    // Raw events on both sides of the raw boundary (UTC), as ingest writes them.
    await writeLake(lake, [
      ev('VIDEO_WATCHED', '2026-10-01T12:00:00Z', 'SV001', video),
      ev('VIDEO_WATCHED', '2026-11-06T23:59:59Z', 'SV001', video),
      ev('VIDEO_WATCHED', '2026-11-07T00:00:00Z', 'SV002', video),
      ev('LOGIN', '2026-11-06T10:00:00Z', 'SV003', { session_id: '11111111-1111-4111-8111-111111111111' }),
      ev('LOGIN', '2026-12-07T01:00:00Z', 'SV003', { session_id: '22222222-2222-4222-8222-222222222222' }),
    ]);
    await putHours(lake, 'xapi/statements/', ['2026-11-06T23', '2026-11-07T00']);
    await putHours(lake, 'personal/profile/', ['2025-01-01T00', '2026-11-26T23', '2026-11-27T00']);
    await putHours(lake, 'dead-letter/', ['2026-11-26T05', '2026-11-27T05']);
    // Not the retention's: other prefixes, and a name under a table that is not a date folder.
    await lake.put('state/_jobs/auth/date=2020-01-01.json', bytes('{}'));
    await lake.put('raw/video/date=2020-01-01.backup', bytes('x'));
    return lake;
  }

  it('removes the partitions before each limit, keeps the boundary date, once per partition', async () => {
    const lake = await populated();
    const before = await keys(lake);
    const log: Record<string, unknown>[] = [];
    const report = await retainLake({
      lake,
      reference: '2026-12-07',
      limits,
      now: today,
      log: (e) => log.push(e),
    });
    expect(report.keepFrom).toEqual({ raw: '2026-11-07', personal: '2026-11-27' });
    const removed = report.partitions.map((p) => `${p.table} ${p.date} ${p.files}`);
    expect(removed).toEqual([
      'auth 2026-11-06 1',
      'video 2026-10-01 1',
      'video 2026-11-06 1',
      'xapi_statements 2026-11-06 1',
      'personal_profile 2025-01-01 1',
      'personal_profile 2026-11-26 1',
      'dead_letter 2026-11-26 1',
    ]);
    expect(log.filter((e) => e['event'] === 'partition_removed')).toHaveLength(7);
    const after = await keys(lake);
    const gone = before.filter((k) => !after.includes(k));
    expect(gone).toHaveLength(7);
    for (const key of gone) expect(key).toMatch(/date=(2025-01-01|2026-10-01|2026-11-06|2026-11-26)\//);
    // Boundary dates kept, whatever the hour: 00:00 UTC of the first kept date is kept.
    expect(after.filter((k) => k.includes('date=2026-11-07/hour=00/'))).toHaveLength(2);
    expect(after.filter((k) => k.includes('date=2026-11-27/hour=00/'))).toHaveLength(1);
    expect(after).toContain('state/_jobs/auth/date=2020-01-01.json');
    expect(after).toContain('raw/video/date=2020-01-01.backup');
    // The horizon the batch reads.
    const horizon = JSON.parse(Buffer.from((await lake.get(rawHorizonKey))!).toString('utf8'));
    expect(horizon.keepFrom).toBe('2026-11-07');

    const rerun = await retainLake({ lake, reference: '2026-12-07', limits, now: today });
    expect(rerun.partitions).toEqual([]);
    expect(await keys(lake)).toEqual(after);
  });

  it('moves the boundary by one day when the reference does', async () => {
    const lake = await populated();
    await retainLake({ lake, reference: '2026-12-07', limits, now: today });
    const next = await retainLake({ lake, reference: '2026-12-08', limits, now: () => today() + 86_400_000 });
    expect(next.partitions.map((p) => `${p.table} ${p.date}`)).toEqual([
      'video 2026-11-07',
      'xapi_statements 2026-11-07',
      'personal_profile 2026-11-27',
      'dead_letter 2026-11-27',
    ]);
  });

  it('dry run: lists the same partitions, deletes and records nothing', async () => {
    const lake = await populated();
    const before = await keys(lake);
    const log: Record<string, unknown>[] = [];
    const dry = await retainLake({
      lake,
      reference: '2026-12-07',
      limits,
      now: today,
      dryRun: true,
      log: (e) => log.push(e),
    });
    expect(dry.partitions).toHaveLength(7);
    expect(log.filter((e) => e['event'] === 'partition_expired')).toHaveLength(7);
    expect(await keys(lake)).toEqual(before);
    expect(await lake.get(rawHorizonKey)).toBeUndefined();
  });

  it('0 days keeps a table forever; a reference after today is refused', async () => {
    const lake = await populated();
    const before = await keys(lake);
    const report = await retainLake({
      lake,
      reference: '2026-12-07',
      limits: { rawDays: 0, personalDays: 10 },
      now: today,
    });
    expect(new Set(report.partitions.map((p) => p.table))).toEqual(
      new Set(['personal_profile', 'dead_letter']),
    );
    expect(await lake.get(rawHorizonKey)).toBeUndefined();
    expect((await keys(lake, 'raw/')).length).toBe(before.filter((k) => k.startsWith('raw/')).length);
    await expect(retainLake({ lake, reference: '2026-12-08', limits, now: today })).rejects.toThrow(
      /not a UTC date up to today/,
    );
  });

  it('the horizon never moves back (a limit raised later does not make the batch reread deleted days)', async () => {
    const lake = await populated();
    await retainLake({ lake, reference: '2026-12-07', limits, now: today });
    await retainLake({ lake, reference: '2026-12-07', limits: { ...limits, rawDays: 60 }, now: today });
    const horizon = JSON.parse(Buffer.from((await lake.get(rawHorizonKey))!).toString('utf8'));
    expect(horizon.keepFrom).toBe('2026-11-07');
  });

  it('runRetention records the run in batch_runs (rows_written: files removed)', async () => {
    const lake = await populated();
    const views = openSqliteViewStore(':memory:');
    try {
      const report = await runRetention({
        request: { job: 'retain', from: '2026-12-07', to: '2026-12-07' },
        runId: 'retain-1',
        lake,
        views,
        limits,
        now: today,
      });
      expect(report.partitions).toHaveLength(7);
      const { batchRuns } = await import('../src/views/system-tables.ts');
      const [row] = await views.readPartition(batchRuns, { run_id: 'retain-1' });
      expect(row?.['status']).toBe('succeeded');
      expect(row?.['job']).toBe('retain');
      expect(row?.['rows_written']).toBe(7);
    } finally {
      await views.close();
    }
  });
});

describe('batch after retention', () => {
  // Local days (UTC+7) 2026-03-01 .. 2026-03-06; logins at 06:00 local (23:00 UTC the day before) and
  // 12:00 local, so every local day reads two UTC dates.
  const days = datesBetween('2026-03-01', '2026-03-06');
  const events = days.flatMap((d, i) => [
    ev('LOGIN', `${d}T06:00`, `SV00${i}`, { session_id: `0000000${i}-1111-4111-8111-111111111111` }),
    ev('LOGIN', `${d}T12:00`, 'SV100', { session_id: `0000000${i}-2222-4222-8222-222222222222` }),
    ev('VIDEO_WATCHED', `${d}T12:30`, 'SV100', video),
  ]);
  const views = [
    'auth_daily_active_users',
    'auth_user_activity_summary',
    'video_daily_views',
    'video_total_watch_time',
  ];
  const snapshot = async (store: Parameters<typeof readRows>[0]) =>
    Object.fromEntries(await Promise.all(views.map(async (v) => [v, await readRows(store, v)] as const)));

  async function computedThenRetained() {
    const fixture = batchFixture();
    await writeLake(fixture.lake, events);
    await fixture.run({ job: 'all', from: days[0]!, to: days.at(-1)! });
    const before = await snapshot(fixture.store);
    // Keep UTC dates from 2026-03-04: local days 03-01 .. 03-04 read a removed date (03-04 reads 03-03 23:00).
    const report = await retainLake({
      lake: fixture.lake,
      reference: '2026-03-14',
      limits: { rawDays: 10, personalDays: 10 },
      now: () => Date.parse('2026-03-14T12:00:00Z'),
    });
    expect(report.keepFrom.raw).toBe('2026-03-04');
    expect(report.partitions.filter((p) => p.table === 'auth').map((p) => p.date)).toEqual([
      '2026-02-28',
      '2026-03-01',
      '2026-03-02',
      '2026-03-03',
    ]);
    return { fixture, before };
  }

  it('a backfill and a daily run with look-back leave the views of removed days as computed', async () => {
    const { fixture, before } = await computedThenRetained();
    try {
      const backfill = await fixture.run({ job: 'all', from: days[0]!, to: days.at(-1)! });
      expect(backfill.retiredDays.filter((d) => d >= days[0]!)).toEqual([
        '2026-03-01',
        '2026-03-02',
        '2026-03-03',
        '2026-03-04',
      ]);
      expect(backfill.daysRecomputed).toEqual(['2026-03-05', '2026-03-06']);
      const daily = await fixture.run(
        { job: 'all', from: '2026-03-07', to: '2026-03-07' },
        { lookbackDays: 7 },
      );
      expect(daily.retiredDays.filter((d) => d >= days[0]!)).toEqual([
        '2026-03-01',
        '2026-03-02',
        '2026-03-03',
        '2026-03-04',
      ]);
      expect(await snapshot(fixture.store)).toEqual(before);
      const dau = before['auth_daily_active_users']!;
      expect(dau.map((r) => r['date'])).toEqual(days); // the removed days had rows to lose
    } finally {
      await fixture.close();
    }
  });

  it('without the horizon the same rerun would have wiped them (the guard is what keeps them)', async () => {
    const { fixture, before } = await computedThenRetained();
    try {
      await fixture.lake.delete(rawHorizonKey);
      await fixture.run({ job: 'auth', from: days[0]!, to: addDays(days[0]!, 1) }).catch(() => {});
      const dau = await readRows(fixture.store, 'auth_daily_active_users');
      const onFirstDay = (rows: readonly Record<string, unknown>[]) =>
        rows.filter((r) => r['date'] === days[0]);
      expect(onFirstDay(before['auth_daily_active_users']!).length).toBeGreaterThan(0);
      expect(onFirstDay(dau)).toEqual([]); // recomputed from no files: the day's rows emptied
    } finally {
      await fixture.close();
    }
  });
});
