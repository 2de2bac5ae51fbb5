/**
 * Reads the stored views for the serving layer: partition reads only (plus paged scans of the small
 * overview tables), the Lambda merge of `merge.ts`, and short-lived caches so that an endpoint hit
 * hundreds of times a second costs a few map lookups. Speed windows that have settled (ended more than
 * `settleMs` ago) are cached longer than open ones; batch partitions and watermarks briefly.
 */
import type { ViewStore } from '../adapters/view-store.ts';
import { allTables, batchViews, speedViews } from '../views/catalogue.ts';
import type { Row, TableDefinition } from '../views/columns.ts';
import type { SpeedViewDefinition } from '../views/define.ts';
import { type SpeedGroup, speedRows } from '../views/engine.ts';
import { batchWatermarks } from '../views/system-tables.ts';
import { datesBetween, type LocalCalendar } from '../views/time.ts';
import { batchStatus, type HealthThresholds, type LayerStatus, speedStatus, worst } from './health.ts';
import {
  addTotals,
  type DayPlan,
  disjointWindowStarts,
  isTumbling,
  mergeDaily,
  planDays,
  type Totals,
  topTotals,
  windowStarts,
} from './merge.ts';
import { sources, type TotalsSource } from './sources.ts';

export interface ReaderOptions {
  calendar: LocalCalendar;
  thresholds: HealthThresholds;
  now?: () => number;
  /** A speed window is settled (cached longer) this long after it ends: late events land before. */
  settleMs?: number;
  /** Cache lifetimes (ms): open speed windows, settled windows, batch partitions and watermarks. */
  openTtlMs?: number;
  settledTtlMs?: number;
  batchTtlMs?: number;
  /** Partition reads in flight per request. */
  concurrency?: number;
}

/**
 * Listing pages (`cached`) kept at once: their keys (cursors, prefixes, students) are unbounded, so past
 * this many live pages a page is read without being kept; and only pages of up to `maxCachedPageRows`
 * rows are kept (a 500-row CSV page is read each time). 1,000 pages of ~100 rows bound the memory.
 */
const maxCachedPages = 1_000;
const maxCachedPageRows = 102;

/** How long after expiry a small table's scan is still served while it is read again. */
const scanStaleMs = 60_000;

/**
 * A TTL cache that also shares in-flight loads (one store read per key however many callers). Expired
 * entries are swept once a minute: keys name windows and days, so a long-lived reader meets new ones all
 * the time, and sweeping only past 50,000 entries let it keep weeks of dead ones.
 */
export class TtlCache<V> {
  /** `until`: fresh before; `keep`: servable (stale) before, and swept after. */
  private readonly entries = new Map<
    string,
    { until: number; keep: number; value: Promise<V>; settled?: boolean; refreshing?: boolean }
  >();
  private sweptAt: number;
  constructor(private readonly now: () => number) {
    this.sweptAt = now();
  }
  get size(): number {
    return this.entries.size;
  }
  /**
   * The value of `key`, loaded at most once per `ttlMs`. With `staleMs`, an expired value is still served
   * for that long after its expiry while one load in the background replaces it (a slow load, such as a
   * scan, then never holds a request).
   */
  get(key: string, ttlMs: number, load: () => Promise<V>, staleMs = 0): Promise<V> {
    const now = this.now();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.value;
    if (hit?.settled && hit.keep > now) {
      if (!hit.refreshing) {
        hit.refreshing = true;
        load().then(
          (fresh) => {
            const at = this.now();
            this.entries.set(key, {
              until: at + ttlMs,
              keep: at + ttlMs + staleMs,
              value: Promise.resolve(fresh),
              settled: true,
            });
          },
          () => {
            hit.refreshing = false; // the next request tries again; the stale value stays meanwhile
          },
        );
      }
      return hit.value;
    }
    const value = load();
    const entry: { until: number; keep: number; value: Promise<V>; settled?: boolean } = {
      until: now + ttlMs,
      keep: now + ttlMs + staleMs,
      value,
    };
    this.entries.set(key, entry);
    value.then(
      () => {
        entry.settled = true;
      },
      () => this.entries.delete(key),
    );
    if (now - this.sweptAt >= 60_000 || this.entries.size > 50_000) this.sweep(now);
    return value;
  }
  clear() {
    this.entries.clear();
  }
  /** Whether `key` holds a value still fresh. */
  holds(key: string): boolean {
    return (this.entries.get(key)?.until ?? 0) > this.now();
  }
  /** Drops the expired entries now (a bounded user of the cache makes room before refusing a key). */
  prune() {
    this.sweep(this.now());
  }
  private sweep(now: number) {
    this.sweptAt = now;
    for (const [k, e] of this.entries) if (e.keep <= now) this.entries.delete(k);
  }
}

