import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteViewStore } from '../src/adapters/sqlite.ts';
import type { Row } from '../src/views/columns.ts';
import {
  dayRows,
  keys,
  newReadState,
  type ReadStats,
  readStats,
  replaceDay,
  slot,
} from './replace-support.ts';

const date = '2026-03-10';
const otherDate = '2026-03-11';
/** Rows of the day every version keeps: thousands, so a write takes long enough for reads to land in it. */
const kept = keys('k', 3000);

/** A reader on a second connection, in a worker thread, polling the day's partition until stopped. */
function startReader(file: string) {
  const state = newReadState();
  const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), {
    workerData: {
      entry: new URL('./view-store-reader-worker.ts', import.meta.url).href,
      file,
      table: replaceDay,
      partition: { date },
      shared: state.buffer,
    },
  });
  let failure: Error | undefined;
  const exited = new Promise<void>((resolve, reject) => {
    worker.once('error', (error) => {
      failure = error;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (code === 0) resolve();
      else {
        failure ??= new Error(`reader worker exited with code ${code}`);
        reject(failure);
      }
    });
  });
  // Observed by waitForReads and rethrown by stop; this handler only keeps Node from reporting it early.
  exited.catch(() => undefined);
  return {
    stats: (): ReadStats => readStats(state),
    /** Waits until the reader has completed `count` reads in all. */
    async waitForReads(count: number): Promise<void> {
      while (Atomics.load(state, slot.reads) < count) {
        if (failure) throw failure;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    },
    async stop(): Promise<ReadStats> {
      Atomics.store(state, slot.stop, 1);
      await exited;
      return readStats(state);
    },
  };
}
type Reader = ReturnType<typeof startReader>;

/**
 * Rewrites the day `rounds` times while the reader polls; after each rewrite waits for another read, so
 * reads keep landing between and during the writes. `until` ends early (the control's shrink found).
 */
async function rewriteWhileReading(
  reader: Reader,
  rounds: number,
  write: (round: number) => Promise<void>,
  until: (stats: ReadStats) => boolean = () => false,
): Promise<number> {
  await reader.waitForReads(1);
  for (let round = 1; round <= rounds; round++) {
    await write(round);
    await reader.waitForReads(reader.stats().reads + 1);
    if (until(reader.stats())) return round;
  }
  return rounds;
}

/** Version `round` of the day: the kept keys plus `grown` keys per round so far (a superset each time). */
const grownDay = (day: string, round: number): Row[] =>
  dayRows(day, [...kept, ...keys(`g${day}-`, round * 20)], round);

describe('SqliteViewStore.replacePartitions', () => {
  let dir: string;
  let file: string;
  let writer: SqliteViewStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ula-replace-'));
    file = join(dir, 'views.sqlite');
    writer = new SqliteViewStore(file);
    await writer.ensureTables([replaceDay]);
  });
  afterEach(async () => {
    await writer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a reader on another connection never sees the day vanish or shrink while it is replaced', async () => {
    await writer.upsert(replaceDay, [...grownDay(date, 0), ...grownDay(otherDate, 0)]);
    const reader = startReader(file);
    let stats: ReadStats;
    try {
      // Each call replaces two days at once (6,000+ rows), 30 times.
      await rewriteWhileReading(reader, 30, (round) =>
        writer.replacePartitions(
          replaceDay,
          [{ date }, { date: otherDate }],
          [...grownDay(date, round), ...grownDay(otherDate, round)],
        ),
      );
    } finally {
      stats = await reader.stop();
    }
    expect(stats.reads).toBeGreaterThan(30);
    expect(stats.empty).toBe(0);
    expect(stats.minRows).toBe(kept.length);
    expect(stats.minKept).toBe(kept.length);
    expect(stats.shrinks).toBe(0);
    // One transaction: no read ever mixes two versions of the day.
    expect(stats.mixed).toBe(0);
    const rows = await writer.readPartition(replaceDay, { date });
    expect(rows).toHaveLength(kept.length + 30 * 20);
    expect(new Set(rows.map((r) => r['generation']))).toEqual(new Set([30]));
  }, 60_000);

  it('control: deleting the day then upserting it lets the same reader see the day shrink', async () => {
    await writer.upsert(replaceDay, grownDay(date, 0));
    const reader = startReader(file);
    let stats: ReadStats;
    try {
      await rewriteWhileReading(
        reader,
        200,
        async (round) => {
          await writer.deletePartitions(replaceDay, [{ date }]);
          await writer.upsert(replaceDay, grownDay(date, round));
        },
        (seen) => seen.minRows < kept.length,
      );
    } finally {
      stats = await reader.stop();
    }
    // The harness catches the old sequence, so the test above could fail.
    expect(stats.minRows).toBeLessThan(kept.length);
    expect(stats.shrinks).toBeGreaterThan(0);
  }, 60_000);

  it('removes the keys the new rows no longer hold, and only in the replaced partitions', async () => {
    const stale = keys('s', 50);
    await writer.upsert(replaceDay, [
      ...dayRows(date, [...kept.slice(0, 100), ...stale], 0),
      ...dayRows(otherDate, [...kept.slice(0, 100), ...stale], 0),
    ]);
    await writer.replacePartitions(replaceDay, [{ date }], dayRows(date, kept.slice(0, 100), 1));
    const rows = await writer.readPartition(replaceDay, { date });
    expect(rows.map((r) => r['user_id']).sort()).toEqual(kept.slice(0, 100));
    expect(rows.every((r) => r['generation'] === 1)).toBe(true);
    expect(await writer.readPartition(replaceDay, { date: otherDate })).toHaveLength(150);

    // No rows: the partition is emptied.
    await writer.replacePartitions(replaceDay, [{ date: otherDate }], []);
    expect(await writer.readPartition(replaceDay, { date: otherDate })).toEqual([]);
  });

  it('refuses rows outside the partitions it replaces, changing nothing', async () => {
    await writer.upsert(replaceDay, dayRows(date, kept.slice(0, 10), 0));
    await expect(
      writer.replacePartitions(replaceDay, [{ date }], dayRows(otherDate, kept.slice(0, 10), 1)),
    ).rejects.toThrow(/outside the partitions replaced/);
    expect(await writer.readPartition(replaceDay, { date })).toHaveLength(10);
    expect(await writer.readPartition(replaceDay, { date: otherDate })).toEqual([]);
  });
});
