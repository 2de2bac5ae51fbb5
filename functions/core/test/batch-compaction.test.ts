/**
 * The batch reader while the lake is being compacted: a run lists a day's files once, so a compaction that
 * swaps a partition between the listing and the reads deletes files the run listed and writes one it never
 * listed. `readDay` re-lists such a partition and reads what it had not; the runs below give the oracle's
 * rows (computed from the events, independently of the lake) whether compaction ran before, during or
 * half-way (old files and compacted file side by side).
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDirStore } from '../src/adapters/local-dir.ts';
import type { ObjectInfo, ObjectStore } from '../src/adapters/object-store.ts';
import { openSqliteViewStore } from '../src/adapters/sqlite.ts';
import type { BatchRunReport } from '../src/batch/job.ts';
import { utcPartitionsOfLocalDay } from '../src/batch/plan.ts';
import { type RawInput, RawListing, readDay } from '../src/batch/source.ts';
import { categories, type LmsEvent } from '../src/events/envelope.ts';
import {
  type CompactionReport,
  compactLake,
  compactPartition,
  rawEventTable,
} from '../src/lake/compaction.ts';
import { parseRawKey, rawPrefix } from '../src/lake/paths.ts';
import { canonical, generateDays, prng } from './batch-oracle.ts';
import { expectViewsMatchOracle, scenario, storedViews } from './batch-scenario.ts';
import { batchFixture, calendar, writeLake } from './batch-support.ts';
import { HookedStore } from './compaction-support.ts';

const later = () => Date.parse('2030-01-01T00:00:00Z');
const localDate = (e: LmsEvent) => new Date(Date.parse(e.time) + 7 * 3_600_000).toISOString().slice(0, 10);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ula-batch-compaction-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
let lakes = 0;
const newLake = () => new LocalDirStore(join(root, `lake-${++lakes}`));

/**
 * Writes events as ingest under load does: in time order, a few events per write (so many small files
 * per hour), with some writes repeated as other files (redeliveries).
 */
async function writeSmallFiles(lake: ObjectStore, events: readonly LmsEvent[], seed: number, perWrite = 8) {
  const r = prng(seed);
  const sorted = [...events].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  for (let i = 0; i < sorted.length; i += perWrite) {
    const write = sorted.slice(i, i + perWrite);
    await writeLake(lake, write, new Date(later() + i));
    if (r.chance(0.1))
      await writeLake(lake, write.slice(0, r.int(1, write.length)), new Date(later() + i + 1));
  }
}

/** A store that compacts each (category, UTC date) right after the run's first listing of it. */
class CompactAfterListing extends HookedStore {
  readonly reports: CompactionReport[] = [];
  private readonly done = new Set<string>();
  override async list(prefix: string): Promise<ObjectInfo[]> {
    const listed = await this.inner.list(prefix);
    const m = /^raw\/([a-z]+)\/date=(\d{4}-\d{2}-\d{2})\/$/.exec(prefix);
    if (m && !this.done.has(prefix)) {
      this.done.add(prefix);
      const category = categories.find((c) => c === m[1])!;
      this.reports.push(
        await compactLake({
          lake: this.inner,
          from: m[2]!,
          to: m[2]!,
          tables: [rawEventTable(category)],
          now: later,
        }),
      );
    }
    return listed; // the listing from before the swap
  }
}

/** A store whose deletes do nothing: a compaction through it stops at the swap instant. */
class NoDeletes extends HookedStore {
  override async delete(): Promise<void> {}
}