const partitionId = (
  table: TableDefinition,
  key: Row,
  options: { from?: Row[string]; to?: Row[string]; limit?: number; descending?: boolean },
) =>
  `p:${table.name}:${JSON.stringify(key)}:${options.limit ?? ''}:${JSON.stringify([options.from, options.to, options.descending])}`;

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Metrics of a speed view that add up across windows (counts and sums, not distinct counts). */
const additiveMetrics = (view: SpeedViewDefinition) =>
  Object.entries(view.metrics)
    .filter(([, m]) => m.aggregate.kind !== 'count_distinct')
    .map(([name]) => name);

/** Rows summed per grain (additive metrics), keeping the latest `window_start` as `last_window_start`. */
function sumRows(view: SpeedViewDefinition, rows: readonly Row[], grain: readonly string[]): Row[] {
  const metrics = additiveMetrics(view);
  const out = new Map<string, Row>();
  for (const row of rows) {
    const id = grain.map((k) => String(row[k])).join('\u0001');
    let sum = out.get(id);
    if (!sum) {
      sum = Object.fromEntries(grain.map((k) => [k, row[k] ?? null]));
      for (const m of metrics) sum[m] = 0;
      sum['last_window_start'] = 0;
      out.set(id, sum);
    }
    for (const m of metrics)
      sum[m] = (sum[m] as number) + (typeof row[m] === 'number' ? (row[m] as number) : 0);
    const last = (row['last_window_start'] ?? row['window_start']) as number;
    if (last > (sum['last_window_start'] as number)) sum['last_window_start'] = last;
  }
  return [...out.values()];
}

export interface LayerHealth {
  status: LayerStatus;
  /** Speed: newest window start holding facts; batch: the oldest watermark among the views. */
  latest: number | null;
  ageSeconds: number | null;
  detail: Record<string, unknown>;
}

export class ServingReader {
  readonly calendar: LocalCalendar;
  readonly thresholds: HealthThresholds;
  readonly now: () => number;
  private readonly settleMs: number;
  private readonly openTtlMs: number;
  private readonly settledTtlMs: number;
  private readonly batchTtlMs: number;
  private readonly concurrency: number;
  private readonly groups: TtlCache<SpeedGroup[]>;
  private readonly partitions: TtlCache<Row[]>;
  private readonly misc: TtlCache<unknown>;
  private readonly pages: TtlCache<Row[]>;

  constructor(
    readonly store: ViewStore,
    options: ReaderOptions,
  ) {
    this.calendar = options.calendar;
    this.thresholds = options.thresholds;
    this.now = options.now ?? Date.now;
    this.settleMs = options.settleMs ?? 120_000;
    this.openTtlMs = options.openTtlMs ?? 1_000;
    this.settledTtlMs = options.settledTtlMs ?? 300_000;
    this.batchTtlMs = options.batchTtlMs ?? 10_000;
    this.concurrency = options.concurrency ?? 64;
    this.groups = new TtlCache(this.now);
    this.partitions = new TtlCache(this.now);
    this.misc = new TtlCache(this.now);
    this.pages = new TtlCache(this.now);
  }

  /** Forgets every cached read (tests, or after a batch run). */
  clearCache() {
    this.groups.clear();
    this.partitions.clear();
    this.misc.clear();
    this.pages.clear();
  }

  table(name: string): TableDefinition | undefined {
    return allTables.find((t) => t.name === name);
  }

