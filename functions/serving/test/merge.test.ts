import { localCalendar } from '@ula/core';
import { isPersonalFieldName as isPiiField } from '@ula/core/privacy/personal';
import { batchStatus, healthThresholds, speedStatus, statusOf, worst } from '@ula/core/serving/health';
import {
  addTotals,
  disjointWindowStarts,
  isTumbling,
  mergeDaily,
  planDays,
  topTotals,
  windowStarts,
} from '@ula/core/serving/merge';
import { withoutPii } from '@ula/core/serving/pii';
import { describe, expect, it } from 'vitest';

const calendar = localCalendar('Asia/Ho_Chi_Minh');
const midnight = (date: string) => calendar.startOfDate(date);

describe('Lambda merge rule', () => {
  it('takes a day from batch only when the whole local day lies before the watermark', () => {
    const w = midnight('2026-03-03'); // batch exact up to the start of the 3rd (local)
    const plan = planDays(['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04'], w, calendar);
    expect(plan.map((d) => [d.date, d.layer])).toEqual([
      ['2026-03-01', 'batch'],
      ['2026-03-02', 'batch'],
      ['2026-03-03', 'speed'],
      ['2026-03-04', 'speed'],
    ]);
    // Local days in UTC+7: the 3rd starts at 17:00 UTC on the 2nd.
    expect(new Date(plan[2]!.start).toISOString()).toBe('2026-03-02T17:00:00.000Z');
  });

  it('gives the day holding a non-aligned watermark to speed, and everything to speed without one', () => {
    const w = midnight('2026-03-03') + 5 * 3_600_000;
    expect(planDays(['2026-03-02', '2026-03-03'], w, calendar).map((d) => d.layer)).toEqual([
      'batch',
      'speed',
    ]);
    expect(planDays(['2026-03-02'], undefined, calendar).map((d) => d.layer)).toEqual(['speed']);
  });

  it('merges a daily series from one layer per day, never adding the two', () => {
    const plan = planDays(['2026-03-02', '2026-03-03'], midnight('2026-03-03'), calendar);
    const batch = new Map([
      ['2026-03-02', { date: '2026-03-02', daily_active_users: 10 }],
      ['2026-03-03', { date: '2026-03-03', daily_active_users: 4 }], // a partial batch "today": ignored
    ]);
    const speed = new Map([
      ['2026-03-02', { daily_active_users: 9 }], // speed rows of a day batch covers: ignored
      ['2026-03-03', { daily_active_users: 6 }],
    ]);
    expect(mergeDaily(plan, batch, speed, ['daily_active_users'])).toEqual([
      { date: '2026-03-02', source: 'batch', daily_active_users: 10 },
      { date: '2026-03-03', source: 'speed', daily_active_users: 6 },
    ]);
  });

  it('lists aligned window starts inside a range, with or without the open window', () => {
    const minute = { window: { size: 60, slide: 60 } };
    const t0 = Date.UTC(2026, 2, 3, 10, 0, 0);
    expect(windowStarts(minute, t0 + 1, t0 + 170_000)).toEqual([t0 + 60_000]);
    expect(windowStarts(minute, t0, t0 + 150_000, { partial: true })).toEqual([
      t0,
      t0 + 60_000,
      t0 + 120_000,
    ]);
    const sliding = { window: { size: 60, slide: 30 } };
    expect(isTumbling(sliding)).toBe(false);
    expect(disjointWindowStarts(sliding, t0, t0 + 120_000)).toEqual([t0, t0 + 60_000]);
  });

  it('adds additive metrics per grain across layers and keeps each layer part', () => {
    const totals = new Map();
    addTotals(
      totals,
      [
        { course_id: 'C1', interactions: 5 },
        { course_id: 'C2', interactions: 1 },
      ],
      ['course_id'],
      { interactions: 'interactions' },
      'batch',
    );
    addTotals(
      totals,
      [
        { course_id: 'C1', n: 2 },
        { course_id: null, n: 7 },
      ],
      ['course_id'],
      { interactions: 'n' },
      'speed',
    );
    const top = topTotals(totals.values(), 'interactions', 1);
    expect(top).toEqual([
      {
        keys: { course_id: 'C1' },
        metrics: { interactions: 7 },
        batch: { interactions: 5 },
        speed: { interactions: 2 },
      },
    ]);
  });
});

describe('layer health', () => {
  it('grades ages against configurable thresholds', () => {
    const t = healthThresholds({
      ULA_HEALTH_SPEED_STALE_SECONDS: '60',
      ULA_HEALTH_SPEED_DOWN_SECONDS: '120',
    });
    expect(speedStatus(30_000, t)).toBe('healthy');
    expect(speedStatus(90_000, t)).toBe('stale');
    expect(speedStatus(120_000, t)).toBe('down');
    expect(speedStatus(undefined, t)).toBe('down');
    expect(batchStatus(25 * 3_600_000, t)).toBe('healthy');
    expect(batchStatus(31 * 3_600_000, t)).toBe('stale');
    expect(batchStatus(60 * 3_600_000, t)).toBe('down');
    expect(statusOf(5, 10, 20)).toBe('healthy');
    expect(worst('healthy', 'stale')).toBe('stale');
    expect(() => healthThresholds({ ULA_HEALTH_BATCH_STALE_HOURS: 'soon' })).toThrow(/positive number/);
  });
});

describe('PII guard', () => {
  it('drops contact and identity fields from rows', () => {
    expect(
      withoutPii({
        user_id: 'u1',
        email: 'a@b',
        full_name: 'X',
        phone_number: '1',
        date_of_birth: 'd',
        new_email: 'e',
        n: 1,
      }),
    ).toEqual({ user_id: 'u1', n: 1 });
    expect(isPiiField('course_id')).toBe(false);
  });
});
