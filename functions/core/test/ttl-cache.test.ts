import { describe, expect, it } from 'vitest';
import { openSqliteViewStore } from '../src/adapters/sqlite.ts';
import { ServingReader, TtlCache } from '../src/serving/reader.ts';
import { tableNamed } from '../src/views/catalogue.ts';
import { localCalendar } from '../src/views/time.ts';

describe('serving TtlCache', () => {
  it('drops expired entries within a minute, however few there are (a long-lived reader meets new keys)', async () => {
    let now = 0;
    const cache = new TtlCache<number>(() => now);
    // A reader polled every 5 minutes for a week, each poll reading the windows of that moment.
    for (let poll = 0; poll < 2016; poll++) {
      now = poll * 300_000;
      for (let w = 0; w < 12; w++) await cache.get(`window-${poll}-${w}`, 1_000, async () => w);
    }
    // Only the last poll's keys can be alive (plus those swept at most a minute ago).
    expect(cache.size).toBeLessThanOrEqual(12);
  });

  it('serves a live entry from the cache and reloads an expired one', async () => {
    let now = 0;
    let loads = 0;
    const cache = new TtlCache<number>(() => now);
    const load = async () => ++loads;
    expect(await cache.get('k', 1_000, load)).toBe(1);
    now = 999;
    expect(await cache.get('k', 1_000, load)).toBe(1);
    now = 1_000;
    expect(await cache.get('k', 1_000, load)).toBe(2);
  });
});

describe('serving TtlCache, stale while it reloads', () => {
  it('serves an expired value within staleMs at once and replaces it by one background load', async () => {
    let now = 0;
    let loads = 0;
    let release: (() => void) | undefined;
    const cache = new TtlCache<number>(() => now);
    const slowLoad = () =>
      new Promise<number>((resolve) => {
        const n = ++loads;
        release = () => resolve(n);
      });
    const first = cache.get('scan', 1_000, slowLoad, 5_000);
    release!();
    expect(await first).toBe(1);
    now = 1_500; // expired, within the stale window: the old value now, one reload started
    expect(await cache.get('scan', 1_000, slowLoad, 5_000)).toBe(1);
    expect(await cache.get('scan', 1_000, slowLoad, 5_000)).toBe(1);
    expect(loads).toBe(2);
    release!();
    await new Promise((r) => setTimeout(r, 0));
    expect(await cache.get('scan', 1_000, slowLoad, 5_000)).toBe(2);
    // Past the stale window a request waits for the load.
    now = 10_000;
    const late = cache.get('scan', 1_000, slowLoad, 5_000);
    expect(loads).toBe(3);
    release!();
    expect(await late).toBe(3);
  });

  it('keeps the stale value when the background load fails, and tries again on the next request', async () => {
    let now = 0;
    let loads = 0;
    const cache = new TtlCache<number>(() => now);
    expect(await cache.get('k', 1_000, async () => ++loads, 5_000)).toBe(1);
    now = 2_000;
    const failing = async () => {
      loads++;
      throw new Error('store down');
    };
    expect(await cache.get('k', 1_000, failing, 5_000)).toBe(1);
    await new Promise((r) => setTimeout(r, 0));
    expect(await cache.get('k', 1_000, async () => ++loads * 10, 5_000)).toBe(1);
    await new Promise((r) => setTimeout(r, 0));
    expect(await cache.get('k', 1_000, async () => -1, 5_000)).toBe(30);
  });
});