describe('readDay while partitions are compacted', () => {
  const day = '2026-03-02';
  let template: LocalDirStore;
  let expected: Set<string>;
  beforeAll(async () => {
    template = newLake();
    const events = generateDays(31, day, 1, 600);
    await writeSmallFiles(template, events, 31);
    expected = new Set(events.filter((e) => localDate(e) === day).map((e) => e.id));
    expect(expected.size).toBeGreaterThan(500);
  });
  const copy = async () => {
    const lake = newLake();
    await cp(template.root, lake.root, { recursive: true });
    return lake;
  };
  const listDay = (lake: ObjectStore) =>
    new RawListing(lake).files(categories, utcPartitionsOfLocalDay(calendar, day));
  const read = async (lake: ObjectStore, files: readonly RawInput[]) => {
    const seen: string[] = [];
    const stats = await readDay(lake, files, day, calendar, (e) => seen.push(e.id));
    return { seen, stats };
  };

  it('reads every event when the listed files were compacted before they were read', async () => {
    const lake = await copy();
    const files = await listDay(lake);
    const report = await compactLake({ lake, from: '2026-03-01', to: day, now: later });
    expect(report.compacted.length).toBeGreaterThan(20);
    const gone = (await Promise.all(files.map((f) => lake.get(f.key)))).filter((b) => !b).length;
    expect(gone).toBeGreaterThan(files.length / 2);
    const { seen, stats } = await read(lake, files);
    expect(seen).toHaveLength(expected.size);
    expect(new Set(seen)).toEqual(expected);
    expect(stats.relisted).toBeGreaterThan(20);
    // One re-listing per partition swapped: the other missing files of a partition are explained by it.
    expect(stats.relisted).toBeLessThanOrEqual(report.compacted.length);
  });

  it('re-lists again when a file found by the re-listing is itself compacted away before it is read', async () => {
    const inner = await copy();
    const files = await listDay(inner);
    await compactLake({ lake: inner, from: '2026-03-01', to: day, now: later });
    // Late events arrive in an hour of video the run listed, right after the run re-lists that partition,
    // and a second compaction swaps it again before the run reads the file it found.
    const listed = new Set(
      files.filter((f) => f.category === 'video').map((f) => f.key.split('/').slice(0, 4).join('/')),
    );
    const candidates = generateDays(32, day, 1, 300).filter(
      (e) => e.category === 'video' && localDate(e) === day,
    );
    const partitionOfEvent = (e: LmsEvent) =>
      `${rawPrefix}video/date=${e.time.slice(0, 10)}/hour=${e.time.slice(11, 13)}`;
    const target = candidates.map(partitionOfEvent).find((p) => listed.has(p))!;
    const late = candidates.filter((e) => partitionOfEvent(e) === target);
    expect(late.length).toBeGreaterThan(0);
    const hour = `${target}/`;
    const { date: lateDate, hour: lateHour } = parseRawKey(`${hour}x.parquet`)!;
    let relistings = 0;
    const lake = new (class extends HookedStore {
      override async list(prefix: string) {
        const listed = await this.inner.list(prefix);
        if (prefix === hour && ++relistings === 1) {
          await writeLake(this.inner, late);
          const keys = (await this.inner.list(hour)).map((o) => o.key);
          expect(keys).toHaveLength(2);
          await compactPartition(this.inner, rawEventTable('video'), {
            date: lateDate,
            hour: lateHour,
            keys,
          });
        }
        return listed;
      }
    })(inner);
    const { seen } = await read(lake, files);
    expect(relistings).toBe(2);
    expect(new Set(seen)).toEqual(new Set([...expected, ...late.map((e) => e.id)]));
    expect(seen).toHaveLength(expected.size + late.length);
  });

  it('fails clearly when a partition keeps changing under the read', async () => {
    const lake = await copy();
    const phantom = (n: number): ObjectInfo => ({
      key: `${rawPrefix}auth/date=${day}/hour=05/phantom-${n}.parquet`,
      size: 1,
      lastModified: new Date(0),
    });
    let n = 0;
    const changing = new (class extends HookedStore {
      override async list(prefix: string) {
        return prefix.includes('hour=05') ? [phantom(++n)] : this.inner.list(prefix);
      }
    })(lake);
    const files: RawInput[] = [{ key: phantom(0).key, category: 'auth', size: 1, lastModified: 0 }];
    await expect(read(changing, files)).rejects.toThrow(/auth\/date=2026-03-02\/hour=05.*kept changing/);
    expect(n).toBeGreaterThan(2);
    expect(n).toBeLessThan(20);
  });

  it('never counts an event twice when a listing holds the old files and the compacted one', async () => {
    const lake = await copy();
    await compactLake({ lake: new NoDeletes(lake), from: '2026-03-01', to: day, now: later });
    const files = await listDay(lake);
    const { seen, stats } = await read(lake, files);
    expect(seen).toHaveLength(expected.size);
    expect(new Set(seen)).toEqual(expected);
    expect(stats.duplicates).toBeGreaterThan(expected.size / 2);
    expect(stats.relisted).toBe(0);
  });
});

