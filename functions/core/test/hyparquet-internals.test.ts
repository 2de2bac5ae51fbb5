/**
 * The contract `src/batch/raw-decoder.ts` relies on: three functions of hyparquet's internal modules
 * (`hyparquet/src/*.js`), which its public API (`parquetRead`) does not expose and which carry no semver
 * promise. hyparquet is therefore pinned to one exact version in functions/core/package.json, and these
 * tests fail, saying what changed, when an upgrade removes or changes one of them. Upgrading hyparquet:
 * bump the exact version, run this file and `raw-decoder.test.ts`; on a failure, adapt the decoder (or let
 * it fall back to `parquetRead`, which is slower: docs/architecture.md#dependencies-on-library-internals).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetMetadata } from 'hyparquet';
import * as column from 'hyparquet/src/column.js';
import * as datapage from 'hyparquet/src/datapage.js';
import * as encoding from 'hyparquet/src/encoding.js';
import { describe, expect, it } from 'vitest';
import { compressors, decodeRawFile } from '../src/batch/raw-decoder.ts';
import type { LmsEvent } from '../src/events/envelope.ts';
import { encodeRawParquet } from '../src/lake/parquet.ts';
import { toRawRow } from '../src/lake/raw-schema.ts';

const coreDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const corePackage = JSON.parse(readFileSync(join(coreDir, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};
/** The hyparquet that `@ula/core` resolves (not hyparquet-writer's own copy). */
const installedVersion = (): string => {
  const require = createRequire(join(coreDir, 'package.json'));
  let dir = dirname(require.resolve('hyparquet'));
  while (!dir.endsWith('hyparquet')) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
};

const why = 'raw-decoder.ts imports hyparquet/src/{column,datapage,encoding}.js';

/** A raw file of the lake's layout: dictionary-encoded and PLAIN pages, an OPTIONAL column with nulls. */
function rawFile(): Uint8Array {
  const ingest = new Date('2026-11-01T03:00:00.000Z');
  const events = Array.from(
    { length: 300 },
    (_, i): LmsEvent => ({
      id: `0192f3a4-5b6c-7d8e-9f01-${String(i).padStart(12, '0')}`,
      category: 'course',
      eventType: i % 2 === 0 ? 'COURSE_VIEW' : 'ITEM_CLICK',
      time: new Date(Date.UTC(2026, 10, 1, 2) + i * 1000).toISOString(),
      data: { user_id: `SV${i % 7}`, role: 'student', ...(i % 3 === 0 ? {} : { course_id: `C${i % 5}` }) },
    }),
  );
  return encodeRawParquet(events.map((e) => toRawRow(e, ingest)));
}