  speedView(name: string): SpeedViewDefinition | undefined {
    return speedViews.find((v) => v.name === name);
  }

  /** The instant up to which a batch view is exact, or undefined when it never ran. */
  async watermark(view: string): Promise<number | undefined> {
    const rows = await this.partitions.get(`wm:${view}`, this.batchTtlMs, () =>
      this.store.readPartition(batchWatermarks, { view_name: view }),
    );
    const w = rows[0]?.['watermark'];
    return typeof w === 'number' ? w : undefined;
  }

  /**
   * Batch rows change once a run: an expired partition or page is still served for 3 TTLs while one read
   * replaces it, so no request waits for the refresh of a key many users read (each expiry held every
   * request of that key for a store read: the closed-loop p99 of the course and student pages on Cassandra).
   * A TTL of 0 (tests that read what they just wrote) keeps every read fresh.
   */
  private get batchStaleMs(): number {
    return this.batchTtlMs * 3;
  }

  /**
   * Rows of one partition (optionally a clustering range `[from, to)`, a limit and an order, as
   * `readPartition`), cached for the batch TTL (then served stale while refreshed, `batchStaleMs`).
   */
  partition(
    table: TableDefinition,
    key: Row,
    options: { from?: Row[string]; to?: Row[string]; limit?: number; descending?: boolean } = {},
  ): Promise<Row[]> {
    return this.partitions.get(
      partitionId(table, key, options),
      this.batchTtlMs,
      () => this.store.readPartition(table, key, options),
      this.batchStaleMs,
    );
  }

  /**
   * `readPartition` through a bounded batch cache, for pages of a partition (listing pages, a course's
   * ranking, a student's days): a page many users ask for is read once per refresh, and at most
   * `maxCachedPages` are kept (beyond, and for long pages, the store is read each time).
   */
  readonly cached: Pick<ViewStore, 'readPartition'> = {
    readPartition: (table, key, options = {}) => {
      const read = () => this.store.readPartition(table, key, options);
      if ((options.limit ?? Number.POSITIVE_INFINITY) > maxCachedPageRows) return read();
      const id = partitionId(table, key, options);
      if (this.pages.size >= maxCachedPages) this.pages.prune();
      if (this.pages.size >= maxCachedPages && !this.pages.holds(id)) return read();
      return this.pages.get(id, this.batchTtlMs, read, this.batchStaleMs);
    },
  };

  /** Grouped facts of one speed window, cached (briefly while the window is open or unsettled). */
  windowGroups(
    view: SpeedViewDefinition,
    table: TableDefinition,
    windowStart: number,
  ): Promise<SpeedGroup[]> {
    const size = view.window.size === 'day' ? 86_400_000 + 3_600_000 : view.window.size * 1000;
    const settled = windowStart + size + this.settleMs < this.now();
    return this.groups.get(
      `g:${view.name}:${windowStart}`,
      settled ? this.settledTtlMs : this.openTtlMs,
      () => this.store.speedGroups(table, windowStart),
    );
  }

  /** Speed view rows (window_start, keys, metrics) for the given windows, empty windows omitted. */
  async windowRows(viewName: string, starts: readonly number[]): Promise<Row[]> {
    const view = this.speedView(viewName);
    const table = this.table(viewName);
    if (!view || !table) return [];
    const groups = await mapLimit(starts, this.concurrency, (s) => this.windowGroups(view, table, s));
    return speedRows(view, groups.flat());
  }

  /** Distinct members of a metric in one window (read from the facts), cached like the groups. */
  private async windowMembers(
    view: SpeedViewDefinition,
    table: TableDefinition,
    start: number,
    metric: string,
  ) {
    const size = view.window.size === 'day' ? 90_000_000 : view.window.size * 1000;
    const settled = start + size + this.settleMs < this.now();
    const rows = (await this.misc.get(
      `m:${view.name}:${start}`,
      settled ? this.settledTtlMs : this.openTtlMs,
      () => this.store.readPartition(table, { window_start: start }),
    )) as Row[];
    return rows.filter((r) => r['metric'] === metric).map((r) => String(r['member']));
  }

