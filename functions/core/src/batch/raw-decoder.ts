/**
 * A decoder for the raw lake's own file layout (`encodeRawParquet`: one row group, flat columns, PLAIN or
 * dictionary-encoded v2 pages), for the columns batch views read. It does per page what hyparquet
 * does per value: a page's strings come from one decode of the page (sliced, when the page is ASCII, as
 * it nearly always is), timestamps are read as two 32-bit words instead of BigInts. A file of any other
 * layout gets `undefined`, and the caller reads it with hyparquet.
 *
 * Three of hyparquet's internal functions (page headers, decompression, RLE/bit-packed runs) are not in its
 * public API, which decodes value by value (`parquetRead`: 1.5-2× this decoder's time on the lake's files,
 * `npm run bench -- raw-decoder`). hyparquet is therefore pinned to an exact version in
 * functions/core/package.json, and `test/hyparquet-internals.test.ts` fails, naming the function, when an
 * upgrade changes one (docs/architecture.md#dependencies-on-library-internals).
 */
import { isAscii } from 'node:buffer';
import type { ColumnMetaData, FileMetaData, PageHeader } from 'hyparquet';
import { parquetMetadata } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { decompressPage } from 'hyparquet/src/datapage.js';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';
import { snappyUncompressor } from 'hysnappy';
import { eventCatalogue } from '../events/catalogue.ts';
import { roles } from '../events/envelope.ts';

/** The columns of one raw file that batch views need, by row. */
export interface RawFileColumns {
  ids: string[];
  types: string[];
  /** Event time, epoch ms. */
  times: Float64Array;
  /** `data.user_id`, `data.role` and `data.course_id` (undefined when absent), as the lake stores them. */
  userIds: string[];
  roles: string[];
  courseIds: (string | undefined)[];
  /** The `data` JSON texts. */
  data: string[];
}

// Snappy in WebAssembly: a quarter faster than hyparquet's JS decoder on the lake's pages.
export const compressors = { SNAPPY: snappyUncompressor() };
const utf8 = new TextDecoder('utf-8', { fatal: true });

interface Page {
  /** The values (non-null ones only), decompressed. */
  bytes: Uint8Array;
  /** Values in `bytes`. */
  count: number;
  /** Rows of the page, nulls included. */
  rows: number;
  encoding: string;
  /** OPTIONAL columns: per row, 1 when it has a value. */
  defined?: number[];
}

/**
 * The decompressed data pages (and dictionary) of a column chunk of REQUIRED or OPTIONAL flat column,
 * or undefined for other layouts.
 */
function chunkPages(
  file: Uint8Array,
  meta: ColumnMetaData,
  optional: boolean,
): { pages: Page[]; dictionary?: Page } | undefined {
  const start = Number(meta.dictionary_page_offset ?? meta.data_page_offset);
  const end = start + Number(meta.total_compressed_size);
  const reader = { view: new DataView(file.buffer, file.byteOffset, file.byteLength), offset: start };
  const pages: Page[] = [];
  let dictionary: Page | undefined;
  while (reader.offset < end) {
    const header: PageHeader = parquetHeader(reader);
    const bytes = file.subarray(reader.offset, reader.offset + header.compressed_page_size);
    reader.offset += header.compressed_page_size;
    const v2 = header.data_page_header_v2;
    if (header.type === 'DICTIONARY_PAGE' && header.dictionary_page_header) {
      const page = decompressPage(bytes, header.uncompressed_page_size, meta.codec, compressors);
      const count = header.dictionary_page_header.num_values;
      dictionary = { bytes: page, count, rows: count, encoding: 'PLAIN' };
    } else if (header.type === 'DATA_PAGE_V2' && v2) {
      // Levels precede the values and are never compressed; a flat column has no repetition levels.
      const levels = v2.definition_levels_byte_length;
      if (v2.repetition_levels_byte_length !== 0 || (!optional && (levels !== 0 || v2.num_nulls !== 0)))
        return undefined;
      let defined: number[] | undefined;
      if (optional && levels === 0 && v2.num_nulls !== 0) return undefined;
      if (optional && levels > 0) {
        defined = new Array<number>(v2.num_values);
        const view = new DataView(bytes.buffer, bytes.byteOffset, levels);
        readRleBitPackedHybrid({ view, offset: 0 }, 1, defined, levels);
      }
      const size = header.uncompressed_page_size - levels;
      const values = bytes.subarray(levels);
      const page =
        v2.is_compressed === false || size === 0
          ? values
          : decompressPage(values, size, meta.codec, compressors);
      const count = v2.num_values - v2.num_nulls;
      pages.push({
        bytes: page,
        count,
        rows: v2.num_values,
        encoding: v2.encoding,
        ...(defined ? { defined } : {}),
      });
    } else if (header.type === 'DATA_PAGE' && header.data_page_header && !optional) {
      const page = decompressPage(bytes, header.uncompressed_page_size, meta.codec, compressors);
      const count = header.data_page_header.num_values;
      pages.push({ bytes: page, count, rows: count, encoding: header.data_page_header.encoding });
    } else {
      return undefined;
    }
  }
  return { pages, ...(dictionary ? { dictionary } : {}) };
}

