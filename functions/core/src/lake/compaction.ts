/**
 * Hourly compaction of the raw lake: once a (category, UTC date, UTC hour) partition is closed (its end
 * plus the allowed lateness has passed), its files are rewritten into one file (or a few of at most
 * `maxEventsPerFile` events), sorted by event time, one row per event id.
 *
 * The swap, and why it is safe:
 * 1. list the partition; read every file (a listed file that has vanished means another compaction ran:
 *    the partition is skipped, never written from a partial read);
 * 2. write the compacted file(s), named like ingest's files by the set of their event ids, so a rerun
 *    after a crash writes the same names with the same content;
 * 3. delete the inputs that are not outputs.
 * Every event of a deleted file is in a file that was durable before the delete, so a crash at any step
 * loses nothing. Between 2 and 3 a listing holds every event of the hour twice: readers count one row per
 * event id (the batch's day reader does; Trino's one-row-per-event views do), as they must anyway because
 * ingest is at-least-once. A file that arrives after the listing is left alone and compacted by a later run.
 * Duplicates by event id are dropped here: the row accepted first (lowest ingest_time) is kept.
 */
import type { ObjectStore } from '../adapters/object-store.ts';
import { type Category, categories } from '../events/envelope.ts';
import { addDays, utcDate } from '../views/time.ts';
import { decodeRawParquet, encodeRawParquet } from './parquet.ts';
import { parseRawKey, rawFileKey, rawPrefix, type UtcHour } from './paths.ts';
import { parquetContentType } from './raw-lake.ts';
import type { RawEventRow } from './raw-schema.ts';

const hourMs = 3_600_000;

export interface CompactionOptions {
  lake: ObjectStore;
  /** UTC dates (YYYY-MM-DD, inclusive) whose closed hours are compacted. */
  from: string;
  to: string;
  /** The clock (UTC ms). */
  now?: () => number;
  /** An hour is closed this long after its end (late events still arriving; default 10 minutes). */
  latenessMs?: number;
  /** Events per compacted file at most (default 1,000,000: one file per hour at any rate seen so far). */
  maxEventsPerFile?: number;
  categories?: readonly Category[];
  log?: (entry: Record<string, unknown>) => void;
}

export interface PartitionCompaction {
  category: Category;
  date: string;
  hour: string;
  filesBefore: number;
  filesAfter: number;
  events: number;
  duplicatesDropped: number;
  bytesBefore: number;
  bytesAfter: number;
}

export interface CompactionReport {
  from: string;
  to: string;
  /** Closed partitions looked at (any number of files). */
  partitionsClosed: number;
  /** Partitions still open (within their hour or its lateness): left as they are. */
  partitionsOpen: number;
  compacted: PartitionCompaction[];
  /** Partitions skipped because a listed file vanished while reading (another compaction ran). */
  skipped: string[];
  ms: number;
}

export const defaultCompactionLatenessMs = 10 * 60_000;

/**
 * The UTC dates an hourly compaction covers: today and the 7 before (the batch's look-back for late
 * events), so a late event's file is merged into its hour however late it lands within that week. With a
 * 24-hour window, events more than a day late left files no run came back to (soak, docs/batch.md).
 * Airflow's lake_compaction DAG uses the same window (RECOMPACT_WINDOW).
 */
export const compactionWindowDays = 7;

/** The range of UTC dates an hourly compaction at `now` covers. */
export function compactionRange(now: number): { from: string; to: string } {
  return { from: utcDate(now - compactionWindowDays * 86_400_000), to: utcDate(now) };
}

/** Compacts every closed partition of the range that holds more than one file. */
export async function compactLake(options: CompactionOptions): Promise<CompactionReport> {
  const now = options.now ?? Date.now;
  const started = Date.now();
  const latenessMs = options.latenessMs ?? defaultCompactionLatenessMs;
  const log = options.log ?? (() => {});
  const report: CompactionReport = {
    from: options.from,
    to: options.to,
    partitionsClosed: 0,
    partitionsOpen: 0,
    compacted: [],
    skipped: [],
    ms: 0,
  };
  const cutoff = now() - latenessMs;
  for (const category of options.categories ?? categories) {
    for (const partition of await listPartitions(options.lake, category, options.from, options.to)) {
      const end = Date.parse(`${partition.date}T${partition.hour}:00:00Z`) + hourMs;
      if (end > cutoff) {
        report.partitionsOpen++;
        continue;
      }
      report.partitionsClosed++;
      if (partition.keys.length < 2) continue;
      const done = await compactPartition(options.lake, category, partition, options.maxEventsPerFile);
      if (done === undefined) {
        const name = `${category}/date=${partition.date}/hour=${partition.hour}`;
        report.skipped.push(name);
        log({ event: 'compaction_skipped', partition: name, reason: 'a listed file vanished while reading' });
        continue;
      }
      if (done.filesBefore === done.filesAfter && done.bytesBefore === done.bytesAfter) continue;
      report.compacted.push(done);
      log({ event: 'partition_compacted', ...done });
    }
  }
  report.ms = Date.now() - started;
  return report;
}

