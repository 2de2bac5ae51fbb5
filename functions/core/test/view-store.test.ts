import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  count,
  countDistinct,
  defineSpeedView,
  key,
  type LmsEvent,
  localCalendar,
  openSqliteViewStore,
  openViewStore,
  type Row,
  SqliteViewStore,
  speedFacts,
  speedRows,
  speedTable,
  sum,
  type TableDefinition,
  type ViewStore,
} from '../src/index.ts';

/** Tables of the behaviour suite: one per shape the views use. */
export const daily: TableDefinition = {
  name: 'vs_daily',
  doc: 'per date and course',
  columns: [
    { name: 'date', type: 'date' },
    { name: 'course_id', type: 'text' },
    { name: 'events', type: 'bigint' },
    { name: 'mean', type: 'double' },
    { name: 'hour', type: 'int' },
    { name: 'last_seen', type: 'timestamp' },
    { name: 'flag', type: 'boolean' },
  ],
  partitionKey: ['date'],
  clustering: [{ name: 'course_id', order: 'ASC' }],
};

export const timeline: TableDefinition = {
  name: 'vs_timeline',
  doc: 'per user, newest first',
  columns: [
    { name: 'user_id', type: 'text' },
    { name: 'at', type: 'timestamp' },
    { name: 'value', type: 'double' },
  ],
  partitionKey: ['user_id'],
  clustering: [{ name: 'at', order: 'DESC' }],
};

export const small: TableDefinition = {
  name: 'vs_small',
  doc: 'a small table scanned in pages',
  columns: [
    { name: 'id', type: 'text' },
    { name: 'n', type: 'int' },
  ],
  partitionKey: ['id'],
  clustering: [],
};

export const speedView = defineSpeedView({
  name: 'vs_speed',
  doc: 'video facts per course, 1-minute windows sliding 30 s',
  sources: ['video'],
  window: { size: 60, slide: 30 },
  // Untyped reads (LmsEvent): the facts these tests write carry fields of their own (`seconds`).
  keys: { course_id: key.text((e: LmsEvent) => e.data['course_id'] as string) },
  metrics: {
    views: count(),
    viewers: countDistinct((e: LmsEvent) => e.data['user_id'] as string),
    seconds: sum((e: LmsEvent) => e.data['seconds'] as number),
  },
});
export const speed = speedTable(speedView);

export const suiteTables = [daily, timeline, small, speed];

export interface StoreUnderTest {
  store: ViewStore;
  /** Lets time pass for TTL checks (a fake clock when embedded, a real wait against Cassandra). */
  advance(ms: number): Promise<void>;
  /** Removes every row of the suite's tables. */
  clear(): Promise<void>;
  close(): Promise<void>;
}

const context = { calendar: localCalendar('Asia/Ho_Chi_Minh') };
let seq = 0;
const video = (user: string, course: string, time: string, seconds: number): LmsEvent => ({
  id: `20000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`,
  category: 'video',
  eventType: 'VIDEO_WATCHED',
  time,
  data: { user_id: user, role: 'student', course_id: course, seconds },
});