describe('the reader cache of listing pages (ServingReader.cached)', () => {
  it('reads a page once per refresh, keeps at most 1,000 pages, and never keeps long ones', async () => {
    const store = openSqliteViewStore(':memory:');
    const table = tableNamed('student_directory');
    await store.ensureTables([table]);
    await store.upsert(table, [{ bucket: 41, student_id: 'SV001' }]);
    let reads = 0;
    const counting = {
      ...store,
      readPartition: (...args: Parameters<typeof store.readPartition>) => {
        reads++;
        return store.readPartition(...args);
      },
    } as typeof store;
    const reader = new ServingReader(counting, {
      calendar: localCalendar('UTC'),
      thresholds: { speedStaleSeconds: 300, speedDownSeconds: 900, batchStaleHours: 30, batchDownHours: 54 },
    });
    const page = (from: string, limit = 51) =>
      reader.cached.readPartition(table, { bucket: 41 }, { from, limit });
    expect(await page('SV000')).toHaveLength(1);
    await page('SV000');
    expect(reads).toBe(1); // the same page again: from the cache
    for (let i = 0; i < 1_100; i++) await page(`SV${i}`);
    expect(reads).toBe(1 + 1_100); // 1,100 other pages, each read once (the last 101 not kept)
    const before = reads;
    await page('SV1099'); // past the bound: read, not kept
    await page('SV1099');
    expect(reads).toBe(before + 2);
    await page('SV000'); // kept from the start
    expect(reads).toBe(before + 2);
    await page('SV000', 501); // a long page is never kept
    await page('SV000', 501);
    expect(reads).toBe(before + 4);
    await store.close();
  });
});

describe('the reader serves expired batch rows while one read replaces them', () => {
  it('an expired page or partition answers at once (stale) and the next request gets the new rows; TTL 0 reads every time', async () => {
    const store = openSqliteViewStore(':memory:');
    const table = tableNamed('student_directory');
    await store.ensureTables([table]);
    await store.upsert(table, [{ bucket: 41, student_id: 'SV001' }]);
    let now = 0;
    let reads = 0;
    const held: (() => void)[] = [];
    let hold = false;
    const counting = {
      ...store,
      readPartition: async (...args: Parameters<typeof store.readPartition>) => {
        reads++;
        if (hold) await new Promise<void>((r) => held.push(r));
        return store.readPartition(...args);
      },
    } as typeof store;
    const thresholds = {
      speedStaleSeconds: 300,
      speedDownSeconds: 900,
      batchStaleHours: 30,
      batchDownHours: 54,
    };
    const reader = new ServingReader(counting, {
      calendar: localCalendar('UTC'),
      thresholds,
      now: () => now,
    });
    const ids = async (read: Promise<Record<string, unknown>[]>) => (await read).map((r) => r['student_id']);
    const page = () => reader.cached.readPartition(table, { bucket: 41 }, { limit: 51 });
    const partition = () => reader.partition(table, { bucket: 41 });
    expect(await ids(page())).toEqual(['SV001']);
    expect(await ids(partition())).toEqual(['SV001']);
    await store.upsert(table, [{ bucket: 41, student_id: 'SV002' }]);
    now = 10_000; // expired (TTL 10 s): both answer the old rows at once while their reads are held
    hold = true;
    expect(await ids(page())).toEqual(['SV001']);
    expect(await ids(partition())).toEqual(['SV001']);
    expect(reads).toBe(4);
    hold = false;
    for (const release of held) release();
    await new Promise((r) => setTimeout(r, 20));
    expect(await ids(page())).toEqual(['SV001', 'SV002']);
    expect(await ids(partition())).toEqual(['SV001', 'SV002']);
    // Past 4 TTLs unread, the old rows are no longer served: the request waits for the store.
    now = 60_000;
    await store.upsert(table, [{ bucket: 41, student_id: 'SV003' }]);
    expect(await ids(page())).toEqual(['SV001', 'SV002', 'SV003']);
    // A reader with TTL 0 reads the store on every request.
    const fresh = new ServingReader(counting, { calendar: localCalendar('UTC'), thresholds, batchTtlMs: 0 });
    const before = reads;
    await fresh.partition(table, { bucket: 41 });
    await fresh.partition(table, { bucket: 41 });
    expect(reads).toBe(before + 2);
    await store.close();
  });
});
