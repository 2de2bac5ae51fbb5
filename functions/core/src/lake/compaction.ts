/**
 * Hourly compaction of the lake's tables: the raw event tables (`raw/<category>/`) and the xAPI statement
 * table (`xapi/statements/`), both written as one small file per group commit and UTC hour. Once a
 * (table, UTC date, UTC hour) partition is closed (its end plus the allowed lateness has passed), its files
 * are rewritten into one file (or a few of at most `maxEventsPerFile` rows), sorted by the table's time
 * column, one row per id. A table is described by a `CompactableTable` (its prefix, codec, id and time
 * columns); the swap below is the same for every table.
 *
 * The swap, and why it is safe:
 * 1. list the partition; read every file (a listed file that has vanished means another compaction ran:
 *    the partition is skipped, never written from a partial read);
 * 2. write the compacted file(s), named like the writers' files by the set of their ids, so a rerun after a
 *    crash writes the same names with the same content;
 * 3. delete the inputs that are not outputs.
 * Every row of a deleted file is in a file that was durable before the delete, so a crash at any step
 * loses nothing. Between 2 and 3 a listing holds every row of the hour twice: readers count one row per
 * id (the batch's day reader does; Trino's one-row-per-event views and xapi_unmapped do), as they must
 * anyway because the writers are at-least-once. A file that arrives after the listing is left alone and
 * compacted by a later run. Duplicates by id are dropped here: the row accepted first (lowest ingest_time;
 * for statements, lowest stored) is kept.
 */
import type { ObjectStore } from '../adapters/object-store.ts';
import { type Category, categories } from '../events/envelope.ts';
import { addDays, utcDate } from '../views/time.ts';
import { decodeRawParquet, encodeRawParquet } from './parquet.ts';
import { batchName, rawPrefix, type UtcHour } from './paths.ts';
import { parquetContentType } from './raw-lake.ts';
import type { RawEventRow } from './raw-schema.ts';
import {
  decodeXapiStatements,
  encodeXapiStatements,
  type XapiStatementRow,
  xapiStatementsPrefix,
  xapiStatementsTable,
} from './xapi-statements.ts';

/**
 * A lake table compaction can rewrite: files `<prefix>date=YYYY-MM-DD/hour=HH/<name>.parquet`, each
 * named by the hash of its rows' ids (paths.ts batchName), rows identified by an id.
 */
export interface CompactableTable<Row = unknown> {
  /** Its name in reports and logs: the table's name in Trino's raw schema (`video`, `xapi_statements`). */
  name: string;
  /** Key prefix of its partitions, ending in '/'. */
  prefix: string;
  decode(bytes: Uint8Array): Promise<Row[]>;
  encode(rows: readonly Row[]): Uint8Array;
  id(row: Row): string;
  /** The order of a compacted file (UTC ms; ties by id). */
  sortTime(row: Row): number;
  /** Of the rows sharing an id, the one with the lowest value (the copy accepted first) is kept. */
  acceptedTime(row: Row): number;
}

/** The raw event table of a category (`lake.raw.<category>`): by event time, the first ingest kept. */
export const rawEventTable = (category: Category): CompactableTable<RawEventRow> => ({
  name: category,
  prefix: `${rawPrefix}${category}/`,
  decode: decodeRawParquet,
  encode: encodeRawParquet,
  id: (row) => row.event_id,
  sortTime: (row) => row.event_time.getTime(),
  acceptedTime: (row) => row.ingest_time.getTime(),
});

/**
 * The xAPI statement table (`lake.raw.xapi_statements`, xapi-statements.ts): partitioned, sorted and
 * deduplicated by `stored`. A statement resent after a crash between the lake write and the registry row
 * sits in two files with two `stored` times: the first is kept.
 */
export const xapiStatementTable: CompactableTable<XapiStatementRow> = {
  name: xapiStatementsTable,
  prefix: xapiStatementsPrefix,
  decode: decodeXapiStatements,
  encode: encodeXapiStatements,
  id: (row) => row.statement_id,
  sortTime: (row) => row.stored.getTime(),
  acceptedTime: (row) => row.stored.getTime(),
};