describe('hyparquet internals used by the raw decoder', () => {
  it('hyparquet is pinned to one exact version, the one installed', () => {
    const spec = corePackage.dependencies.hyparquet;
    expect(spec, `functions/core/package.json must pin hyparquet exactly (${why})`).toMatch(
      /^\d+\.\d+\.\d+$/,
    );
    expect(
      installedVersion(),
      `installed hyparquet differs from the pinned ${spec}: run npm install (${why})`,
    ).toBe(spec);
  });

  it('exports the three functions the decoder calls', () => {
    expect(typeof column.parquetHeader, `hyparquet/src/column.js parquetHeader is gone (${why})`).toBe(
      'function',
    );
    expect(typeof datapage.decompressPage, `hyparquet/src/datapage.js decompressPage is gone (${why})`).toBe(
      'function',
    );
    expect(
      typeof encoding.readRleBitPackedHybrid,
      `hyparquet/src/encoding.js readRleBitPackedHybrid is gone (${why})`,
    ).toBe('function');
  });

  it('parquetHeader reads a page header and advances the reader past it', () => {
    const bytes = rawFile();
    const metadata = parquetMetadata(bytes.buffer.slice(0) as ArrayBuffer);
    const types = new Set<string>();
    for (const chunk of metadata.row_groups[0]!.columns) {
      const meta = chunk.meta_data!;
      const start = Number(meta.dictionary_page_offset ?? meta.data_page_offset);
      const end = start + Number(meta.total_compressed_size);
      const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: start };
      while (reader.offset < end) {
        const before = reader.offset;
        const header = column.parquetHeader(reader);
        expect(reader.offset, 'parquetHeader must move reader.offset past the header').toBeGreaterThan(
          before,
        );
        expect(header.compressed_page_size, 'PageHeader.compressed_page_size').toBeTypeOf('number');
        expect(header.uncompressed_page_size, 'PageHeader.uncompressed_page_size').toBeTypeOf('number');
        types.add(header.type);
        if (header.type === 'DICTIONARY_PAGE') {
          expect(header.dictionary_page_header?.num_values, 'dictionary_page_header.num_values').toBeTypeOf(
            'number',
          );
        } else {
          const v2 = header.data_page_header_v2;
          expect(v2, `a ${header.type} page: the lake writes v2 data pages`).toBeDefined();
          expect(Object.keys(v2!).sort(), 'data_page_header_v2 fields').toEqual(
            expect.arrayContaining([
              'definition_levels_byte_length',
              'encoding',
              'is_compressed',
              'num_nulls',
              'num_values',
              'repetition_levels_byte_length',
            ]),
          );
          expect(['PLAIN', 'RLE_DICTIONARY'], 'data_page_header_v2.encoding').toContain(v2!.encoding);
        }
        reader.offset += header.compressed_page_size;
      }
      expect(reader.offset, 'pages must end exactly at the column chunk end').toBe(end);
    }
    expect([...types].sort()).toEqual(['DATA_PAGE_V2', 'DICTIONARY_PAGE']);
  });

  it('decompressPage uses the given SNAPPY decompressor and returns UNCOMPRESSED pages as they are', () => {
    const plain = new Uint8Array([1, 2, 3, 4]);
    expect(datapage.decompressPage(plain, 4, 'UNCOMPRESSED', compressors)).toBe(plain);
    const calls: number[] = [];
    const out = datapage.decompressPage(new Uint8Array([9]), 3, 'SNAPPY', {
      SNAPPY: (_input: Uint8Array, size: number) => {
        calls.push(size);
        return new Uint8Array([7, 8, 9]);
      },
    });
    expect(
      calls,
      'decompressPage(bytes, size, codec, compressors) must call compressors[codec](bytes, size)',
    ).toEqual([3]);
    expect([...out]).toEqual([7, 8, 9]);
    // A real snappy block: literal of 5 bytes "hello".
    const block = new Uint8Array([5, 4 << 2, ...new TextEncoder().encode('hello')]);
    expect(new TextDecoder().decode(datapage.decompressPage(block, 5, 'SNAPPY', compressors))).toBe('hello');
  });

  it('readRleBitPackedHybrid decodes RLE and bit-packed runs of a given byte length', () => {
    // An RLE run of 3 × value 5 (width 3), then one bit-packed group of 8 values of width 3.
    const packed = [0, 1, 2, 3, 4, 5, 6, 7];
    let bits = 0n;
    packed.forEach((v, i) => {
      bits |= BigInt(v) << BigInt(3 * i);
    });
    const group = [0, 1, 2].map((i) => Number((bits >> BigInt(8 * i)) & 0xffn));
    const bytes = new Uint8Array([3 << 1, 5, (1 << 1) | 1, ...group]);
    const output = new Array<number>(11);
    const reader = { view: new DataView(bytes.buffer), offset: 0 };
    encoding.readRleBitPackedHybrid(reader, 3, output, bytes.byteLength);
    expect(output, 'readRleBitPackedHybrid(reader, width, output, length) fills output').toEqual([
      5,
      5,
      5,
      ...packed,
    ]);
  });

  it('the decoder reads the lake layout itself (no fallback to parquetRead)', () => {
    const decoded = decodeRawFile(rawFile());
    expect(decoded, `decodeRawFile gave up on the lake layout (${why})`).toBeDefined();
    expect(decoded!.courseIds.filter((c) => c === undefined)).toHaveLength(100);
  });
});
