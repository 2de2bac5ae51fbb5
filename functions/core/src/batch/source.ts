/**
 * Reading one local day of raw events for a batch run: the day's UTC hour partitions per category,
 * decoded column-wise (only the columns views use), deduplicated by event id, and restricted to events
 * whose local date is the day.
 */
import { parquetMetadata, parquetRead } from 'hyparquet';
import type { ObjectStore } from '../adapters/object-store.ts';
import { dataFields } from '../events/catalogue.ts';
import type { BaseEventData, Category, LmsEvent, Role } from '../events/envelope.ts';
import { parseRawKey, rawPartitionPrefix, rawPrefix } from '../lake/paths.ts';
import { addDays, type LocalCalendar } from '../views/time.ts';
import type { InputFingerprint, UtcPartition } from './plan.ts';
import { compressors, decodeRawFile, type RawFileColumns } from './raw-decoder.ts';

/** A raw event as batch views see it: the LmsEvent plus its time in epoch ms (`eventMs`). */
export type BatchEvent = LmsEvent & { ms: number };

/** Per category, how many events a run read lazily and how many of them views made it parse. */
interface ParseCounts {
  lazy: number;
  parsed: number;
  eager: boolean;
}

/**
 * An event's data as batch views read it, parsed lazily: `user_id`, `role` and `course_id` from the lake's
 * columns, every other field of the catalogue parsed from the JSON text on first use (a getter per field,
 * below). Views must read catalogue fields only, by name: any other field reads as undefined here, though
 * it is present once a category is parsed as read (test/batch-view-fields.test.ts checks every view).
 */
class LazyData {
  // Private names: they cannot shadow a catalogue field.
  #parsed: Record<string, unknown> | undefined;
  readonly #text: string;
  readonly #counts: ParseCounts;
  constructor(
    readonly user_id: string,
    readonly role: Role,
    readonly course_id: string | undefined,
    text: string,
    counts: ParseCounts,
  ) {
    this.#text = text;
    this.#counts = counts;
  }
  fields(): Record<string, unknown> {
    if (this.#parsed === undefined) {
      this.#parsed = JSON.parse(this.#text) as Record<string, unknown>;
      this.#counts.parsed++;
    }
    return this.#parsed;
  }
}
const columnFields = ['user_id', 'role', 'course_id'];
for (const name of dataFields) {
  if (columnFields.includes(name)) continue;
  if (!/^[a-z_][a-z0-9_]*$/.test(name) || name in LazyData.prototype)
    throw new Error(`data field name ${name} cannot be a getter of LazyData`);
  // A getter of its own per field (generated from the catalogue's names, never from input data): one
  // shared keyed read of `fields()[name]` saw every field of every event type and was slower than parsing.
  const get = new Function(`return this.fields().${name};`) as (this: LazyData) => unknown;
  Object.defineProperty(LazyData.prototype, name, { get });
}

/**
 * When a run parses events' `data`: per category, lazily (`LazyData`) until the events read turn out to
 * be parsed anyway (by most of the first few thousand), then as they are read for the rest of the run.
 * Rows are the same either way. Lazy skips the events whose views read only the lake's columns (logins
 * and enrolments in the cross-category job, most course events); eager spares the events every view
 * parses (the category jobs) the getters and a second object.
 */
export class DataParsing {
  private readonly counts = new Map<Category, ParseCounts>();
  /** `sample`: events read lazily before deciding; `eagerShare`: the share of them parsed that makes it eager. */
  constructor(
    private readonly sample = 4096,
    private readonly eagerShare = 0.75,
  ) {}

  of(category: Category): ParseCounts {
    let counts = this.counts.get(category);
    if (!counts) {
      counts = { lazy: 0, parsed: 0, eager: false };
      this.counts.set(category, counts);
    }
    return counts;
  }

  /** After a file's events were added: switches a category to eager parsing once its sample is in. */
  review(counts: ParseCounts): void {
    if (!counts.eager && counts.lazy >= this.sample)
      counts.eager = counts.parsed >= this.eagerShare * counts.lazy;
  }
}

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

/** The columns batch views need (the others: the ingest time, the category, known from the path). */
const columns = ['event_id', 'event_type', 'event_time', 'user_id', 'role', 'course_id', 'data'] as const;
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
  // The footer is parsed once, for both readers. The decoder works on a copy of its own (it blanks length
  // prefixes in place), so a file it gives up on is read from these bytes, copied only when they are a
  // view into a larger buffer.
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  const file = (
    whole ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
  ) as ArrayBuffer;
  const metadata = parquetMetadata(file);
  return decodeRawFile(bytes, metadata) ?? (await readRawColumnsPublic(file, metadata));
}

