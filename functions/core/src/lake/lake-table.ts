/**
 * The lake's small tables beside the raw events (xAPI statements, the restricted personal-data table, the
 * erasure audit): rows to one-row-group Parquet files and back, driven by each table's column list (the one
 * place that defines it, ColumnSpec in raw-schema.ts), and files per UTC hour named by their row ids, so a
 * retried write of the same rows overwrites its file. The raw event files keep their own tuned codec
 * (parquet.ts).
 */
import { parquetReadObjects } from 'hyparquet';
import { ByteWriter, parquetWrite } from 'hyparquet-writer';
import type { ObjectStore } from '../adapters/object-store.ts';
import { batchName, type UtcHour, utcHourOf } from './paths.ts';
import { parquetContentType } from './raw-lake.ts';
import { type ColumnSpec, rawParquetSchema } from './raw-schema.ts';

/** Encodes rows as one Parquet file (one row group, statistics on). */
export function encodeLakeRows<Row>(
  columns: readonly ColumnSpec<Row>[],
  rows: readonly Row[],
  createdBy: string,
): Uint8Array {
  const writer = new ByteWriter();
  parquetWrite({
    writer,
    schema: rawParquetSchema(columns),
    columnData: columns.map((c) => ({ name: c.name, data: rows.map((r) => r[c.name]) })),
    rowGroupSize: Math.max(rows.length, 1),
    statistics: true,
    createdBy,
  });
  return new Uint8Array(writer.getBuffer());
}

const toDate = (value: unknown): Date =>
  value instanceof Date ? value : new Date(typeof value === 'bigint' ? Number(value) : (value as number));

function typedValue(column: ColumnSpec<never>, value: unknown): unknown {
  if (value === null || value === undefined) {
    if (column.nullable) return null;
    throw new Error(`lake row without its required column ${column.name}`);
  }
  switch (column.parquet) {
    case 'STRING':
      return String(value);
    case 'TIMESTAMP_MILLIS_UTC':
      return toDate(value);
    case 'INT32':
      return Number(value);
    case 'BOOLEAN':
      return Boolean(value);
  }
}

/** The rows of one file, typed by the columns (timestamps as Date, nullable columns as null). */
export async function decodeLakeRows<Row>(
  columns: readonly ColumnSpec<Row>[],
  bytes: Uint8Array,
): Promise<Row[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
  return rows.map((r) => {
    const row: Record<string, unknown> = {};
    for (const c of columns) row[c.name] = typedValue(c as ColumnSpec<never>, r[c.name]);
    return row as Row;
  });
}

/** A table partitioned by UTC date and hour under `prefix` (`<prefix>date=YYYY-MM-DD/hour=HH/<ids hash>.parquet`). */
export interface HourlyTable<Row> {
  prefix: string;
  columns: readonly ColumnSpec<Row>[];
  /** The instant whose UTC hour is the row's partition. */
  timeOf(row: Row): Date;
  /** The row's id (files are named by the hash of their rows' ids). */
  idOf(row: Row): string;
  /** Parquet's `created_by`. */
  createdBy: string;
}

export const hourlyPartitionPrefix = (prefix: string, p: UtcHour): string =>
  `${prefix}date=${p.date}/hour=${p.hour}/`;

/** Writes the rows as one file per UTC hour; resolves once every file is durable. */
export async function writeHourly<Row>(
  store: ObjectStore,
  table: HourlyTable<Row>,
  rows: readonly Row[],
): Promise<{ key: string; bytes: number; rows: number }[]> {
  const byHour = new Map<string, Row[]>();
  for (const row of rows) {
    const prefix = hourlyPartitionPrefix(table.prefix, utcHourOf(table.timeOf(row)));
    const group = byHour.get(prefix) ?? [];
    if (group.length === 0) byHour.set(prefix, group);
    group.push(row);
  }
  return Promise.all(
    [...byHour].map(async ([prefix, group]) => {
      const key = `${prefix}${batchName(group.map((r) => table.idOf(r)))}.parquet`;
      const body = encodeLakeRows(table.columns, group, table.createdBy);
      await store.put(key, body, parquetContentType);
      return { key, bytes: body.byteLength, rows: group.length };
    }),
  );
}

/** Every row under `prefix` (default the table's: tests, erasure and tools; analysts read through Trino). */
export async function readLakeRows<Row>(
  store: ObjectStore,
  columns: readonly ColumnSpec<Row>[],
  prefix: string,
): Promise<Row[]> {
  const files = await store.list(prefix);
  const rows = await Promise.all(
    files.map(async (f) => {
      const bytes = await store.get(f.key);
      return bytes ? decodeLakeRows(columns, bytes) : [];
    }),
  );
  return rows.flat();
}
