import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDirStore } from '../src/adapters/local-dir.ts';
import type { ObjectStore } from '../src/adapters/object-store.ts';
import { openSqliteViewStore } from '../src/adapters/sqlite.ts';
import type { ViewStore } from '../src/adapters/view-store.ts';
import { auditKey, decodeAudit, type ErasureReport, journalKey, runErasureJob } from '../src/batch/erase.ts';
import { parseBatchArgs, parseJobRequest } from '../src/batch/request.ts';
import { rawHorizonKey, writeRawHorizon } from '../src/batch/state.ts';
import type { LmsEvent } from '../src/events/envelope.ts';
import { readPersonalData } from '../src/lake/personal-data.ts';
import { readXapiStatements } from '../src/lake/xapi-statements.ts';
import { hmacPseudonymizer, type Pseudonymize } from '../src/privacy/pseudonym.ts';
import { batchRuns } from '../src/views/system-tables.ts';
import { generateDays, oracle } from './batch-oracle.ts';
import { expectViewsMatchOracle } from './batch-scenario.ts';
import { batchFixture, calendar, readRows, writeLake } from './batch-support.ts';
import {
  CrashingProcess,
  everyTable,
  lakeObjectsHolding,
  scanAll,
  viewRowsHolding,
  writePersonalRows,
  writeSpeedFacts,
  writeStatements,
} from './erasure-support.ts';

const target = 'SV014';
const now = Date.parse('2026-03-04T01:00:00+07:00');
const range = { from: '2026-03-01', to: '2026-03-03' };

/** The user-id fields of the generator's events: the actor, and a grade's student. */
const userFields = ['user_id', 'student_id'] as const;
const holds = (e: LmsEvent, ids: ReadonlySet<string>) =>
  userFields.some((f) => typeof e.data[f] === 'string' && ids.has(e.data[f] as string));

/** The university's events, the target's ids replaced by their pseudonym when pseudonymising. */
function university(pseudonymize?: Pseudonymize): LmsEvent[] {
  // Days 1-3 only: the generator puts some events in the first minutes after the last local midnight.
  const localDate = (e: LmsEvent) => new Date(Date.parse(e.time) + 7 * 3_600_000).toISOString().slice(0, 10);
  const events = generateDays(7, '2026-03-01', 3, 200).filter((e) => localDate(e) <= range.to);
  if (!pseudonymize) return events;
  return events.map((e) =>
    holds(e, new Set([target]))
      ? {
          ...e,
          data: Object.fromEntries(
            Object.entries(e.data).map(([k, v]) => [
              k,
              (userFields as readonly string[]).includes(k) && v === target ? pseudonymize(target) : v,
            ]),
          ) as LmsEvent['data'],
        }
      : e,
  );
}

/** Writes the university into a lake and view store and runs the batch over it. */
async function setUp(lake: ObjectStore, store: ViewStore, events: readonly LmsEvent[], stored: string) {
  await writeLake(lake, events);
  await writePersonalRows(
    lake,
    [
      { userId: stored, originalUserId: stored === target ? null : target },
      { userId: 'SV008', originalUserId: null },
    ],
    '2026-03-02T03:00:00Z',
  );
  await writeStatements(lake, [stored, 'SV008'], ['2026-03-01T02:10:00Z', '2026-03-02T05:00:00Z']);
  await writeSpeedFacts(store, events);
  await batchFixture(store, lake).run({ job: 'all', ...range }, { now });
}

const erase = (lake: ObjectStore, views: ViewStore, pseudonymize?: Pseudonymize, requestId = 'req-1') =>
  runErasureJob({
    request: { job: 'erase', user: target, events: true, requestId },
    runId: `erase-${requestId}`,
    lake,
    views,
    calendar,
    pseudonymize,
    now: () => now,
  });

async function snapshot(lake: ObjectStore, store: ViewStore) {
  const objects = (await lake.list('')).map((o) => `${o.key} ${o.size} ${o.lastModified.getTime()}`);
  const rows: Record<string, unknown> = {};
  for (const table of everyTable()) rows[table.name] = await scanAll(store, table);
  return { objects, rows };
}

describe('request parsing', () => {
  it('reads an erasure from the CLI and from a request event, and refuses a bad one', () => {
    expect(
      parseBatchArgs(['--job', 'erase', '--user', 'SV001', '--events', '--request', 'r-1']).request,
    ).toEqual({ job: 'erase', user: 'SV001', events: true, requestId: 'r-1' });
    expect(parseBatchArgs(['--job', 'erase', '--user', 'SV001']).request).toEqual({
      job: 'erase',
      user: 'SV001',
      events: false,
    });
    expect(parseJobRequest({ job: 'erase', user: 'SV001', events: true })).toMatchObject({ events: true });
    expect(() => parseJobRequest({ job: 'erase' })).toThrow(/user must be/);
    expect(() => parseJobRequest({ job: 'erase', user: 'x', request: 'a b' })).toThrow(/request must be/);
  });
});

