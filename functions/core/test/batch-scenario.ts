/**
 * The oracle scenario shared by the unit test (local-dir lake + SQLite) and the integration test (S3 +
 * Cassandra): a few days of generated events with duplicates and late events, batch runs, and every
 * stored view compared with the independent oracle.
 */
import { expect } from 'vitest';
import type { LmsEvent } from '../src/events/envelope.ts';
import { batchViews } from '../src/views/batch-catalogue.ts';
import type { Row } from '../src/views/columns.ts';
import { batchRuns, batchWatermarks } from '../src/views/system-tables.ts';
import { canonical, generateDays, oracle, prng } from './batch-oracle.ts';
import type { BatchFixture } from './batch-support.ts';
import { writeLake } from './batch-support.ts';

const localDate = (e: LmsEvent) => new Date(Date.parse(e.time) + 7 * 3_600_000).toISOString().slice(0, 10);
export const storedViews = batchViews.filter((v) => !v.intermediate).map((v) => v.name);

export async function expectViewsMatchOracle(fixture: BatchFixture, events: readonly LmsEvent[]) {
  const expected = oracle(events);
  const mismatches: string[] = [];
  for (const view of storedViews) {
    const actual = canonical(await fixture.rows(view));
    const want = canonical(expected[view] ?? []);
    if (JSON.stringify(actual) !== JSON.stringify(want)) {
      const missing = want.filter((r) => !actual.includes(r)).slice(0, 2);
      const extra = actual.filter((r) => !want.includes(r)).slice(0, 2);
      mismatches.push(
        `${view}: ${actual.length} rows vs ${want.length} expected\n  missing ${missing.join('\n    ')}\n  unexpected ${extra.join('\n    ')}`,
      );
    }
    if (want.length === 0) mismatches.push(`${view}: the scenario leaves it empty (generator gap)`);
  }
  expect(mismatches).toEqual([]);
}

export interface Scenario {
  phase1: LmsEvent[];
  duplicates: LmsEvent[];
  late: LmsEvent[];
  phase2: LmsEvent[];
}

/** Days 2026-03-01..03 first (10 % of day 1 held back as late events), then the late events and day 4. */
export function scenario(seed = 42, perDay = 300): Scenario {
  const events = generateDays(seed, '2026-03-01', 4, perDay);
  const r = prng(seed + 1);
  const early = events.filter((e) => localDate(e) <= '2026-03-03');
  const late = early.filter((e) => localDate(e) === '2026-03-01' && r.chance(0.1));
  const lateIds = new Set(late.map((e) => e.id));
  const phase1 = early.filter((e) => !lateIds.has(e.id));
  const duplicates = phase1.filter(() => r.chance(0.05));
  const phase2 = events.filter((e) => localDate(e) >= '2026-03-04' && localDate(e) <= '2026-03-04');
  return { phase1, duplicates, late, phase2 };
}

const snapshot = async (fixture: BatchFixture) => {
  const out: Record<string, Row[]> = {};
  for (const view of storedViews) out[view] = await fixture.rows(view);
  return out;
};

/** Runs the whole scenario on a fixture; `job` all runs one pass, or each job in turn. */
export async function runOracleScenario(
  fixture: BatchFixture,
  options: { perJob?: boolean; seed?: number } = {},
) {
  const s = scenario(options.seed);
  const jobs = options.perJob
    ? (['auth', 'assessment', 'video', 'course', 'profile_notification', 'student_course_analytics'] as const)
    : (['all'] as const);
  const runAll = async (from: string, to: string, runId: string) => {
    const reports = [];
    for (const job of jobs) reports.push(await fixture.run({ job, from, to }, { runId: `${runId}-${job}` }));
    return reports;
  };

  await writeLake(fixture.lake, s.phase1);
  await writeLake(fixture.lake, s.duplicates); // the same events again, in other files
  const first = await runAll('2026-03-01', '2026-03-03', 'first');
  // A duplicate batch with the same ids as an original file overwrites it (deterministic names); others are read twice.
  expect(first.reduce((n, r) => n + r.duplicates, 0)).toBeGreaterThan(s.duplicates.length / 2);
  await expectViewsMatchOracle(fixture, s.phase1);

  // Idempotence: the same run again gives identical rows.
  const before = await snapshot(fixture);
  await runAll('2026-03-01', '2026-03-03', 'again');
  expect(await snapshot(fixture)).toEqual(before);

  // Late events of day 1 arrive, then day 4 is run: day 1 is recomputed from the look-back window.
  await writeLake(fixture.lake, s.late);
  await writeLake(fixture.lake, s.phase2);
  const daily = await runAll('2026-03-04', '2026-03-04', 'daily');
  for (const report of daily) expect(report.daysRecomputed).toEqual(['2026-03-01', '2026-03-04']);
  await expectViewsMatchOracle(fixture, [...s.phase1, ...s.late, ...s.phase2]);

  // Recorded run and watermarks.
  const [run] = await fixture.store.readPartition(batchRuns, { run_id: `daily-${jobs[0]}` });
  expect(run).toMatchObject({ status: 'succeeded', range_from: '2026-03-04', range_to: '2026-03-04' });
  expect(run?.['watermark']).toBe(Date.parse('2026-03-05T00:00:00+07:00'));
  const [mark] = await fixture.store.readPartition(batchWatermarks, { view_name: 'auth_daily_active_users' });
  expect(mark?.['watermark']).toBe(Date.parse('2026-03-05T00:00:00+07:00'));
  return s;
}