  /**
   * Exact distinct count of a keyless speed view's distinct metric over [from, to): the union of members
   * of windows that tile the range (for a sliding view, every other window).
   */
  async distinctBetween(viewName: string, metric: string, from: number, to: number): Promise<number> {
    const view = this.speedView(viewName);
    const table = this.table(viewName);
    if (!view || !table) return 0;
    const starts = disjointWindowStarts(view, from, to);
    const members = await mapLimit(starts, this.concurrency, (s) =>
      this.windowMembers(view, table, s, metric),
    );
    return new Set(members.flat()).size;
  }

  /**
   * Additive metrics (counts, sums) of a tumbling speed view, summed per grain over the windows starting
   * in [from, to), with `last_window_start` per grain. Work is done per hour block: whole blocks are
   * cached (long once settled), so a range of days costs a few dozen cached lookups, not thousands.
   */
  async summedRows(viewName: string, from: number, to: number, grain: readonly string[]): Promise<Row[]> {
    const view = this.speedView(viewName);
    if (!view || from >= to) return [];
    if (!isTumbling(view)) throw new Error(`${viewName} slides: its windows overlap and cannot be added up`);
    const blockMs = 3_600_000;
    const now = this.now();
    const blocks: [number, number][] = [];
    for (let b = Math.floor(from / blockMs) * blockMs; b < to; b += blockMs)
      blocks.push([Math.max(b, from), Math.min(b + blockMs, to)]);
    const compute = async ([s, e]: [number, number]) =>
      sumRows(view, await this.windowRows(viewName, windowStarts(view, s, e, { partial: true })), grain);
    const sums = await mapLimit(blocks, 8, ([s, e]) => {
      if (s % blockMs !== 0 || e - s !== blockMs) return compute([s, e]);
      const settled = e + this.settleMs < now;
      return this.misc.get(
        `b:${viewName}:${grain.join(',')}:${s}`,
        settled ? this.settledTtlMs : this.openTtlMs,
        () => compute([s, e]),
      ) as Promise<Row[]>;
    });
    return sumRows(view, sums.flat(), grain);
  }

  /** Additive metrics of a tumbling speed view over [from, to): summed rows and per-grain totals. */
  async speedTotals(viewName: string, from: number, to: number, grain: readonly string[] = []) {
    const view = this.speedView(viewName);
    if (!view) return { rows: [] as Row[], totals: new Map<string, Totals>(), missing: true };
    const rows = await this.summedRows(viewName, from, to, grain);
    const metrics = Object.fromEntries(additiveMetrics(view).map((name) => [name, name]));
    return { rows, totals: addTotals(new Map(), rows, grain, metrics, 'speed'), missing: false };
  }

  /** Days of a local-date range, each assigned to the layer that answers for it. */
  async plan(batchView: string, from: string, to: string): Promise<{ plan: DayPlan[]; watermark?: number }> {
    const watermark = await this.watermark(batchView);
    const plan = planDays(datesBetween(from, to), watermark, this.calendar);
    return watermark === undefined ? { plan } : { plan, watermark };
  }

  /** Daily active users per local date: batch before the watermark, the live per-day view after. */
  async dailyActiveUsers(from: string, to: string) {
    const src = sources.dailyActiveUsers;
    const { plan, watermark } = await this.plan(src.batch, from, to);
    const batchTable = this.table(src.batch);
    const speedView = this.speedView(src.speed);
    const speedTable = this.table(src.speed);
    const batch = new Map<string, Row>();
    const speed = new Map<string, Row>();
    await mapLimit(plan, this.concurrency, async (day) => {
      if (day.layer === 'batch' && batchTable) {
        const row = (await this.partition(batchTable, { date: day.date }))[0];
        if (row) batch.set(day.date, row);
      } else if (day.layer === 'speed' && speedView && speedTable) {
        if (day.start > this.now()) return;
        const row = speedRows(speedView, await this.windowGroups(speedView, speedTable, day.start))[0];
        if (row) speed.set(day.date, row);
      }
    });
    return {
      watermark: watermark ?? null,
      days: mergeDaily(plan, batch, speed, src.metrics),
      missing: [batchTable ? '' : src.batch, speedTable ? '' : src.speed].filter((x) => x !== ''),
    };
  }

