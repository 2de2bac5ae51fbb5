/**
 * Lake compaction (lake/compaction.ts) on a real local-dir lake: per partition the same distinct events
 * before and after (expected from the events written), one sorted file per closed hour, open hours left
 * alone, a crash at every step of a run losing nothing and a clean rerun giving exactly once, idempotent
 * reruns, late files, and a partition whose listed file vanishes mid-read.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDirStore } from '../src/adapters/local-dir.ts';
import {
  type CompactionOptions,
  compactLake,
  compactPartition,
  rawEventTable,
} from '../src/lake/compaction.ts';
import {
  type CrashScenario,
  crashAtEveryCall,
  crashBeforeDeletes,
  crashCases,
  type Expected,
  expectCompacted,
  expectNothingLost,
  fingerprint,
  HookedStore,
  type LakeFile,
  lakeState,
  partitionOf,
  type SmallFilesSpec,
  smallFilesEvents,
  writeSmallFiles,
} from './compaction-support.ts';

const date = '2026-03-02';
const allClosed = () => Date.parse(`${date}T23:59:00Z`);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ula-compaction-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
let lakes = 0;
const newLake = () => new LocalDirStore(join(root, `lake-${++lakes}`));

const compact = (lake: CompactionOptions['lake'], options: Partial<CompactionOptions> = {}) =>
  compactLake({ lake, from: date, to: date, now: allClosed, ...options });

const spec: SmallFilesSpec = {
  seed: 11,
  date,
  hours: [8, 9, 10],
  types: ['LOGIN', 'VIDEO_WATCHED', 'COURSE_VIEW', 'NOTIFICATION_SENT'],
  perHour: 40,
  maxPerWrite: 12,
};

describe('lake compaction', () => {
  it('keeps every partition’s distinct events, one sorted file per closed hour, open hours untouched', async () => {
    const lake = newLake();
    const { expected, keys } = await writeSmallFiles(lake, spec);
    const before = await lakeState(lake);
    // The fixture is what it claims: many files per hour, duplicates across files.
    expect(before.size).toBe(12);
    for (const files of before.values()) expect(files.length).toBeGreaterThan(3);
    const rowsBefore = [...before.values()].flat().reduce((n, f) => n + f.rows.length, 0);
    const distinct = [...expected.values()].reduce((n, ids) => n + ids.size, 0);
    expect(distinct).toBe(4 * 3 * 40);
    expect(rowsBefore).toBeGreaterThan(distinct + 20);
    expect(keys.length).toBe([...before.values()].flat().length);
    expectNothingLost(before, expected);

    // 11:05 UTC: hours 08 and 09 are closed, hour 10 is within its lateness (closes at 11:10).
    const report = await compact(lake, { now: () => Date.parse(`${date}T11:05:00Z`) });
    expect(report.partitionsClosed).toBe(8);
    expect(report.partitionsOpen).toBe(4);
    expect(report.skipped).toEqual([]);
    expect(report.compacted).toHaveLength(8);
    const after = await lakeState(lake);
    expectNothingLost(after, expected);
    for (const [p, want] of expected) {
      if (p.endsWith('/10')) {
        expect(fingerprint(new Map([[p, after.get(p)!]])), p).toEqual(
          fingerprint(new Map([[p, before.get(p)!]])),
        );
      } else {
        expectCompacted(after.get(p), want);
        const done = report.compacted.find((c) => `${c.table}/${c.date}/${c.hour}` === p)!;
        expect(done).toMatchObject({ filesBefore: before.get(p)!.length, filesAfter: 1, events: want.size });
        expect(done.duplicatesDropped).toBe(
          before.get(p)!.reduce((n, f) => n + f.rows.length, 0) - want.size,
        );
      }
    }

    // Once hour 10 is closed too, it is compacted like the others.
    const later = await compact(lake);
    expect(later.compacted.map((c) => c.hour)).toEqual(['10', '10', '10', '10']);
    const final = await lakeState(lake);
    for (const [p, want] of expected) expectCompacted(final.get(p), want);
  }, 60_000);

  it('reruns are idempotent: nothing compacted, the same keys and bytes', async () => {
    const lake = newLake();
    await writeSmallFiles(lake, { ...spec, seed: 12 });
    expect((await compact(lake)).compacted).toHaveLength(12);
    const once = fingerprint(await lakeState(lake));
    const again = await compact(lake);
    expect(again.compacted).toEqual([]);
    expect(again.partitionsClosed).toBe(12);
    expect(fingerprint(await lakeState(lake))).toEqual(once);
    // Split output (a few files per hour) is stable too.
    const split = newLake();
    const { expected } = await writeSmallFiles(split, { ...spec, seed: 12 });
    await compact(split, { maxEventsPerFile: 15 });
    const first = await lakeState(split);
    expectNothingLost(first, expected);
    for (const files of first.values()) {
      files.sort((a, b) => a.rows[0]!.event_time.getTime() - b.rows[0]!.event_time.getTime());
      expect(files.map((f) => f.rows.length)).toEqual([15, 15, 10]);
      const times = files.flatMap((f) => f.rows.map((r) => r.event_time.getTime()));
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
    expect((await compact(split, { maxEventsPerFile: 15 })).compacted).toEqual([]);
    expect(fingerprint(await lakeState(split))).toEqual(fingerprint(first));
  }, 60_000);

  it('late files after an hour was compacted are compacted by a later run', async () => {
    const lake = newLake();
    const events = (await writeSmallFiles(lake, { ...spec, seed: 13 })).events;
    await compact(lake);
    const p = `video/${date}/09`;
    const [compacted] = (await lakeState(lake)).get(p)!;
    // A late write into hour 09 of video: new events, and events already compacted redelivered later.
    const late = {
      ...spec,
      seed: 14,
      hours: [9],
      types: ['VIDEO_WATCHED'],
      perHour: 10,
      idPrefix: '0195bbbb',
    };
    const video09 = events.filter((e) => e.category === 'video' && e.time.slice(11, 13) === '09');
    const { expected: lateExpected } = await writeSmallFiles(lake, late, [
      ...smallFilesEvents(late),
      ...video09.slice(0, 5),
    ]);
    expect((await lakeState(lake)).get(p)!.length).toBeGreaterThan(1);
    const wanted = new Map(compacted!.rows.map((r) => [r.event_id, r]));
    // Union of the compacted file and the late files; of two copies, the earlier ingest is kept.
    const want = new Map(
      [...wanted].map(([id, r]) => [
        id,
        { ingestMs: r.ingest_time.getTime(), eventMs: r.event_time.getTime() },
      ]),
    );
    for (const [id, v] of lateExpected.get(p)!) {
      const kept = want.get(id);
      if (!kept || v.ingestMs < kept.ingestMs) want.set(id, v);
    }
    expect(want.size).toBe(40 + 10);
    const report = await compact(lake);
    expect(report.compacted.map((c) => `${c.table}/${c.date}/${c.hour}`)).toEqual([p]);
    expectCompacted((await lakeState(lake)).get(p), want);
  }, 60_000);

  it('a listed file vanishing mid-read (another compaction) skips the partition: nothing written or deleted', async () => {
    const inner = newLake();
    const { expected } = await writeSmallFiles(inner, { ...spec, seed: 15 });
    const victim = `course/${date}/09`;
    const writes: string[] = [];
    let gets = 0;
    const lake = new (class extends HookedStore {
      override async get(key: string) {
        if (partitionOf(key) === victim && ++gets === 2) {
          // Another compactor swaps the partition between this run's listing and its reads.
          const keys = (await inner.list(`raw/course/date=${date}/hour=09/`)).map((o) => o.key);
          await compactPartition(inner, rawEventTable('course'), { date, hour: '09', keys });
        }
        return this.inner.get(key);
      }
      override put(key: string, body: Uint8Array, contentType?: string) {
        writes.push(`put ${key}`);
        return this.inner.put(key, body, contentType);
      }
      override delete(key: string) {
        writes.push(`delete ${key}`);
        return this.inner.delete(key);
      }
    })(inner);
    const logs: Record<string, unknown>[] = [];
    const report = await compact(lake, { log: (e) => logs.push(e) });
    expect(report.skipped).toEqual([`raw/course/date=${date}/hour=09/`]);
    expect(report.compacted).toHaveLength(11);
    expect(writes.filter((w) => partitionOf(w.split(' ')[1]!) === victim)).toEqual([]);
    expect(logs.filter((l) => l['event'] === 'compaction_skipped')).toHaveLength(1);
    const state = await lakeState(inner);
    for (const [p, want] of expected) expectCompacted(state.get(p), want);
  }, 60_000);

  it('two compactions racing on the same lake lose nothing; a rerun leaves exactly one file per hour', async () => {
    const lake = newLake();
    const { expected } = await writeSmallFiles(lake, { ...spec, seed: 16 });
    const reports = await Promise.all([compact(lake), compact(lake)]);
    expectNothingLost(await lakeState(lake), expected);
    expect(reports.flatMap((r) => r.compacted).length).toBeGreaterThanOrEqual(12);
    await compact(lake);
    const state = await lakeState(lake);
    for (const [p, want] of expected) expectCompacted(state.get(p), want);
  }, 60_000);
});

describe('a crash at every step of a compaction run', () => {
  // Small enough to fail every call of a run in turn: 3 categories × hours 09-10 (an hour boundary).
  const small: SmallFilesSpec = {
    seed: 21,
    date,
    hours: [9, 10],
    types: ['LOGIN', 'VIDEO_WATCHED', 'COURSE_VIEW'],
    perHour: 8,
    maxPerWrite: 6,
    duplicateShare: 0.4,
  };
  let template: string;
  let expected: Expected;
  let reference: Record<string, string>;
  beforeAll(async () => {
    const lake = newLake();
    template = lake.root;
    ({ expected } = await writeSmallFiles(lake, small));
    const copy = new LocalDirStore(join(root, 'reference'));
    await cp(template, copy.root, { recursive: true });
    await compact(copy);
    reference = fingerprint(await lakeState(copy));
    for (const files of (await lakeState(lake)).values()) expect(files.length).toBeGreaterThan(1);
  });

  const scenario = (): CrashScenario<Map<string, LakeFile[]>> => ({
    copy: async () => {
      const lake = newLake();
      await cp(template, lake.root, { recursive: true });
      return lake;
    },
    compact,
    state: lakeState,
    expectNothingLost: (state) => expectNothingLost(state, expected),
    expectCompacted: (state) => {
      for (const [p, want] of expected) expectCompacted(state.get(p), want);
    },
    reference,
  });

  it.each(crashCases)(
    'call n of %s failing (after it completed: %s), for every n: nothing lost; a rerun gives exactly once',
    async (op, after) => {
      const faults = await crashAtEveryCall(scenario(), op, after);
      const partitions = expected.size;
      const files = Object.keys(reference).length;
      expect(files).toBe(partitions);
      // Every call of the run was failed once: lists per category, puts per partition, a get and a delete per file.
      const minimum = { list: 3, get: 2 * partitions, put: partitions, delete: partitions }[op];
      expect(faults).toBeGreaterThanOrEqual(minimum);
    },
    120_000,
  );

  it('a crash after a put, before any delete, leaves the old files beside the new one; a rerun gives exactly once', async () => {
    await crashBeforeDeletes(scenario());
  }, 60_000);
});
