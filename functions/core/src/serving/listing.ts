/**
 * Lists read from listing tables whose partitions follow the list's order (student_directory,
 * course_directory by the id's first character, risk_ranking by score band; see `listingBucket`): a page
 * or a prefix search reads a slice of the partition its range starts in, and goes on into the next
 * non-empty partitions only when that one ends before the page is full. One read per page, mostly; no
 * table is scanned.
 * The cursor is the last value of the listed column, so pages neither repeat nor skip rows when rows are
 * added between requests (a row added before the cursor is simply not on later pages).
 */
import type { ViewStore } from '../adapters/view-store.ts';
import { listingBuckets } from '../categories/student-course/risk.ts';
import type { Row, TableDefinition } from '../views/columns.ts';

export interface ListingQuery {
  /** The clustering column that orders the list (student_id, course_id, risk_rank). */
  column: string;
  /** The listing partition holding a value of `column` (monotone: a later value never has a lower one). */
  bucketOf: (value: string) => number;
  /** Only values starting with this prefix. */
  prefix?: string;
  /** Only values in [from, to) (e.g. a risk level's band of ranks); combined with `prefix`. */
  from?: string;
  to?: string;
  /** Values strictly after this one in the list's order (the previous page's cursor). */
  after?: string;
  limit: number;
  descending?: boolean;
  /** The partitions holding rows, ascending (a cached hint, so empty ones are not read); default: all. */
  occupied?: readonly number[];
}

/** The least string above every string starting with `prefix` (ids are ASCII: the last code unit + 1). */
export function prefixEnd(prefix: string): string {
  if (prefix === '') throw new Error('prefixEnd: empty prefix');
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

const maxOf = (a: string | undefined, b: string | undefined) =>
  a === undefined ? b : b === undefined ? a : a > b ? a : b;
const minOf = (a: string | undefined, b: string | undefined) =>
  a === undefined ? b : b === undefined ? a : a < b ? a : b;

/**
 * One page of a listing table: at most `limit` rows in the list's order, and the cursor of the next page
 * (undefined on the last one).
 */
export async function readListing(
  store: Pick<ViewStore, 'readPartition'>,
  table: TableDefinition,
  query: ListingQuery,
): Promise<{ rows: Row[]; next?: string }> {
  const { column, bucketOf, prefix, after, limit, descending = false } = query;
  if (table.clustering[0]?.name !== column || !table.partitionKey.includes('bucket'))
    throw new Error(`${table.name} is not a listing table ordered by ${column}`);
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`readListing: limit must be ≥ 1, not ${limit}`);
  // The value range [from, to): prefix, explicit bounds, and the cursor (exclusive, dropped below).
  let from = maxOf(prefix || undefined, query.from);
  let to = minOf(prefix ? prefixEnd(prefix) : undefined, query.to);
  if (after !== undefined) {
    if (!descending) from = maxOf(from, after);
    else to = minOf(to, after);
  }
  if (from !== undefined && to !== undefined && from >= to) return { rows: [] };
  // The partitions the range spans, in the list's order; `to` is exclusive but may share its bucket.
  const low = from === undefined ? 0 : bucketOf(from);
  const high = to === undefined ? listingBuckets - 1 : bucketOf(to);
  const spanned = (query.occupied ?? Array.from({ length: listingBuckets }, (_, b) => b)).filter(
    (b) => b >= low && b <= high,
  );
  if (descending) spanned.reverse();
  const rows: Row[] = [];
  // limit + 1 rows tell whether a next page exists; the cursor's own row (ascending) is dropped.
  for (const bucket of spanned) {
    const want = limit + 1 - rows.length;
    const got = await store.readPartition(
      table,
      { bucket },
      {
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        limit: want + (after !== undefined && !descending ? 1 : 0),
        descending,
      },
    );
    for (const row of got) if (after === undefined || String(row[column]) !== after) rows.push(row);
    if (rows.length > limit) break;
  }
  const page = rows.slice(0, limit);
  return rows.length > limit ? { rows: page, next: String(page.at(-1)![column]) } : { rows: page };
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Rows of one partition ordered in memory by `column` (a course's risk list), paged after a cursor. */
export function pageSorted(
  rows: readonly Row[],
  column: string,
  options: { after?: string; limit: number; descending?: boolean },
): { rows: Row[]; next?: string } {
  const sign = options.descending ? -1 : 1;
  const sorted = [...rows].sort((a, b) => sign * compare(String(a[column]), String(b[column])));
  return pageOfSorted(sorted, column, options);
}

/**
 * A page of rows already ordered by `column` (ascending, or descending with `descending`): the rows
 * strictly after the cursor, found by binary search, so a sorted list kept for a while pages in O(log n).
 */
export function pageOfSorted(
  sorted: readonly Row[],
  column: string,
  options: { after?: string; limit: number; descending?: boolean },
): { rows: Row[]; next?: string } {
  const sign = options.descending ? -1 : 1;
  let start = 0;
  if (options.after !== undefined) {
    const after = options.after;
    let high = sorted.length;
    while (start < high) {
      const middle = (start + high) >>> 1;
      if (sign * compare(String(sorted[middle]![column]), after) <= 0) start = middle + 1;
      else high = middle;
    }
  }
  const page = sorted.slice(start, start + options.limit);
  return start + options.limit < sorted.length
    ? { rows: page, next: String(page.at(-1)![column]) }
    : { rows: page };
}

/**
 * A page of one partition in its clustering order (a course's students by risk rank): the rows strictly
 * after the cursor on the first clustering column, `limit + 1` read to tell whether a next page exists.
 */
export async function readPartitionPage(
  store: Pick<ViewStore, 'readPartition'>,
  table: TableDefinition,
  partition: Row,
  query: { after?: string | undefined; limit: number },
): Promise<{ rows: Row[]; next?: string }> {
  const column = table.clustering[0]?.name;
  if (column === undefined) throw new Error(`${table.name} has no clustering column to page on`);
  const { after, limit } = query;
  const got = await store.readPartition(table, partition, {
    ...(after !== undefined ? { from: after } : {}),
    limit: limit + 1 + (after !== undefined ? 1 : 0),
  });
  const rows = after === undefined ? got : got.filter((row) => String(row[column]) !== after);
  const page = rows.slice(0, limit);
  return rows.length > limit ? { rows: page, next: String(page.at(-1)![column]) } : { rows: page };
}