describe('batch runs while the lake is compacted', () => {
  const s = scenario(5, 300);
  const events = [...s.phase1, ...s.duplicates];
  const request = { job: 'all', from: '2026-03-01', to: '2026-03-03' } as const;
  // Distinct events of the requested local days, from the events themselves.
  const distinct = new Set(events.filter((e) => localDate(e) >= request.from).map((e) => e.id)).size;
  let template: LocalDirStore;
  let plain: { report: BatchRunReport; rows: Record<string, unknown> };
  beforeAll(async () => {
    template = newLake();
    await writeSmallFiles(template, events, 5);
    plain = await run(await copy());
  }, 60_000);
  const copy = async () => {
    const lake = newLake();
    await cp(template.root, lake.root, { recursive: true });
    return lake;
  };
  async function run(lake: ObjectStore) {
    const fixture = batchFixture(openSqliteViewStore(':memory:'), lake);
    try {
      const report = await fixture.run(request);
      await expectViewsMatchOracle(fixture, events);
      const rows: Record<string, unknown> = {};
      for (const view of storedViews) rows[view] = canonical(await fixture.rows(view));
      return { report, rows };
    } finally {
      await fixture.close();
    }
  }

  it('a run on the uncompacted lake gives the oracle rows (the reference)', () => {
    expect(plain.report.eventsRead).toBe(distinct);
    expect(plain.report.duplicates).toBeGreaterThan(0);
  });

  it('compaction between the run’s listing and its reads: same rows, every event read once', async () => {
    const inner = await copy();
    const lake = new CompactAfterListing(inner);
    const swapped = await run(lake);
    const compacted = lake.reports.flatMap((r) => r.compacted);
    expect(compacted.length).toBeGreaterThan(50);
    expect(swapped.report.eventsRead).toBe(distinct);
    expect(swapped.rows).toEqual(plain.rows);
    // The lake was really swapped under the run: every listed file of a compacted hour is gone.
    const left = (await inner.list(rawPrefix)).map((o) => parseRawKey(o.key)!);
    for (const c of compacted)
      expect(
        left.filter((p) => p.category === c.table && p.date === c.date && p.hour === c.hour),
      ).toHaveLength(1);
  }, 60_000);

  it('a listing at the swap instant (old files and the compacted one): same rows, nothing counted twice', async () => {
    const lake = await copy();
    const report = await compactLake({
      lake: new NoDeletes(lake),
      from: '2026-02-28',
      to: '2026-03-03',
      now: later,
    });
    expect(report.compacted.length).toBeGreaterThan(50);
    const swapped = await run(lake);
    expect(swapped.report.eventsRead).toBe(distinct);
    expect(swapped.report.duplicates).toBeGreaterThan(plain.report.duplicates + distinct / 2);
    expect(swapped.rows).toEqual(plain.rows);
  }, 60_000);

  it('a run after the compaction finished: same rows', async () => {
    const lake = await copy();
    await compactLake({ lake, from: '2026-02-28', to: '2026-03-03', now: later });
    const compacted = await run(lake);
    expect(compacted.report.eventsRead).toBe(distinct);
    expect(compacted.rows).toEqual(plain.rows);
  }, 60_000);
});
