/**
 * Object keys of the lake (docs/architecture.md#the-lake-layout):
 * `raw/<category>/date=YYYY-MM-DD/hour=HH/<name>.parquet` and `dead-letter/date=YYYY-MM-DD/hour=HH/<name>.ndjson`.
 * Partition date and hour are UTC (storage partitions; calendar buckets of views use the analytics zone).
 */
import { createHash } from 'node:crypto';
import type { Category } from '../events/envelope.ts';

export const rawPrefix = 'raw/';
export const deadLetterPrefix = 'dead-letter/';

export interface UtcHour {
  /** YYYY-MM-DD (UTC) */
  date: string;
  /** HH (UTC, 00-23) */
  hour: string;
}

export function utcHourOf(instant: Date | string): UtcHour {
  const iso = (typeof instant === 'string' ? new Date(instant) : instant).toISOString();
  return { date: iso.slice(0, 10), hour: iso.slice(11, 13) };
}

export const rawPartitionPrefix = (category: Category, p: UtcHour): string =>
  `${rawPrefix}${category}/date=${p.date}/hour=${p.hour}/`;

/** A name that depends only on the set of event ids, so a retried write of the same batch overwrites. */
export function batchName(ids: Iterable<string>): string {
  const hash = createHash('sha256');
  for (const id of [...ids].sort()) hash.update(id).update('\n');
  return hash.digest('hex').slice(0, 32);
}

export const rawFileKey = (category: Category, p: UtcHour, ids: Iterable<string>): string =>
  `${rawPartitionPrefix(category, p)}${batchName(ids)}.parquet`;

export const deadLetterKey = (p: UtcHour, body: Uint8Array): string =>
  `${deadLetterPrefix}date=${p.date}/hour=${p.hour}/${createHash('sha256').update(body).digest('hex').slice(0, 32)}.ndjson`;

const partitionPattern = /^raw\/([a-z]+)\/date=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/[^/]+\.parquet$/;

/** Parses a raw file key back into its category and UTC partition; undefined for other keys. */
export function parseRawKey(key: string): ({ category: string } & UtcHour) | undefined {
  const m = partitionPattern.exec(key);
  return m ? { category: m[1]!, date: m[2]!, hour: m[3]! } : undefined;
}
