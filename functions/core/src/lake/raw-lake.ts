/**
 * Writing and reading the raw lake through the ObjectStore port. The batch layer reads with
 * `listRawPartitions` + `readRawEvents`; ingest writes with `writeRawBatch`.
 */
import type { ObjectInfo, ObjectStore } from '../adapters/object-store.ts';
import type { Category, LmsEvent } from '../events/envelope.ts';
import { decodeRawParquet, encodeRawParquet } from './parquet.ts';
import { parseRawKey, rawFileKey, rawPrefix, type UtcHour, utcHourOf } from './paths.ts';
import { fromRawRow, type RawEvent, type RawEventRow, toRawRow } from './raw-schema.ts';

export const parquetContentType = 'application/vnd.apache.parquet';

/** One file's worth of events: same category, same UTC date and hour. */
export interface RawGroup {
  category: Category;
  partition: UtcHour;
  events: LmsEvent[];
}

/** Splits events into (category, UTC date, UTC hour) groups, dropping repeated event ids within a group. */
export function groupRawEvents(events: Iterable<LmsEvent>): Map<string, RawGroup> {
  const groups = new Map<string, RawGroup & { ids: Set<string> }>();
  for (const event of events) {
    const partition = utcHourOf(event.time);
    const groupKey = `${event.category}/${partition.date}/${partition.hour}`;
    let group = groups.get(groupKey);
    if (!group) {
      group = { category: event.category, partition, events: [], ids: new Set() };
      groups.set(groupKey, group);
    }
    if (group.ids.has(event.id)) continue;
    group.ids.add(event.id);
    group.events.push(event);
  }
  return groups;
}

/** The key of a group's file: deterministic in its set of event ids. */
export const rawGroupKey = (group: RawGroup): string =>
  rawFileKey(
    group.category,
    group.partition,
    group.events.map((e) => e.id),
  );

/** Encodes and writes one group's file; resolves once it is durable. Returns the key and byte size. */
export async function writeRawGroup(
  store: ObjectStore,
  group: RawGroup,
  ingestTime: Date = new Date(),
): Promise<{ key: string; bytes: number }> {
  const key = rawGroupKey(group);
  const body = encodeRawParquet(group.events.map((e) => toRawRow(e, ingestTime)));
  await store.put(key, body, parquetContentType);
  return { key, bytes: body.byteLength };
}

/** Rows of one raw file (undefined-safe: a missing key reads as no rows). */
export async function readRawRows(store: ObjectStore, key: string): Promise<RawEventRow[]> {
  const bytes = await store.get(key);
  return bytes ? decodeRawParquet(bytes) : [];
}

/** The events of one raw file, as accepted (data parsed back from its JSON text). */
export async function readRawEvents(store: ObjectStore, key: string): Promise<RawEvent[]> {
  return (await readRawRows(store, key)).map(fromRawRow);
}

export interface RawFile extends ObjectInfo, UtcHour {
  category: string;
}

/**
 * Raw files of one category whose UTC partition date is within [fromDate, toDate] (YYYY-MM-DD, inclusive),
 * in key order, with size and lastModified (so a batch run can tell what arrived since its last run).
 */
export async function listRawPartitions(
  store: ObjectStore,
  category: Category,
  fromDate: string,
  toDate: string,
): Promise<RawFile[]> {
  const common = commonPrefix(fromDate, toDate);
  const objects = await store.list(`${rawPrefix}${category}/date=${common}`);
  const out: RawFile[] = [];
  for (const o of objects) {
    const p = parseRawKey(o.key);
    if (p && p.category === category && p.date >= fromDate && p.date <= toDate) out.push({ ...o, ...p });
  }
  return out;
}

function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(0, i);
}