  /**
   * Merged totals per grain (course popularity, video engagement) over a local-date range: batch per-day
   * rows for days before the watermark, speed windows for the days after.
   */
  async mergedTotals(src: TotalsSource, from: string, to: string, limit: number) {
    const { plan, watermark } = await this.plan(src.batch, from, to);
    const batchTable = this.table(src.batch);
    const speedView = this.speedView(src.speed);
    const totals = new Map<string, Totals>();
    const batchMetrics = Object.fromEntries(Object.entries(src.metrics).map(([name, [b]]) => [name, b]));
    const speedMetrics = Object.fromEntries(Object.entries(src.metrics).map(([name, [, s]]) => [name, s]));
    const batchDays = plan.filter((d) => d.layer === 'batch');
    if (batchTable) {
      const rows = await mapLimit(batchDays, this.concurrency, (d) =>
        this.partition(batchTable, { date: d.date }),
      );
      addTotals(totals, rows.flat(), src.grain, batchMetrics, 'batch');
    }
    if (speedView) {
      if (!isTumbling(speedView)) throw new Error(`${src.speed} slides: cannot add its windows up`);
      const now = this.now();
      // Speed rows older than the table's TTL are gone: no need to ask for their windows.
      const ttl = this.table(src.speed)?.ttlSeconds;
      const oldest = ttl === undefined ? Number.NEGATIVE_INFINITY : now - ttl * 1000;
      const days = plan.filter((d) => d.layer === 'speed' && d.start <= now && d.end > oldest);
      const perDay = await mapLimit(days, 4, (d) =>
        this.summedRows(src.speed, Math.max(d.start, oldest), Math.min(d.end, now + 1), src.grain),
      );
      addTotals(totals, perDay.flat(), src.grain, speedMetrics, 'speed');
    }
    return {
      watermark: watermark ?? null,
      batchDays: batchDays.map((d) => d.date),
      speedDays: plan.filter((d) => d.layer === 'speed').map((d) => d.date),
      top: topTotals(totals.values(), src.orderBy, limit),
      missing: [batchTable ? '' : src.batch, speedView ? '' : src.speed].filter((x) => x !== ''),
    };
  }

  /** Distinct active users per disjoint window of the active users view over [from, to). */
  async activeUsersSeries(from: number, to: number) {
    const view = this.speedView(sources.activeUsers);
    if (!view) return [];
    const starts = disjointWindowStarts(view, from, to);
    const rows = await this.windowRows(sources.activeUsers, starts);
    const byStart = new Map(rows.map((r) => [r['window_start'] as number, r]));
    return starts.map((s) => ({
      window_start: s,
      active_users: (byStart.get(s)?.['active_users'] as number) ?? 0,
    }));
  }

  /** The newest active-users window holding data among those that have started, within the down age. */
  async currentActiveUsers() {
    const view = this.speedView(sources.activeUsers);
    if (!view || view.window.size === 'day' || view.window.slide === 'day') return null;
    const now = this.now();
    const size = view.window.size * 1000;
    // Windows that have started; the newest one fully elapsed is the most representative "last minute".
    const starts = windowStarts(view, now - size - this.thresholds.speedDownSeconds * 1000, now + 1, {
      partial: true,
    }).reverse();
    const rows = await this.windowRows(sources.activeUsers, starts);
    const byStart = new Map(rows.map((r) => [r['window_start'] as number, r]));
    const complete = starts.filter((s) => s + size <= now);
    const pick = [...complete, ...starts].find((s) => byStart.has(s));
    if (pick === undefined) return null;
    return {
      active_users: byStart.get(pick)?.['active_users'] as number,
      window_start: pick,
      window_end: pick + size,
    };
  }