/**
 * PLAIN byte arrays as strings, written into `out` from `at`. The length prefixes are overwritten with
 * spaces so that one check tells whether the whole page is ASCII; then one latin1 decode of the page gives
 * every value as a slice of it. Other pages are decoded value by value (strict UTF-8).
 */
function plainStrings(page: Page, out: (string | undefined)[], at: number): boolean {
  const { bytes, count } = page;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const starts = new Int32Array(count + 1);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    if (offset + 4 > bytes.byteLength) return false;
    const length = view.getUint32(offset, true);
    bytes.fill(0x20, offset, offset + 4);
    offset += 4;
    starts[i] = offset;
    offset += length;
  }
  if (offset > bytes.byteLength) return false;
  starts[count] = offset + 4; // the value ends below are `starts[i + 1] - 4`
  if (isAscii(bytes.subarray(0, offset))) {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, offset).toString('latin1');
    for (let i = 0; i < count; i++) out[at + i] = text.substring(starts[i]!, starts[i + 1]! - 4);
  } else {
    for (let i = 0; i < count; i++) out[at + i] = utf8.decode(bytes.subarray(starts[i]!, starts[i + 1]! - 4));
  }
  return true;
}

/**
 * A string column: PLAIN pages, or dictionary indices (RLE / bit-packed) into a PLAIN dictionary page.
 * Null rows of an OPTIONAL column are undefined. Dictionary values found in `canonical` are replaced by
 * its strings (the catalogue's literals: comparing them with the views' literals is then one pointer test).
 */
function stringColumn(
  file: Uint8Array,
  meta: ColumnMetaData,
  rows: number,
  optional = false,
  canonical?: ReadonlyMap<string, string>,
): (string | undefined)[] | undefined {
  const chunk = chunkPages(file, meta, optional);
  if (!chunk) return undefined;
  const out = new Array<string | undefined>(rows);
  let dictionary: string[] | undefined;
  if (chunk.dictionary) {
    const values = new Array<string>(chunk.dictionary.count);
    if (!plainStrings(chunk.dictionary, values, 0)) return undefined;
    dictionary = canonical ? values.map((value) => canonical.get(value) ?? value) : values;
  }
  let at = 0;
  for (const page of chunk.pages) {
    if (at + page.rows > rows) return undefined;
    // Values land at `at` when every row has one, else in a scratch array spread over the defined rows.
    const values = page.defined ? new Array<string | undefined>(page.count) : out;
    const base = page.defined ? 0 : at;
    if (page.encoding === 'PLAIN') {
      if (!plainStrings(page, values, base)) return undefined;
    } else if ((page.encoding === 'RLE_DICTIONARY' || page.encoding === 'PLAIN_DICTIONARY') && dictionary) {
      const indices = new Array<number>(page.count);
      const view = new DataView(page.bytes.buffer, page.bytes.byteOffset, page.bytes.byteLength);
      readRleBitPackedHybrid({ view, offset: 1 }, page.bytes[0]!, indices, page.bytes.byteLength - 1);
      for (let i = 0; i < page.count; i++) {
        const value = dictionary[indices[i]!];
        if (value === undefined) return undefined;
        values[base + i] = value;
      }
    } else {
      return undefined;
    }
    if (page.defined) {
      let next = 0;
      for (let r = 0; r < page.rows; r++) out[at + r] = page.defined[r] === 1 ? values[next++] : undefined;
      if (next !== page.count) return undefined;
    }
    at += page.rows;
  }
  return at === rows ? out : undefined;
}