/** The behaviour every ViewStore must show; run against SQLite here and Cassandra in the integration test. */
export function viewStoreBehaviour(label: string, open: () => Promise<StoreUnderTest>) {
  describe(`ViewStore behaviour: ${label}`, () => {
    let t: StoreUnderTest;
    beforeAll(async () => {
      t = await open();
      await t.store.ensureTables(suiteTables);
      await t.clear();
    });
    afterAll(async () => t?.close());

    it('upserts are idempotent and replace whole rows; values keep their domain types', async () => {
      const row: Row = {
        date: '2026-03-01',
        course_id: 'C1',
        events: 9_007_199_254,
        mean: 2.5,
        hour: 23,
        last_seen: Date.UTC(2026, 2, 1, 16, 59, 59, 999),
        flag: true,
      };
      await t.store.upsert(daily, [row, { ...row, course_id: 'C2', mean: null, flag: false }]);
      await t.store.upsert(daily, [row]);
      const rows = await t.store.readPartition(daily, { date: '2026-03-01' });
      expect(rows).toEqual([row, { ...row, course_id: 'C2', mean: null, flag: false }]);
      await t.store.upsert(daily, [{ ...row, events: 1, mean: null }]);
      expect((await t.store.readPartition(daily, { date: '2026-03-01' }))[0]).toEqual({
        ...row,
        events: 1,
        mean: null,
      });
    });

    it('deletes whole partitions and leaves the others', async () => {
      const rows = ['2026-03-02', '2026-03-03'].flatMap((date) =>
        ['A', 'B'].map((course_id) => ({
          date,
          course_id,
          events: 1,
          mean: 1,
          hour: 0,
          last_seen: 0,
          flag: false,
        })),
      );
      await t.store.upsert(daily, rows);
      await t.store.deletePartitions(daily, [{ date: '2026-03-02' }]);
      expect(await t.store.readPartition(daily, { date: '2026-03-02' })).toEqual([]);
      expect(await t.store.readPartition(daily, { date: '2026-03-03' })).toHaveLength(2);
    });

    it('reads a partition in clustering order, bounded on the first clustering column, limited', async () => {
      const base = Date.UTC(2026, 2, 1);
      const rows = Array.from({ length: 10 }, (_, i) => ({ user_id: 'u1', at: base + i * 1000, value: i }));
      await t.store.upsert(timeline, [...rows, { user_id: 'u2', at: base, value: 99 }]);
      const all = await t.store.readPartition(timeline, { user_id: 'u1' });
      expect(all.map((r) => r['value'])).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
      const bounded = await t.store.readPartition(
        timeline,
        { user_id: 'u1' },
        { from: base + 2000, to: base + 5000 },
      );
      expect(bounded.map((r) => r['value'])).toEqual([4, 3, 2]);
      const newest = await t.store.readPartition(timeline, { user_id: 'u1' }, { limit: 3 });
      expect(newest.map((r) => r['value'])).toEqual([9, 8, 7]);
      const oldest = await t.store.readPartition(
        timeline,
        { user_id: 'u1' },
        { limit: 2, descending: false },
      );
      expect(oldest.map((r) => r['value'])).toEqual([0, 1]);
      const courses = await t.store.readPartition(
        daily,
        { date: '2026-03-03' },
        { from: 'B', descending: true },
      );
      expect(courses.map((r) => r['course_id'])).toEqual(['B']);
      expect(await t.store.readPartition(timeline, { user_id: 'nobody' })).toEqual([]);
    });

    it('reads many partitions at once: every row of each named partition, absent ones adding nothing', async () => {
      const base = Date.UTC(2026, 4, 1);
      const users = Array.from({ length: 150 }, (_, i) => `many-${i}`);
      await t.store.upsert(
        timeline,
        users.flatMap((user_id, i) => [
          { user_id, at: base, value: i },
          { user_id, at: base + 1000, value: i + 0.5 },
        ]),
      );
      // More partitions than one query takes, the stored ones mixed with absent ones.
      const asked = users
        .slice(0, 140)
        .flatMap((user_id, i) => (i % 10 === 0 ? [user_id, `absent-${i}`] : [user_id]));
      const rows = await t.store.readPartitions(
        timeline,
        asked.map((user_id) => ({ user_id })),
      );
      const key = (r: Row) => `${r['user_id']}@${r['at']}`;
      const expected = users.slice(0, 140).flatMap((user_id, i) => [
        { user_id, at: base, value: i },
        { user_id, at: base + 1000, value: i + 0.5 },
      ]);
      expect(rows.map(key).sort()).toEqual(expected.map(key).sort());
      expect(rows.find((r) => r['user_id'] === 'many-7' && r['at'] === base + 1000)).toEqual(expected[15]);
      expect(await t.store.readPartitions(timeline, [])).toEqual([]);
    });

    it('expires rows after their TTL', async () => {
      await t.store.upsert(small, [{ id: 'short', n: 1 }], { ttlSeconds: 2 });
      await t.store.upsert(small, [{ id: 'kept', n: 2 }]);
      expect(await t.store.readPartition(small, { id: 'short' })).toHaveLength(1);
      await t.advance(3000);
      expect(await t.store.readPartition(small, { id: 'short' })).toEqual([]);
      expect(await t.store.readPartition(small, { id: 'kept' })).toEqual([{ id: 'kept', n: 2 }]);
      await t.store.deletePartitions(small, [{ id: 'kept' }]);
    });

    it('scans a table in pages, each row exactly once', async () => {
      const rows = Array.from({ length: 25 }, (_, i) => ({ id: `s${String(i).padStart(2, '0')}`, n: i }));
      await t.store.upsert(small, rows);
      const seen: Row[] = [];
      let pageState: string | undefined;
      let pages = 0;
      do {
        const page = await t.store.scan(small, { limit: 10, ...(pageState ? { pageState } : {}) });
        expect(page.rows.length).toBeLessThanOrEqual(10);
        seen.push(...page.rows);
        pageState = page.pageState;
        pages++;
      } while (pageState && pages < 10);
      expect(pages).toBeGreaterThanOrEqual(3);
      expect(seen.map((r) => r['id']).sort()).toEqual(rows.map((r) => r.id));
    });

    it('groups speed facts exactly, redeliveries included', async () => {
      const windowStart = Date.UTC(2026, 2, 1, 10, 0, 0);
      const iso = (s: number) => new Date(windowStart + s * 1000).toISOString();
      const events = [
        video('u1', 'C1', iso(1), 10),
        video('u1', 'C1', iso(5), 20),
        video('u2', 'C1', iso(10), 30.5),
        video('u3', 'C2', iso(20), 5),
        video('u1', 'C2', iso(45), 7),
      ];
      const facts = events.flatMap((e) => speedFacts(speedView, e, context));
      await t.store.upsert(speed, facts);
      await t.store.upsert(speed, facts.slice(0, 4)); // redelivered events rewrite the same facts
      const groups = await t.store.speedGroups(speed, windowStart);
      const rows = speedRows(speedView, groups).sort((a, b) =>
        String(a['course_id']).localeCompare(String(b['course_id'])),
      );
      // Computed by hand from the five events above (all fall in the window starting at windowStart).
      expect(rows).toEqual([
        { window_start: windowStart, course_id: 'C1', views: 3, viewers: 2, seconds: 60.5 },
        { window_start: windowStart, course_id: 'C2', views: 2, viewers: 2, seconds: 12 },
      ]);
      // The window 30 s later holds only the event at +45 s.
      const later = speedRows(speedView, await t.store.speedGroups(speed, windowStart + 30_000));
      expect(later).toEqual([
        { window_start: windowStart + 30_000, course_id: 'C2', views: 1, viewers: 1, seconds: 7 },
      ]);
      expect(await t.store.speedGroups(speed, windowStart + 3_600_000)).toEqual([]);
    });

    it('answers health checks', async () => {
      await expect(t.store.health()).resolves.toBeUndefined();
    });
  });
}

