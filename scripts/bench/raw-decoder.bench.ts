/**
 * The batch's raw decoder (`functions/core/src/batch/raw-decoder.ts`, which calls three of hyparquet's internal
 * functions) against hyparquet's public reader (`parquetRead` with the same columns, parsers and snappy
 * decompressor, as `decodeRawColumns` uses for files of another layout), on the same files in memory: one
 * compacted-shaped file per category and UTC hour of `--scale` days of the generator's university. Rounds
 * alternate the two readers, so both see the same machine load. Rerun it when hyparquet is upgraded
 * (docs/architecture.md#dependencies-on-library-internals).
 */
import { isDeepStrictEqual } from 'node:util';
import { createUniversity, simulate } from '@ula/tools/generator/index';
import { parquetMetadata } from 'hyparquet';
import { decodeRawFile, type RawFileColumns } from '../../functions/core/src/batch/raw-decoder.ts';
import { readRawColumnsPublic } from '../../functions/core/src/batch/source.ts';
import type { LmsEvent } from '../../functions/core/src/events/envelope.ts';
import { encodeRawParquet } from '../../functions/core/src/lake/parquet.ts';
import { utcHourOf } from '../../functions/core/src/lake/paths.ts';
import { toRawRow } from '../../functions/core/src/lake/raw-schema.ts';
import type { Bench, BenchResult } from './result.ts';

const rounds = 11;

const arrayBufferOf = (bytes: Uint8Array) =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

function own(bytes: Uint8Array): RawFileColumns {
  const decoded = decodeRawFile(bytes, parquetMetadata(arrayBufferOf(bytes)));
  if (!decoded) throw new Error('the raw decoder gave up on a file of the lake layout');
  return decoded;
}

/** hyparquet's public reader, as the batch uses it for files the decoder gives up on. */
function publicReader(bytes: Uint8Array): Promise<RawFileColumns> {
  const file = arrayBufferOf(bytes);
  return readRawColumnsPublic(file, parquetMetadata(file));
}

/** One file per category and UTC hour, rows sorted by event time (as compaction leaves them). */
function lakeFiles(days: number): { files: Uint8Array[]; events: number } {
  const university = createUniversity({ seed: 7 });
  const start = Date.parse('2026-01-05T00:00:00+07:00');
  const groups = new Map<string, LmsEvent[]>();
  let events = 0;
  for (const event of simulate(university, { start, end: start + days * 86_400_000, seed: 7 })) {
    const { date, hour } = utcHourOf(event.time);
    const key = `${event.category}/${date}/${hour}`;
    let group = groups.get(key);
    if (!group) {
      group = [];
      groups.set(key, group);
    }
    group.push(event);
    events++;
  }
  const files = [...groups.values()].map((group) => {
    const ingest = new Date(Date.parse(group[group.length - 1]!.time) + 5_000);
    return encodeRawParquet(group.map((e) => toRawRow(e, ingest)));
  });
  return { files, events };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const bench: Bench = {
  name: 'raw-decoder',
  async run({ scale }): Promise<BenchResult> {
    const days = Math.max(1, Math.round(scale));
    const { files, events } = lakeFiles(days);
    const bytes = files.reduce((sum, f) => sum + f.byteLength, 0);
    for (const file of files)
      if (!isDeepStrictEqual(own(file), await publicReader(file)))
        throw new Error('the raw decoder and parquetRead disagree on a file');
    const times = { own: [] as number[], public: [] as number[] };
    for (let round = 0; round < rounds; round++) {
      for (const reader of round % 2 === 0 ? (['own', 'public'] as const) : (['public', 'own'] as const)) {
        const started = performance.now();
        for (const file of files) reader === 'own' ? own(file) : await publicReader(file);
        times[reader].push(performance.now() - started);
      }
    }
    const pairRatios = times.own.map((ms, i) => times.public[i]! / ms);
    const nsPerEvent = (ms: number) => Math.round((ms * 1e6) / events);
    return {
      name: 'raw-decoder',
      figures: {
        files: files.length,
        events,
        'MB (Parquet, snappy)': Number((bytes / 1e6).toFixed(1)),
        'raw decoder ns/event, min / median': `${nsPerEvent(Math.min(...times.own))} / ${nsPerEvent(median(times.own))}`,
        'parquetRead ns/event, min / median': `${nsPerEvent(Math.min(...times.public))} / ${nsPerEvent(median(times.public))}`,
      },
      ratios: {
        'parquetRead / raw decoder (minimums)': Math.min(...times.public) / Math.min(...times.own),
        'parquetRead / raw decoder (median of rounds)': median(pairRatios),
      },
      notes: [
        `${rounds} rounds alternating the readers over the same in-memory files; both give the same columns (checked)`,
      ],
    };
  },
};

export default bench;
