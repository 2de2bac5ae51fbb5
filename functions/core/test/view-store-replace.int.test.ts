import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CassandraViewStore, cqlCreateTable, loadConfig, type Row } from '../src/index.ts';
import {
  dayRows,
  keys,
  newReadState,
  type ReadStats,
  readStats,
  recordRead,
  replaceDay,
  slot,
} from './replace-support.ts';

const config = loadConfig({
  ...process.env,
  ULA_CASSANDRA_CONTACT_POINTS: process.env['ULA_CASSANDRA_CONTACT_POINTS'] ?? '127.0.0.1',
});
const settings = config.cassandra!;
/** The scratch keyspace of the view store tests (view-store.int.test.ts), not the views keyspace. */
const scratch = 'ula_view_store_test';
/** Rows every version of a day keeps. */
const kept = keys('k', 2000);

/** Version `round` of a day: the kept keys plus 50 more keys per round so far (a superset each time). */
const grownDay = (date: string, round: number): Row[] =>
  dayRows(date, [...kept, ...keys(`g${date}-`, round * 50)], round);

let writer: CassandraViewStore;
/** Readers use their own client (own connections), like the serving function. */
let reading: CassandraViewStore;

beforeAll(async () => {
  const admin = new cassandra.Client({
    contactPoints: settings.contactPoints,
    localDataCenter: settings.localDataCenter,
    ...(settings.username !== undefined
      ? { credentials: { username: settings.username, password: settings.password ?? '' } }
      : {}),
  });
  try {
    await admin.execute(
      `CREATE KEYSPACE IF NOT EXISTS ${scratch} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    await admin.execute(cqlCreateTable(replaceDay, scratch));
    await admin.execute(`TRUNCATE ${scratch}.${replaceDay.name}`);
  } finally {
    await admin.shutdown();
  }
  writer = new CassandraViewStore({ ...settings, keyspace: scratch });
  reading = new CassandraViewStore({ ...settings, keyspace: scratch });
  await writer.ensureTables([replaceDay]);
});

afterAll(async () => {
  await writer?.close();
  await reading?.close();
});

/** `count` concurrent loops reading the day's partition until stopped, recording what they saw. */
function startReaders(date: string, count: number) {
  const state = newReadState();
  const loops = Array.from({ length: count }, async () => {
    let previous: number | undefined;
    while (Atomics.load(state, slot.stop) === 0)
      previous = recordRead(state, await reading.readPartition(replaceDay, { date }), previous);
  });
  let failure: unknown;
  const all = Promise.all(loops);
  all.catch((error: unknown) => {
    failure = error;
  });
  return {
    stats: (): ReadStats => readStats(state),
    async waitForReads(target: number): Promise<void> {
      while (Atomics.load(state, slot.reads) < target) {
        if (failure !== undefined) throw failure;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    },
    async stop(): Promise<ReadStats> {
      Atomics.store(state, slot.stop, 1);
      await all;
      return readStats(state);
    },
  };
}
type Readers = ReturnType<typeof startReaders>;

/** Rewrites the day `rounds` times while the readers poll, waiting for more reads after each write. */
async function rewriteWhileReading(
  readers: Readers,
  rounds: number,
  write: (round: number) => Promise<void>,
  until: (stats: ReadStats) => boolean = () => false,
): Promise<void> {
  await readers.waitForReads(1);
  for (let round = 1; round <= rounds; round++) {
    await write(round);
    await readers.waitForReads(readers.stats().reads + 4);
    if (until(readers.stats())) return;
  }
}

describe('CassandraViewStore.replacePartitions', () => {
  it('concurrent readers never see the day vanish or shrink while it is replaced', async () => {
    const date = '2026-04-01';
    await writer.upsert(replaceDay, grownDay(date, 0));
    const readers = startReaders(date, 4);
    let stats: ReadStats;
    try {
      await rewriteWhileReading(readers, 4, (round) =>
        writer.replacePartitions(replaceDay, [{ date }], grownDay(date, round)),
      );
    } finally {
      stats = await readers.stop();
    }
    expect(stats.reads).toBeGreaterThan(4 * 4);
    expect(stats.empty).toBe(0);
    expect(stats.minRows).toBe(kept.length);
    expect(stats.shrinks).toBe(0);
    // Rows are overwritten in place, so reads that mix versions are expected here (not in SQLite).
    const rows = await reading.readPartition(replaceDay, { date });
    expect(rows).toHaveLength(kept.length + 4 * 50);
    expect(new Set(rows.map((r) => r['generation']))).toEqual(new Set([4]));
  });

  it('control: deleting the day then upserting it lets the same readers see the day shrink', async () => {
    const date = '2026-04-02';
    await writer.upsert(replaceDay, grownDay(date, 0));
    const readers = startReaders(date, 4);
    let stats: ReadStats;
    try {
      await rewriteWhileReading(
        readers,
        20,
        async (round) => {
          await writer.deletePartitions(replaceDay, [{ date }]);
          await writer.upsert(replaceDay, grownDay(date, round));
        },
        (seen) => seen.minRows < kept.length,
      );
    } finally {
      stats = await readers.stop();
    }
    expect(stats.minRows).toBeLessThan(kept.length);
    expect(stats.shrinks).toBeGreaterThan(0);
  });

  it('drops stale keys while readers poll, never losing a key both versions hold', async () => {
    const date = '2026-04-03';
    const other = '2026-04-04';
    // Each round drops the previous round's extra keys (stale) and adds its own.
    const version = (day: string, round: number) =>
      dayRows(day, [...kept, ...keys(`r${round}-`, 300)], round);
    await writer.upsert(replaceDay, [...version(date, 0), ...version(other, 0)]);
    const readers = startReaders(date, 4);
    let stats: ReadStats;
    try {
      await rewriteWhileReading(readers, 4, (round) =>
        writer.replacePartitions(replaceDay, [{ date }], version(date, round)),
      );
    } finally {
      stats = await readers.stop();
    }
    expect(stats.empty).toBe(0);
    expect(stats.minKept).toBe(kept.length);
    const rows = await reading.readPartition(replaceDay, { date });
    expect(rows.map((r) => r['user_id']).sort()).toEqual([...kept, ...keys('r4-', 300)].sort());
    expect(rows.every((r) => r['generation'] === 4)).toBe(true);
    // The other day is untouched; replacing it with no rows empties it.
    expect(await reading.readPartition(replaceDay, { date: other })).toHaveLength(kept.length + 300);
    await writer.replacePartitions(replaceDay, [{ date: other }], []);
    expect(await reading.readPartition(replaceDay, { date: other })).toEqual([]);
  });

  it('refuses rows outside the partitions it replaces, before writing anything', async () => {
    const date = '2026-04-05';
    await expect(
      writer.replacePartitions(replaceDay, [{ date }], dayRows('2026-04-06', kept.slice(0, 3), 1)),
    ).rejects.toThrow(/outside the partitions replaced/);
    expect(await reading.readPartition(replaceDay, { date: '2026-04-06' })).toEqual([]);
  });
});
