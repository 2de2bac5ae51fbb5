import { describe, expect, it } from 'vitest';
import { addDays } from '../src/batch/plan.ts';
import { allTimeKey, decodeStates } from '../src/batch/state.ts';
import { batchViewNamed } from '../src/views/batch-catalogue.ts';
import { canonical, generateDays, oracle } from './batch-oracle.ts';
import { expectViewsMatchOracle, storedViews } from './batch-scenario.ts';
import { batchFixture, writeLake } from './batch-support.ts';

const localDate = (time: string) => new Date(Date.parse(time) + 7 * 3_600_000).toISOString().slice(0, 10);

describe('batch state stays bounded', () => {
  it('daily runs settle finished sessions out of the state and keep exact session metrics', async () => {
    const fixture = batchFixture();
    try {
      const events = generateDays(11, '2026-03-01', 8, 200);
      await writeLake(fixture.lake, events);
      let last = '';
      for (let date = '2026-03-01'; date <= '2026-03-08'; date = addDays(date, 1)) {
        await fixture.run({ job: 'auth', from: date, to: date }, { lookbackDays: 1, stateRetentionDays: 2 });
        last = date;
      }
      const expected = oracle(events.filter((e) => localDate(e.time) <= last));
      for (const view of [
        'auth_user_session_metrics',
        'auth_user_activity_summary',
        'auth_daily_active_users',
      ]) {
        expect(canonical(await fixture.rows(view)), view).toEqual(canonical(expected[view] ?? []));
      }
      const sessions = events.filter((e) => e.eventType === 'LOGIN').length;
      const bytes = await fixture.lake.get(allTimeKey('auth_sessions'));
      const { aggregation, header } = decodeStates(batchViewNamed('auth_sessions'), bytes!);
      // Left: sessions of the retention window, still-open sessions and orphan logouts.
      expect(aggregation.live).toBeLessThan(sessions * 0.7);
      expect(header.settled?.['auth_user_session_metrics']?.groups).toBeGreaterThan(0);
      // Only the retention window's day partials are kept.
      const partials = (await fixture.lake.list('state/auth_user_activity_summary/date=')).map((o) => o.key);
      expect(new Set(partials.map((k) => k.split('/')[2])).size).toBeLessThanOrEqual(3);
    } finally {
      await fixture.close();
    }
  }, 60_000);

  it('a backfill past the retention window (days added straight into the all-time states) matches the oracle', async () => {
    const fixture = batchFixture();
    try {
      const events = generateDays(5, '2026-03-01', 7, 150);
      await writeLake(fixture.lake, events);
      const options = { lookbackDays: 1, stateRetentionDays: 2 };
      await fixture.run({ job: 'all', from: '2026-03-01', to: '2026-03-06' }, options);
      await expectViewsMatchOracle(
        fixture,
        events.filter((e) => localDate(e.time) <= '2026-03-06'),
      );
      // Only the retention window's day partials were stored: 03-01..03-03 went straight in.
      const partials = (await fixture.lake.list('state/video_popularity/date=')).map((o) => o.key);
      expect([...new Set(partials.map((k) => k.split('/')[2]))].sort()).toEqual([
        'date=2026-03-04',
        'date=2026-03-05',
        'date=2026-03-06',
      ]);
      // A rerun changes nothing; the next day's run carries on from the states.
      const before = await Promise.all(storedViews.map((v) => fixture.rows(v)));
      await fixture.run({ job: 'all', from: '2026-03-01', to: '2026-03-06' }, options);
      expect(await Promise.all(storedViews.map((v) => fixture.rows(v)))).toEqual(before);
      await fixture.run({ job: 'all', from: '2026-03-07', to: '2026-03-07' }, options);
      await expectViewsMatchOracle(
        fixture,
        events.filter((e) => localDate(e.time) <= '2026-03-07'),
      );
    } finally {
      await fixture.close();
    }
  }, 60_000);
});