describe('erasure of one student (local-dir lake, SQLite)', () => {
  it('with --events and pseudonymised ids: every view equals the oracle without the student, no object or row holds them, a rerun changes nothing', async () => {
    const pseudonymize = hmacPseudonymizer('k'.repeat(32));
    const pseudonym = pseudonymize(target);
    const events = university(pseudonymize);
    const dir = mkdtempSync(join(tmpdir(), 'ula-erase-'));
    const lake = new LocalDirStore(dir);
    const store = openSqliteViewStore(':memory:');
    try {
      await setUp(lake, store, events, pseudonym);
      const ids = new Set([target, pseudonym]);
      const mine = events.filter((e) => holds(e, ids));
      const remaining = events.filter((e) => !holds(e, ids));
      expect(mine.length).toBeGreaterThan(15);
      expect(mine.some((e) => e.data.user_id !== pseudonym)).toBe(true); // graded by a teacher
      expect(await viewRowsHolding(store, [pseudonym])).not.toEqual([]);

      const report = await erase(lake, store, pseudonymize);

      expect(report).toMatchObject({
        alreadyDone: false,
        events: true,
        personalRows: 2,
        eventsRemoved: mine.length,
        statementsRemoved: 2,
      });
      expect(report.viewRows['student_overview']).toBe(1);
      expect(Object.keys(report.speedRows).length).toBeGreaterThan(0);
      await expectViewsMatchOracle(batchFixture(store, lake), remaining);
      expect(await viewRowsHolding(store, [target, pseudonym])).toEqual([]);
      expect(await lakeObjectsHolding(lake, [target, pseudonym])).toEqual([]);
      // Others' data stays: SV008's personal rows and statements.
      expect((await readPersonalData(lake)).map((r) => r.user_id)).toEqual(['SV008', 'SV008']);
      expect((await readXapiStatements(lake)).map((r) => r.user_id)).toEqual(['SV008', 'SV008']);
      // The audit record: counts, the request id, no user id (the lake search above covers it).
      const audit = await decodeAudit((await lake.get(auditKey('req-1')))!);
      expect(audit).toMatchObject({ requestId: 'req-1', eventsRemoved: mine.length, personalRows: 2 });
      expect(await lake.get(journalKey('req-1'))).toBeUndefined();
      const [run] = await store.readPartition(batchRuns, { run_id: 'erase-req-1' });
      expect(run).toMatchObject({ job: 'erase', status: 'succeeded' });

      // A rerun of the finished request changes nothing and says so.
      const before = await snapshot(lake, store);
      const again = await erase(lake, store, pseudonymize);
      expect(again.alreadyDone).toBe(true);
      expect(again.eventsRemoved).toBe(mine.length);
      const after = await snapshot(lake, store);
      expect(after.objects).toEqual(before.objects);
      expect({ ...after.rows, batch_runs: [] }).toEqual({ ...before.rows, batch_runs: [] });

      // A new request for the erased user finds nothing, rebuilds nothing, and only adds its audit record.
      const second = await erase(lake, store, pseudonymize, 'req-2');
      expect(second).toMatchObject({ eventsRemoved: 0, personalRows: 0, daysRecomputed: 0, viewRows: {} });
      const later = await snapshot(lake, store);
      expect(later.objects.filter((o) => !o.startsWith(auditKey('req-2')))).toEqual(before.objects);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('without --events: only the personal rows go', async () => {
    const events = university();
    const dir = mkdtempSync(join(tmpdir(), 'ula-erase-'));
    const lake = new LocalDirStore(dir);
    const store = openSqliteViewStore(':memory:');
    try {
      await setUp(lake, store, events, target);
      const views = await viewRowsHolding(store, [target]);
      const report = await runErasureJob({
        request: { job: 'erase', user: target, events: false, requestId: 'req-p' },
        runId: 'erase-req-p',
        lake,
        views: store,
        calendar,
        now: () => now,
      });
      expect(report).toMatchObject({ personalRows: 2, eventsRemoved: 0, statementsRemoved: 0, viewRows: {} });
      expect((await readPersonalData(lake)).map((r) => r.user_id)).toEqual(['SV008', 'SV008']);
      expect(await viewRowsHolding(store, [target])).toEqual(views);
      expect((await readXapiStatements(lake)).filter((r) => r.user_id === target)).toHaveLength(2);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('erasure with a retention horizon (local-dir lake, SQLite)', () => {
  it('deletes the user and their rows but keeps the aggregates and the horizon: the days before it cannot be recomputed', async () => {
    const events = university();
    const dir = mkdtempSync(join(tmpdir(), 'ula-erase-'));
    const lake = new LocalDirStore(dir);
    const store = openSqliteViewStore(':memory:');
    try {
      await setUp(lake, store, events, target);
      await writeRawHorizon(lake, { keepFrom: '2026-02-20', runId: 'retain-1', updatedAt: now });
      const courses = await readRows(store, 'course_overview');
      const report = await erase(lake, store);
      expect(report).toMatchObject({ aggregatesRecomputed: false, daysRecomputed: 0 });
      expect(report.eventsRemoved).toBeGreaterThan(15);
      expect(await viewRowsHolding(store, [target])).toEqual([]);
      // Known limit: without a rebuild the batch state (state/) still holds the user's groups and distinct
      // members; every other object is clean.
      const holding = await lakeObjectsHolding(lake, [target]);
      expect(holding.filter((k) => !k.startsWith('state/'))).toEqual([]);
      expect(holding.length).toBeGreaterThan(0);
      expect(await readRows(store, 'course_overview')).toEqual(courses);
      expect(await lake.get(rawHorizonKey)).toBeDefined();
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('erasure under crashes (local-dir lake, SQLite file)', () => {
  const events = university();
  const ids = new Set([target]);
  const remaining = events.filter((e) => !holds(e, ids));
  let golden: string;
  let clean: ErasureReport;
  let writes = 0;
  /** The write after which the rebuild starts (the journal's put after the speed step). */
  let rebuildFrom = 0;

  const open = (dir: string) => ({
    lake: new LocalDirStore(join(dir, 'lake')),
    store: openSqliteViewStore(join(dir, 'views')),
  });

  beforeAll(async () => {
    golden = mkdtempSync(join(tmpdir(), 'ula-erase-golden-'));
    const { lake, store } = open(golden);
    await setUp(lake, store, events, target);
    await store.close();
    // A clean run on a copy counts the writes an erasure makes.
    const dir = mkdtempSync(join(tmpdir(), 'ula-erase-'));
    cpSync(golden, dir, { recursive: true });
    const copy = open(dir);
    const process = new CrashingProcess();
    clean = await erase(process.lake(copy.lake), process.views(copy.store));
    writes = process.writes;
    rebuildFrom = process.journalWrites[4]!;
    await copy.store.close();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);
  afterAll(() => rmSync(golden, { recursive: true, force: true }));

  it('a crash at any write, then a rerun: the same result and the same audit counts', async () => {
    expect(writes).toBeGreaterThan(20);
    // Every write of the survey's journal and the removal steps, then points spread over the rebuild.
    expect(rebuildFrom).toBeGreaterThan(10);
    const points = new Set<number>();
    for (let k = 1; k <= rebuildFrom + 1; k++) points.add(k);
    for (let k = rebuildFrom + 2; k < writes; k += Math.ceil((writes - rebuildFrom) / 12)) points.add(k);
    points.add(writes - 1);
    points.add(writes);
    console.log(`erasure: ${writes} writes in a clean run; crashing at ${points.size} of them`);
    for (const crashAt of points) {
      const dir = mkdtempSync(join(tmpdir(), 'ula-erase-'));
      try {
        cpSync(golden, dir, { recursive: true });
        const first = open(dir);
        const process = new CrashingProcess(crashAt);
        await expect(
          erase(process.lake(first.lake), process.views(first.store)),
          `crash at ${crashAt}`,
        ).rejects.toThrow();
        await process.settled();
        await first.store.close();
        const second = open(dir);
        const report = await erase(second.lake, second.store);
        const { ms: _a, alreadyDone: _b, ...counts } = report;
        const { ms: _c, alreadyDone: _d, ...cleanCounts } = clean;
        expect(counts, `crash at ${crashAt}`).toEqual(cleanCounts);
        try {
          await expectViewsMatchOracle(batchFixture(second.store, second.lake), remaining);
        } catch (error) {
          throw new Error(`crash at ${crashAt}: ${(error as Error).message}`);
        }
        expect(await viewRowsHolding(second.store, [target]), `crash at ${crashAt}`).toEqual([]);
        expect(await lakeObjectsHolding(second.lake, [target]), `crash at ${crashAt}`).toEqual([]);
        await second.store.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }, 600_000);

  it('the clean run removed what the oracle says the student had', () => {
    expect(clean.eventsRemoved).toBe(events.length - remaining.length);
    expect(Object.keys(oracle(events)).length).toBeGreaterThan(30);
  });
});