/** A PLAIN INT64 millisecond timestamp column as numbers (exact below 2^53). */
function millisColumn(file: Uint8Array, meta: ColumnMetaData, rows: number): Float64Array | undefined {
  const chunk = chunkPages(file, meta, false);
  if (!chunk) return undefined;
  const out = new Float64Array(rows);
  let at = 0;
  for (const page of chunk.pages) {
    if (page.encoding !== 'PLAIN' || at + page.count > rows || page.bytes.byteLength < 8 * page.count)
      return undefined;
    const view = new DataView(page.bytes.buffer, page.bytes.byteOffset, page.bytes.byteLength);
    for (let i = 0; i < page.count; i++)
      out[at + i] = view.getUint32(8 * i, true) + view.getInt32(8 * i + 4, true) * 4_294_967_296;
    at += page.count;
  }
  return at === rows ? out : undefined;
}

const isMillis = (metadata: FileMetaData, name: string): boolean => {
  const element = metadata.schema.find((e) => e.name === name);
  const logical = element?.logical_type;
  return (
    element?.type === 'INT64' &&
    (logical?.type === 'TIMESTAMP'
      ? logical.unit === 'MILLIS'
      : element.converted_type === 'TIMESTAMP_MILLIS')
  );
};

/** Event types and roles as the catalogue spells them (see `stringColumn`). */
const canonical = new Map<string, string>(
  [...eventCatalogue.map((d) => d.eventType), ...roles].map((value) => [value, value]),
);

/**
 * The batch columns of a raw file in the lake's own layout, or undefined when the file has another one.
 * `footer`: its metadata, when the caller has parsed it already.
 */
export function decodeRawFile(bytes: Uint8Array, footer?: FileMetaData): RawFileColumns | undefined {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const metadata = footer ?? parquetMetadata(file);
  if (metadata.row_groups.length !== 1 || !isMillis(metadata, 'event_time')) return undefined;
  const chunks = new Map<string, ColumnMetaData>();
  for (const column of metadata.row_groups[0]!.columns) {
    const meta = column.meta_data;
    if (meta && meta.path_in_schema.length === 1) chunks.set(meta.path_in_schema[0]!, meta);
  }
  const rows = Number(metadata.num_rows);
  const body = new Uint8Array(file); // a copy: string pages are modified in place
  const strings = (name: string, optional: boolean) => {
    const element = metadata.schema.find((e) => e.name === name);
    const meta = chunks.get(name);
    if (!meta || element?.repetition_type !== (optional ? 'OPTIONAL' : 'REQUIRED')) return undefined;
    return stringColumn(body, meta, rows, optional, canonical);
  };
  const timeMeta = chunks.get('event_time');
  const times = timeMeta && millisColumn(body, timeMeta, rows);
  const ids = times && strings('event_id', false);
  const types = ids && strings('event_type', false);
  const userIds = types && strings('user_id', false);
  const roleColumn = userIds && strings('role', false);
  const courseIds = roleColumn && strings('course_id', true);
  const data = courseIds && strings('data', false);
  return times && data
    ? ({ ids, types, times, userIds, roles: roleColumn, courseIds, data } as RawFileColumns)
    : undefined;
}
