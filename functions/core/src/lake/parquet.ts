/**
 * Raw files as Parquet: hyparquet-writer to write (chosen by scripts/bench/parquet.bench.ts, see docs/ingest.md),
 * hyparquet to read. Files are one row group, SNAPPY, V2 data pages; readable by Trino and DuckDB (tested).
 */
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { ByteWriter, parquetWrite } from 'hyparquet-writer';
import { type RawEventRow, rawColumns, rawParquetSchema } from './raw-schema.ts';

const schema = rawParquetSchema();

/** Encodes rows as one Parquet file. */
export function encodeRawParquet(rows: readonly RawEventRow[]): Uint8Array {
  const writer = new ByteWriter();
  parquetWrite({
    writer,
    schema,
    columnData: rawColumns.map((c) => ({
      name: c.name,
      data: rows.map((r) => r[c.name]),
    })),
    rowGroupSize: Math.max(rows.length, 1),
    // Statistics on event_time let readers skip files; long strings need none.
    statistics: true,
    createdBy: 'ula-ingest (hyparquet-writer)',
  });
  return new Uint8Array(writer.getBuffer());
}

/** Decodes a raw Parquet file into rows (timestamps as Date). */
export async function decodeRawParquet(bytes: Uint8Array): Promise<RawEventRow[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
  return rows.map((r) => ({
    event_id: String(r['event_id']),
    event_type: String(r['event_type']),
    category: String(r['category']),
    user_id: String(r['user_id']),
    role: String(r['role']),
    course_id: r['course_id'] === null || r['course_id'] === undefined ? null : String(r['course_id']),
    event_time: toDate(r['event_time']),
    ingest_time: toDate(r['ingest_time']),
    data: String(r['data']),
  }));
}

/** Row count from the footer only. */
export function rawParquetRowCount(bytes: Uint8Array): number {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return Number(parquetMetadata(file).num_rows);
}

function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'bigint') return new Date(Number(value));
  return new Date(value as number | string);
}
