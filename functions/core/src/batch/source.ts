/**
 * Reading one local day of raw events for a batch run: the day's UTC hour partitions per category,
 * decoded column-wise with hyparquet (only the columns views use), deduplicated by event id, and
 * restricted to events whose local date is the day.
 */
import { parquetRead } from 'hyparquet';
import type { ObjectStore } from '../adapters/object-store.ts';
import type { BaseEventData, Category, LmsEvent } from '../events/envelope.ts';
import { parseRawKey, rawPrefix } from '../lake/paths.ts';
import type { LocalCalendar } from '../views/time.ts';
import type { InputFingerprint, UtcPartition } from './plan.ts';
import { compressors, decodeRawFile, type RawFileColumns } from './raw-decoder.ts';

/** A raw event as batch views see it: the LmsEvent plus its time in epoch ms (`eventMs`). */
export type BatchEvent = LmsEvent & { ms: number };

/** A decoded event; its RFC 3339 `time` is only formatted if a view asks for it (views use `ms`). */
class DecodedEvent implements BatchEvent {
  constructor(
    readonly id: string,
    readonly category: Category,
    readonly eventType: string,
    readonly ms: number,
    readonly data: BaseEventData,
  ) {}
  get time(): string {
    return new Date(this.ms).toISOString();
  }
}

export interface RawInput extends InputFingerprint {
  key: string;
  category: Category;
}

/** Lists raw files per (category, UTC date), caching each listing for the run. */
export class RawListing {
  private readonly cache = new Map<string, Promise<RawInput[]>>();
  constructor(private readonly lake: ObjectStore) {}

  private listDate(category: Category, date: string): Promise<RawInput[]> {
    const id = `${category}/${date}`;
    let listing = this.cache.get(id);
    if (!listing) {
      listing = this.lake.list(`${rawPrefix}${category}/date=${date}/`).then((objects) =>
        objects.flatMap((o) => {
          const p = parseRawKey(o.key);
          return p && p.category === category
            ? [{ key: o.key, category, size: o.size, lastModified: o.lastModified.getTime() }]
            : [];
        }),
      );
      this.cache.set(id, listing);
    }
    return listing;
  }

  /** Raw files of the given categories in the given UTC hour partitions, in key order. */
  async files(categories: readonly Category[], partitions: readonly UtcPartition[]): Promise<RawInput[]> {
    const out: RawInput[] = [];
    const dates = [...new Set(partitions.map((p) => p.date))];
    const hours = new Set(partitions.map((p) => `${p.date}/${p.hour}`));
    for (const category of categories) {
      for (const date of dates) {
        for (const file of await this.listDate(category, date)) {
          const p = parseRawKey(file.key)!;
          if (hours.has(`${p.date}/${p.hour}`)) out.push(file);
        }
      }
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}

/** Only the columns views need: user_id and role are also inside `data` (the full event data). */
const columns = ['event_id', 'event_type', 'event_time', 'data'] as const;
const parsers = {
  timestampFromMilliseconds: (ms: bigint) => Number(ms),
  timestampFromMicroseconds: (us: bigint) => Number(us / 1000n),
  timestampFromNanoseconds: (ns: bigint) => Number(ns / 1_000_000n),
};

/**
 * Decodes the columns batch views need from one raw Parquet file: with the decoder of the lake's own
 * layout, or hyparquet's general reader for any other file (e.g. written by another tool).
 */
export async function decodeRawColumns(bytes: Uint8Array): Promise<RawFileColumns> {
  const own = decodeRawFile(bytes);
  if (own) return own;
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const out: Record<string, unknown[]> = {};
  await parquetRead({
    file,
    columns: [...columns],
    parsers,
    compressors,
    onChunk: ({ columnName, columnData, rowStart }) => {
      let column = out[columnName];
      if (!column) {
        column = [];
        out[columnName] = column;
      }
      for (let i = 0; i < columnData.length; i++) column[rowStart + i] = columnData[i];
    },
  });
  return {
    ids: (out['event_id'] ?? []) as string[],
    types: (out['event_type'] ?? []) as string[],
    times: Float64Array.from((out['event_time'] ?? []) as number[]),
    data: (out['data'] ?? []) as string[],
  };
}

/** Files fetched ahead of the one being decoded. */
const prefetchFiles = 8;

export interface DayReadStats {
  files: number;
  bytes: number;
  rows: number;
  duplicates: number;
  /** Rows in the day's UTC hours whose local date is another day (zones with partial-hour offsets). */
  outside: number;
  /** Distinct events of the day passed on, per category. */
  events: Partial<Record<Category, number>>;
}

/**
 * Streams the distinct events of local day `date` from the given files to `onEvent`, file by file
 * (memory holds one file at a time plus the day's event ids).
 */
export async function readDay(
  lake: ObjectStore,
  files: readonly RawInput[],
  date: string,
  calendar: LocalCalendar,
  onEvent: (event: BatchEvent) => void,
): Promise<DayReadStats> {
  const seen = new Set<string>();
  const stats: DayReadStats = { files: 0, bytes: 0, rows: 0, duplicates: 0, outside: 0, events: {} };
  const start = calendar.startOfDate(date);
  const end = calendar.startOfDate(addOneDay(date));
  // Fetches run ahead of decoding: a read progresses only when this loop yields, so one fetch in flight
  // left the run idle for a tenth of its time on small files.
  const fetches: Promise<Uint8Array | undefined>[] = [];
  const fetchUpTo = (f: number) => {
    for (let i = fetches.length; i <= f && i < files.length; i++) {
      const fetch = lake.get(files[i]!.key);
      // Awaited below, in order; a failure before then must not count as an unhandled rejection.
      fetch.catch(() => {});
      fetches.push(fetch);
    }
  };
  for (let f = 0; f < files.length; f++) {
    const file = files[f]!;
    fetchUpTo(f + prefetchFiles);
    const bytes = await fetches[f];
    delete fetches[f];
    if (!bytes) continue; // deleted since listing (e.g. compacted): its events are in the replacement
    stats.files++;
    stats.bytes += bytes.byteLength;
    const { ids, types, times, data } = await decodeRawColumns(bytes);
    const category = file.category;
    let passed = 0;
    stats.rows += ids.length;
    for (let i = 0; i < ids.length; i++) {
      const ms = times[i]!;
      if (ms < start || ms >= end) {
        stats.outside++;
        continue;
      }
      const id = ids[i]!;
      const before = seen.size;
      if (seen.add(id).size === before) {
        stats.duplicates++;
        continue;
      }
      passed++;
      const parsed = JSON.parse(data[i]!) as BaseEventData;
      onEvent(new DecodedEvent(id, category, types[i]!, ms, parsed));
    }
    stats.events[category] = (stats.events[category] ?? 0) + passed;
  }
  return stats;
}

const addOneDay = (date: string) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