const runningThisFile = expect.getState().testPath === fileURLToPath(import.meta.url);

if (runningThisFile) {
  viewStoreBehaviour('SQLite', async () => {
    const store = openSqliteViewStore(':memory:');
    let offset = 0;
    store.now = () => Date.now() + offset;
    return {
      store,
      advance: async (ms) => {
        offset += ms;
      },
      clear: async () => {
        for (const table of suiteTables) store.db.exec(`DELETE FROM "${table.name}"`);
      },
      close: () => store.close(),
    };
  });

  describe('SQLite view store specifics', () => {
    it('openViewStore picks SQLite under dataDir without Cassandra settings, and persists across opens', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ula-views-'));
      try {
        const store = openViewStore({ cassandra: undefined, dataDir: dir });
        expect(store).toBeInstanceOf(SqliteViewStore);
        await store.ensureTables([small]);
        await store.upsert(small, [{ id: 'x', n: 1 }]);
        await store.close();
        const again = openViewStore({ cassandra: undefined, dataDir: dir });
        await again.ensureTables([small]);
        expect(await again.readPartition(small, { id: 'x' })).toEqual([{ id: 'x', n: 1 }]);
        await again.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('purges expired rows', async () => {
      const store = openSqliteViewStore(':memory:');
      await store.ensureTables([small]);
      await store.upsert(small, [{ id: 'a', n: 1 }], { ttlSeconds: 1 });
      const now = Date.now();
      store.now = () => now + 5000;
      expect(store.purgeExpired(small)).toBe(1);
      await store.close();
    });

    it('refuses rows with a null primary key', async () => {
      const store = openSqliteViewStore(':memory:');
      await store.ensureTables([daily]);
      await expect(store.upsert(daily, [{ date: '2026-01-01', course_id: null }])).rejects.toThrow(
        /course_id/,
      );
      await store.close();
    });
  });
}
