import { ByteWriter, parquetWrite } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { decodeRawFile } from '../src/batch/raw-decoder.ts';
import { decodeRawColumns } from '../src/batch/source.ts';
import type { LmsEvent } from '../src/events/envelope.ts';
import { decodeRawParquet, encodeRawParquet } from '../src/lake/parquet.ts';
import { rawColumns, rawParquetSchema, toRawRow } from '../src/lake/raw-schema.ts';

const ingest = new Date('2026-11-01T03:00:00.000Z');
const names = ['Nguyễn Văn An', 'Trần Thị Bình', 'Lê Hoàng', 'Phạm'];
const event = (i: number, ascii: boolean): LmsEvent => ({
  id: `0192f3a4-5b6c-7d8e-9f01-${String(i).padStart(12, '0')}`,
  category: 'profile',
  eventType: i % 3 === 0 ? 'UPDATE_PROFILE' : 'PROFILE_PICTURE_UPDATED',
  time: new Date(Date.UTC(2026, 10, 1, 2) + i * 997).toISOString(),
  data: {
    user_id: `SV${i % 17}`,
    role: i % 5 === 0 ? 'teacher' : 'student',
    // course_id is an OPTIONAL column: some rows without one.
    ...(i % 4 === 0 ? {} : { course_id: `C${i % 9}` }),
    // Lengths from a few bytes to over 128 (a length prefix byte >= 0x80), text ASCII or not.
    display_name: ascii ? `student ${'x'.repeat(i % 150)}` : names[i % names.length]!,
    updated_fields: ['display_name', 'bio'].slice(0, i % 3),
  },
});
const rowsOf = (n: number, ascii: boolean) =>
  Array.from({ length: n }, (_, i) => toRawRow(event(i, ascii), ingest));

/** The oracle: hyparquet's general row reader over every column (`decodeRawParquet`). */
async function expected(bytes: Uint8Array) {
  const rows = await decodeRawParquet(bytes);
  return {
    ids: rows.map((r) => r.event_id),
    types: rows.map((r) => r.event_type),
    times: Float64Array.from(rows.map((r) => r.event_time.getTime())),
    userIds: rows.map((r) => r.user_id),
    roles: rows.map((r) => r.role),
    courseIds: rows.map((r) => r.course_id ?? undefined),
    data: rows.map((r) => r.data),
  };
}

describe('raw file decoder', () => {
  it('decodes the lake layout exactly as the general reader does: ASCII and UTF-8 pages', async () => {
    for (const ascii of [true, false]) {
      const bytes = encodeRawParquet(rowsOf(700, ascii));
      const decoded = decodeRawFile(bytes);
      expect(decoded).toBeDefined();
      expect(decoded).toEqual(await expected(bytes));
      if (!ascii) expect(decoded!.data.some((d) => d.includes('Nguyễn'))).toBe(true);
      expect(decoded!.courseIds.filter((c) => c === undefined)).toHaveLength(175);
    }
  });

  it('decodes an OPTIONAL column without nulls, and one with only nulls', async () => {
    const rows = rowsOf(200, true);
    for (const subset of [
      rows.filter((r) => r.course_id !== null),
      rows.filter((r) => r.course_id === null),
    ]) {
      const bytes = encodeRawParquet(subset);
      expect(decodeRawFile(bytes)).toEqual(await expected(bytes));
    }
  });

  it('leaves files of another layout to hyparquet (several row groups), with the same result', async () => {
    const rows = rowsOf(300, true);
    const writer = new ByteWriter();
    parquetWrite({
      writer,
      schema: rawParquetSchema(),
      columnData: rawColumns.map((c) => ({ name: c.name, data: rows.map((r) => r[c.name]) })),
      rowGroupSize: 100,
    });
    const bytes = new Uint8Array(writer.getBuffer());
    expect(decodeRawFile(bytes)).toBeUndefined();
    expect(await decodeRawColumns(bytes)).toEqual(await expected(bytes));
  });

  it('decodes an empty file', async () => {
    const bytes = encodeRawParquet([]);
    expect(await decodeRawColumns(bytes)).toEqual({
      ids: [],
      types: [],
      times: new Float64Array(0),
      userIds: [],
      roles: [],
      courseIds: [],
      data: [],
    });
  });
});