  /** Speed freshness: the newest window (of any minute-scale speed view) that holds facts. */
  async speedHealth(): Promise<LayerHealth> {
    return this.misc.get('health:speed', 2_000, async () => {
      const now = this.now();
      const horizon = now - this.thresholds.speedDownSeconds * 1000;
      const views = speedViews.filter((v) => v.window.size !== 'day' && v.window.slide !== 'day');
      const newest = await mapLimit(views, 4, async (v) => {
        const starts = windowStarts(v, horizon - (v.window.size as number) * 1000, now + 1, {
          partial: true,
        }).reverse();
        const table = this.table(v.name);
        if (!table) return undefined;
        for (let i = 0; i < starts.length; i += 8) {
          const batch = starts.slice(i, i + 8);
          const groups = await Promise.all(batch.map((s) => this.windowGroups(v, table, s)));
          const hit = batch.find((_, j) => (groups[j]?.length ?? 0) > 0);
          if (hit !== undefined) return [v.name, hit] as const;
        }
        return undefined;
      });
      const found = newest.filter((x) => x !== undefined) as (readonly [string, number])[];
      const latest = found.length > 0 ? Math.max(...found.map(([, s]) => s)) : undefined;
      const age = latest === undefined ? undefined : Math.max(0, now - latest);
      return {
        status: speedStatus(age, this.thresholds),
        latest: latest ?? null,
        ageSeconds: age === undefined ? null : Math.round(age / 1000),
        detail: {
          measure: 'age of the newest speed window holding facts',
          views: Object.fromEntries(found.map(([name, s]) => [name, new Date(s).toISOString()])),
          ...(latest === undefined
            ? { note: `no speed facts in the last ${this.thresholds.speedDownSeconds} s` }
            : {}),
        },
      };
    }) as Promise<LayerHealth>;
  }

  /** Batch freshness: the watermarks of the batch views (their oldest decides). */
  async batchHealth(): Promise<LayerHealth> {
    return this.misc.get('health:batch', 2_000, async () => {
      const now = this.now();
      const stored = batchViews.filter((v) => !v.intermediate).map((v) => v.name);
      const marks = await mapLimit(
        stored,
        this.concurrency,
        async (name) => [name, await this.watermark(name)] as const,
      );
      const known = marks.filter((m) => m[1] !== undefined) as (readonly [string, number])[];
      const never = marks.filter((m) => m[1] === undefined).map(([n]) => n);
      const oldest = known.length > 0 ? Math.min(...known.map(([, w]) => w)) : undefined;
      const newest = known.length > 0 ? Math.max(...known.map(([, w]) => w)) : undefined;
      // Views that never ran count as missing only when some view did run (a fresh install is just "down").
      const age = oldest === undefined ? undefined : Math.max(0, now - oldest);
      let status = batchStatus(age, this.thresholds);
      if (never.length > 0 && known.length > 0) status = worst(status, 'stale');
      return {
        status,
        latest: oldest ?? null,
        ageSeconds: age === undefined ? null : Math.round(age / 1000),
        detail: {
          measure: 'age of the oldest batch watermark',
          newestWatermark: newest === undefined ? null : new Date(newest).toISOString(),
          viewsWithWatermark: known.length,
          viewsNeverRun: never,
        },
      };
    }) as Promise<LayerHealth>;
  }

  /** Every row of a small table (overview tables), paged through, cached. */
  async scanAll(tableName: string, max = 100_000): Promise<Row[] | undefined> {
    const table = this.table(tableName);
    if (!table) return undefined;
    // Served stale for up to a minute while the next scan runs in the background: a scan of a few tens of
    // thousands of rows takes hundreds of ms on Cassandra, which no request should wait for.
    return this.misc.get(
      `scan:${tableName}`,
      this.batchTtlMs,
      async () => {
        const rows: Row[] = [];
        let pageState: string | undefined;
        do {
          const page = await this.store.scan(table, { limit: 1000, ...(pageState ? { pageState } : {}) });
          rows.push(...page.rows);
          pageState = page.pageState;
        } while (pageState && rows.length < max);
        return rows;
      },
      scanStaleMs,
    ) as Promise<Row[]>;
  }
}