/** Every table the hourly compaction covers. */
export const compactableTables: readonly CompactableTable[] = [
  ...categories.map((c) => rawEventTable(c) as CompactableTable),
  xapiStatementTable as CompactableTable,
];

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
  /** Rows per compacted file at most (default 1,000,000: one file per hour at any rate seen so far). */
  maxEventsPerFile?: number;
  /** The tables compacted (default: every raw category and the xAPI statement table). */
  tables?: readonly CompactableTable[];
  log?: (entry: Record<string, unknown>) => void;
}

export interface PartitionCompaction {
  /** CompactableTable.name: the category of a raw table, `xapi_statements`. */
  table: string;
  date: string;
  hour: string;
  filesBefore: number;
  filesAfter: number;
  /** Rows after deduplication: events, or statements. */
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
  /** Partitions (key prefixes) skipped because a listed file vanished while reading (another compaction ran). */
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

/** Compacts every closed partition of the range and tables that holds more than one file. */
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
  for (const table of options.tables ?? compactableTables) {
    for (const partition of await listPartitions(options.lake, table, options.from, options.to)) {
      const end = Date.parse(`${partition.date}T${partition.hour}:00:00Z`) + hourMs;
      if (end > cutoff) {
        report.partitionsOpen++;
        continue;
      }
      report.partitionsClosed++;
      if (partition.keys.length < 2) continue;
      const done = await compactPartition(options.lake, table, partition, options.maxEventsPerFile);
      if (done === undefined) {
        const name = partitionPrefix(table, partition);
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

const partitionPrefix = (table: CompactableTable, p: UtcHour): string =>
  `${table.prefix}date=${p.date}/hour=${p.hour}/`;

const fileKeyPattern = /^date=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/[^/]+\.parquet$/;

/** The partitions of one table within [from, to], with their files (other keys under it are ignored). */
async function listPartitions(
  lake: ObjectStore,
  table: CompactableTable,
  from: string,
  to: string,
): Promise<ListedPartition[]> {
  const out = new Map<string, ListedPartition>();
  for (let date = from; date <= to; date = addDays(date, 1)) {
    for (const object of await lake.list(`${table.prefix}date=${date}/`)) {
      const m = object.key.startsWith(table.prefix)
        ? fileKeyPattern.exec(object.key.slice(table.prefix.length))
        : null;
      if (!m) continue;
      const p = { date: m[1]!, hour: m[2]! };
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
export async function compactPartition<Row>(
  lake: ObjectStore,
  table: CompactableTable<Row>,
  partition: UtcHour & { keys: readonly string[] },
  maxEventsPerFile = 1_000_000,
): Promise<PartitionCompaction | undefined> {
  const byId = new Map<string, Row>();
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
    for (const row of await table.decode(bytes)) {
      rows++;
      const id = table.id(row);
      const kept = byId.get(id);
      if (!kept || table.acceptedTime(row) < table.acceptedTime(kept)) byId.set(id, row);
    }
  }
  const sorted = [...byId.entries()]
    .map(([id, row]) => ({ id, time: table.sortTime(row), row }))
    .sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const outputs: { key: string; rows: Row[] }[] = [];
  for (let i = 0; i < sorted.length; i += maxEventsPerFile) {
    const chunk = sorted.slice(i, i + maxEventsPerFile);
    outputs.push({
      // Named as the writers name their files (paths.ts batchName), so a rerun writes the same key.
      key: `${partitionPrefix(table, partition)}${batchName(chunk.map((r) => r.id))}.parquet`,
      rows: chunk.map((r) => r.row),
    });
  }
  const inputs = new Set(partition.keys);
  const result: PartitionCompaction = {
    table: table.name,
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
    const body = table.encode(output.rows);
    result.bytesAfter += body.byteLength;
    await lake.put(output.key, body, parquetContentType);
  }
  const kept = new Set(outputs.map((o) => o.key));
  await Promise.all(partition.keys.filter((k) => !kept.has(k)).map((k) => lake.delete(k)));
  return result;
}
