/**
 * Parquet writers for the raw lake: the same 5,000-event batches (raw-schema.ts columns) written by
 * parquetjs-lite (the card's choice), @dsnp/parquetjs, hyparquet-writer (the one ingest uses) and
 * parquet-wasm (arrow-rs via WASM, fed an Arrow table). Reports events/s (encode to bytes in memory), file
 * size, and whether DuckDB reads each file back with the right row count and UTC timestamps.
 * (Trino reading hyparquet-writer files is proven by functions/ingest/test/ingest.int.test.ts.)
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DuckDBInstance } from '@duckdb/node-api';
import { encodeRawParquet } from '../../functions/core/src/lake/parquet.ts';
import { type RawEventRow, toRawRow } from '../../functions/core/src/lake/raw-schema.ts';
import { sampleEvent } from '../../functions/ingest/test/events.ts';
import type { Bench, BenchResult } from './result.ts';

const require = createRequire(import.meta.url);
const BATCH = 5000;

type Writer = (rows: RawEventRow[]) => Promise<Uint8Array>;

/** A Writable collecting what a parquetjs-style writer streams out. */
function collector(): { stream: Writable & { close(cb: () => void): void }; bytes(): Uint8Array } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  }) as Writable & { close(cb: () => void): void };
  stream.close = (cb) => stream.end(cb);
  return { stream, bytes: () => new Uint8Array(Buffer.concat(chunks)) };
}

const parquetjsSchema = {
  event_id: { type: 'UTF8', compression: 'SNAPPY' },
  event_type: { type: 'UTF8', compression: 'SNAPPY' },
  category: { type: 'UTF8', compression: 'SNAPPY' },
  user_id: { type: 'UTF8', compression: 'SNAPPY' },
  role: { type: 'UTF8', compression: 'SNAPPY' },
  course_id: { type: 'UTF8', optional: true, compression: 'SNAPPY' },
  event_time: { type: 'TIMESTAMP_MILLIS', compression: 'SNAPPY' },
  ingest_time: { type: 'TIMESTAMP_MILLIS', compression: 'SNAPPY' },
  data: { type: 'UTF8', compression: 'SNAPPY' },
};

function parquetjsWriter(lib: {
  ParquetSchema: new (s: unknown) => unknown;
  ParquetWriter: {
    openStream(
      schema: unknown,
      out: unknown,
      opts: unknown,
    ): Promise<{ appendRow(r: unknown): Promise<void>; close(): Promise<void> }>;
  };
}): Writer {
  const schema = new lib.ParquetSchema(parquetjsSchema);
  return async (rows) => {
    const out = collector();
    // V1 data pages: the V2 default of this lineage is what Athena/parquet-cpp failed on.
    const w = await lib.ParquetWriter.openStream(schema, out.stream, {
      useDataPageV2: false,
      rowGroupSize: BATCH,
    });
    for (const r of rows) {
      const { course_id, ...rest } = r;
      await w.appendRow(course_id === null ? rest : r);
    }
    await w.close();
    return out.bytes();
  };
}

async function parquetWasmWriter(): Promise<Writer> {
  const pw = require('parquet-wasm/node') as typeof import('parquet-wasm/node');
  const arrow = await import('apache-arrow');
  // WriterProperties are consumed by writeParquet (moved into WASM): build them per file.
  const props = () =>
    new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).setMaxRowGroupSize(BATCH).build();
  const utf8 = new arrow.Utf8();
  const ts = new arrow.TimestampMillisecond('UTC');
  return async (rows) => {
    const col = <K extends keyof RawEventRow>(k: K) => rows.map((r) => r[k]);
    const table = new arrow.Table({
      event_id: arrow.vectorFromArray(col('event_id'), utf8),
      event_type: arrow.vectorFromArray(col('event_type'), utf8),
      category: arrow.vectorFromArray(col('category'), utf8),
      user_id: arrow.vectorFromArray(col('user_id'), utf8),
      role: arrow.vectorFromArray(col('role'), utf8),
      course_id: arrow.vectorFromArray(col('course_id'), utf8),
      event_time: arrow.vectorFromArray(col('event_time'), ts),
      ingest_time: arrow.vectorFromArray(col('ingest_time'), ts),
      data: arrow.vectorFromArray(col('data'), utf8),
    });
    const wasmTable = pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
    return pw.writeParquet(wasmTable, props());
  };
}