interface ListedPartition extends UtcHour {
  keys: string[];
  bytes: number;
}

/** The raw partitions of one category within [from, to], with their files. */
async function listPartitions(
  lake: ObjectStore,
  category: Category,
  from: string,
  to: string,
): Promise<ListedPartition[]> {
  const out = new Map<string, ListedPartition>();
  for (let date = from; date <= to; date = addDays(date, 1)) {
    for (const object of await lake.list(`${rawPrefix}${category}/date=${date}/`)) {
      const p = parseRawKey(object.key);
      if (!p || p.category !== category) continue;
      const id = `${p.date}/${p.hour}`;
      let partition = out.get(id);
      if (!partition) {
        partition = { date: p.date, hour: p.hour, keys: [], bytes: 0 };
        out.set(id, partition);
      }
      partition.keys.push(object.key);
      partition.bytes += object.size;
    }
  }
  return [...out.values()];
}

/**
 * Rewrites one partition's files as sorted, deduplicated files; undefined when a listed file vanished
 * before it was read (nothing is written then).
 */
export async function compactPartition(
  lake: ObjectStore,
  category: Category,
  partition: UtcHour & { keys: readonly string[] },
  maxEventsPerFile = 1_000_000,
): Promise<PartitionCompaction | undefined> {
  const byId = new Map<string, RawEventRow>();
  let rows = 0;
  let bytesBefore = 0;
  // A few reads ahead of the decoding: one at a time left a compaction of small files idle on I/O.
  const reads: Promise<Uint8Array | undefined>[] = [];
  const readUpTo = (n: number) => {
    for (let i = reads.length; i <= n && i < partition.keys.length; i++) {
      const read = lake.get(partition.keys[i]!);
      read.catch(() => {}); // awaited below, in order
      reads.push(read);
    }
  };
  for (let i = 0; i < partition.keys.length; i++) {
    readUpTo(i + 8);
    const bytes = await reads[i];
    delete reads[i];
    if (bytes === undefined) return undefined;
    bytesBefore += bytes.byteLength;
    for (const row of await decodeRawParquet(bytes)) {
      rows++;
      const kept = byId.get(row.event_id);
      if (!kept || row.ingest_time.getTime() < kept.ingest_time.getTime()) byId.set(row.event_id, row);
    }
  }
  const sorted = [...byId.values()].sort(
    (a, b) =>
      a.event_time.getTime() - b.event_time.getTime() ||
      (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0),
  );
  const outputs: { key: string; rows: RawEventRow[] }[] = [];
  for (let i = 0; i < sorted.length; i += maxEventsPerFile) {
    const chunk = sorted.slice(i, i + maxEventsPerFile);
    outputs.push({
      key: rawFileKey(
        category,
        partition,
        chunk.map((r) => r.event_id),
      ),
      rows: chunk,
    });
  }
  const inputs = new Set(partition.keys);
  const result: PartitionCompaction = {
    category,
    date: partition.date,
    hour: partition.hour,
    filesBefore: partition.keys.length,
    filesAfter: outputs.length,
    events: sorted.length,
    duplicatesDropped: rows - sorted.length,
    bytesBefore,
    bytesAfter: 0,
  };
  // Already compacted (the files are exactly the outputs): nothing to write or delete.
  if (outputs.length === inputs.size && outputs.every((o) => inputs.has(o.key))) {
    result.bytesAfter = bytesBefore;
    return result;
  }
  for (const output of outputs) {
    const body = encodeRawParquet(output.rows);
    result.bytesAfter += body.byteLength;
    await lake.put(output.key, body, parquetContentType);
  }
  const kept = new Set(outputs.map((o) => o.key));
  await Promise.all(partition.keys.filter((k) => !kept.has(k)).map((k) => lake.delete(k)));
  return result;
}