/** The same columns through hyparquet's public reader: for files the decoder gives up on (and its benchmark). */
export async function readRawColumnsPublic(
  file: ArrayBuffer,
  metadata: ReturnType<typeof parquetMetadata>,
): Promise<RawFileColumns> {
  const rows = Number(metadata.num_rows);
  const out: Record<string, unknown[]> = {};
  await parquetRead({
    file,
    metadata,
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
  const column = <T>(name: (typeof columns)[number]): T[] => {
    const values = out[name] ?? (rows === 0 ? [] : undefined);
    if (!values) throw new Error(`raw file without a ${name} column: not a file of the raw lake`);
    return values as T[];
  };
  return {
    ids: column<string>('event_id'),
    types: column<string>('event_type'),
    times: Float64Array.from(column<number>('event_time')),
    userIds: column<string>('user_id'),
    roles: column<string>('role'),
    courseIds: column<string | null>('course_id').map((c) => c ?? undefined),
    data: column<string>('data'),
  };
}

/** Files fetched ahead of the one being decoded. */
const prefetchFiles = 8;

/** Re-listings of one partition a day's read makes at most (each one after a swap of that partition). */
const maxRelistings = 8;

export interface DayReadStats {
  files: number;
  bytes: number;
  rows: number;
  duplicates: number;
  /** Rows in the day's UTC hours whose local date is another day (zones with partial-hour offsets). */
  outside: number;
  /** Distinct events of the day passed on, per category. */
  events: Partial<Record<Category, number>>;
  /** Partition re-listings because a listed file had vanished (compacted since the run listed it). */
  relisted: number;
}

/**
 * Streams the distinct events of local day `date` from the given files to `onEvent`, file by file
 * (memory holds one file at a time plus the day's event ids).
 *
 * A listed file that is gone when read was swapped out by a compaction (lake/compaction.ts): its events
 * are in a file written before the delete, which the run's listing may not hold. Its partition is listed
 * again (fresh) and the files not yet known are read too (events are deduplicated by id, so a file read
 * besides the old ones counts nothing twice). A file missing from the latest re-listing of its partition
 * needs no other: that listing holds its events. One still in it vanished since, so the partition is
 * listed again, at most `maxRelistings` times.
 */
export async function readDay(
  lake: ObjectStore,
  files: readonly RawInput[],
  date: string,
  calendar: LocalCalendar,
  onEvent: (event: BatchEvent) => void,
  parsing: DataParsing = new DataParsing(),
): Promise<DayReadStats> {
  const seen = new Set<string>();
  const stats: DayReadStats = {
    files: 0,
    bytes: 0,
    rows: 0,
    duplicates: 0,
    outside: 0,
    events: {},
    relisted: 0,
  };
  const start = calendar.startOfDate(date);
  const end = calendar.startOfDate(addDays(date, 1));
  // The files to read: the given ones, then those re-listings found.
  const queue = [...files];
  const known = new Set(queue.map((f) => f.key));
  const relistings = new Map<string, { count: number; keys: Set<string> }>();
  const relist = async (file: RawInput): Promise<void> => {
    const p = parseRawKey(file.key);
    if (!p) return;
    const prefix = rawPartitionPrefix(file.category, p);
    const last = relistings.get(prefix);
    if (last && !last.keys.has(file.key)) return;
    const count = (last?.count ?? 0) + 1;
    if (count > maxRelistings)
      throw new Error(
        `raw partition ${prefix} kept changing while it was read (${maxRelistings} re-listings, a listed file gone each time)`,
      );
    stats.relisted++;
    const objects = (await lake.list(prefix)).filter((o) => parseRawKey(o.key)?.category === file.category);
    relistings.set(prefix, { count, keys: new Set(objects.map((o) => o.key)) });
    for (const o of objects) {
      if (known.has(o.key)) continue;
      known.add(o.key);
      queue.push({
        key: o.key,
        category: file.category,
        size: o.size,
        lastModified: o.lastModified.getTime(),
      });
    }
  };
  // Fetches run ahead of decoding: a read progresses only when this loop yields, so one fetch in flight
  // left the run idle for a tenth of its time on small files.
  const fetches: Promise<Uint8Array | undefined>[] = [];
  const fetchUpTo = (f: number) => {
    for (let i = fetches.length; i <= f && i < queue.length; i++) {
      const fetch = lake.get(queue[i]!.key);
      // Awaited below, in order; a failure before then must not count as an unhandled rejection.
      fetch.catch(() => {});
      fetches.push(fetch);
    }
  };
  for (let f = 0; f < queue.length; f++) {
    const file = queue[f]!;
    fetchUpTo(f + prefetchFiles);
    const bytes = await fetches[f];
    delete fetches[f];
    if (!bytes) {
      // Deleted since listing (compacted): its events are in a replacement this read may not know yet.
      await relist(file);
      continue;
    }
    stats.files++;
    stats.bytes += bytes.byteLength;
    const { ids, types, times, userIds, roles, courseIds, data } = await decodeRawColumns(bytes);
    const category = file.category;
    const counts = parsing.of(category);
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
      let eventData: BaseEventData;
      if (counts.eager) {
        eventData = JSON.parse(data[i]!) as BaseEventData;
      } else {
        counts.lazy++;
        const lazy = new LazyData(userIds[i]!, roles[i]! as Role, courseIds[i], data[i]!, counts);
        eventData = lazy as unknown as BaseEventData;
      }
      onEvent(new DecodedEvent(id, category, types[i]!, ms, eventData));
    }
    parsing.review(counts);
    stats.events[category] = (stats.events[category] ?? 0) + passed;
  }
  return stats;
}