async function writers(): Promise<[string, Writer | string][]> {
  const out: [string, Writer | string][] = [];
  out.push(['hyparquet-writer 0.17', async (rows) => encodeRawParquet(rows)]);
  for (const [name, mod] of [
    ['parquetjs-lite 0.8.7', 'parquetjs-lite'],
    ['@dsnp/parquetjs 1.8.9', '@dsnp/parquetjs'],
  ] as const) {
    try {
      out.push([name, parquetjsWriter(require(mod))]);
    } catch (e) {
      out.push([name, `not loadable: ${(e as Error).message.split('\n')[0]}`]);
    }
  }
  try {
    out.push(['parquet-wasm 0.8 (+apache-arrow)', await parquetWasmWriter()]);
  } catch (e) {
    out.push(['parquet-wasm 0.8 (+apache-arrow)', `not loadable: ${(e as Error).message.split('\n')[0]}`]);
  }
  return out;
}

async function duckdbCheck(file: string, expected: RawEventRow[]): Promise<string> {
  const db = await DuckDBInstance.create();
  const c = await db.connect();
  try {
    const r = (
      await c.runAndReadAll(
        `select count(*)::int n, count(course_id)::int with_course, min(epoch_ms(event_time))::bigint t0,
                any_value(typeof(event_time)) t from read_parquet('${file}')`,
      )
    ).getRowObjectsJson()[0]!;
    const t0 = Math.min(...expected.map((e) => e.event_time.getTime()));
    const ok =
      r['n'] === expected.length &&
      r['with_course'] === expected.filter((e) => e.course_id !== null).length &&
      Number(r['t0']) === t0;
    return ok ? `ok (${r['t']})` : `MISMATCH ${JSON.stringify(r)}`;
  } catch (e) {
    return `fails: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    c.closeSync();
  }
}

const bench: Bench = {
  name: 'parquet',
  async run({ scale }): Promise<BenchResult> {
    const batches = Math.max(2, Math.round(6 * scale));
    const ingestTime = new Date();
    const data = Array.from({ length: batches }, (_, b) =>
      Array.from({ length: BATCH }, (_, i) => toRawRow(sampleEvent(b * BATCH + i), ingestTime)),
    );
    const dir = await mkdtemp(join(tmpdir(), 'ula-parquet-bench-'));
    const figures: BenchResult['figures'] = { 'batch size (events)': BATCH, batches };
    const notes: string[] = [];
    const rates: Record<string, number> = {};
    try {
      for (const [name, writer] of await writers()) {
        if (typeof writer === 'string') {
          figures[`${name}: events/s`] = writer;
          continue;
        }
        let bytes: Uint8Array = new Uint8Array();
        await writer(data[0]!); // warm-up
        const started = performance.now();
        for (const rows of data) bytes = await writer(rows);
        const seconds = (performance.now() - started) / 1000;
        rates[name] = Math.round((batches * BATCH) / seconds);
        figures[`${name}: events/s`] = rates[name];
        figures[`${name}: file bytes / 5000 events`] = bytes.byteLength;
        const file = join(dir, `${name.replace(/[^a-z0-9]+/gi, '_')}.parquet`);
        await writeFile(file, bytes);
        figures[`${name}: DuckDB reads back`] = await duckdbCheck(file, data[data.length - 1]!);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const base = rates['parquetjs-lite 0.8.7'];
    const ratios: Record<string, number> = {};
    if (base)
      for (const [k, v] of Object.entries(rates))
        if (!k.startsWith('parquetjs-lite')) ratios[`${k} / parquetjs-lite`] = v / base;
    notes.push('events/s = encoding 5,000 raw rows to an in-memory Parquet file (SNAPPY), single thread');
    return { name: 'parquet', figures, ratios, notes };
  },
};
export default bench;
