/**
 * Lists read from bucketed listing tables (student_directory, course_directory, risk_ranking): the ids are
 * spread over `listingBuckets` partitions, each clustered by the listed column, so a page or a prefix
 * search reads a bounded slice of each partition (about 2 × limit / 16 rows, more only from a bucket whose
 * slice ended before the page did) and merges them; no table is scanned.
 * The cursor is the last value of the listed column, so pages neither repeat nor skip rows when rows are
 * added between requests (a row added before the cursor is simply not on later pages).
 */
import type { ViewStore } from '../adapters/view-store.ts';
import { listingBuckets } from '../categories/student-course/risk.ts';
import type { Row, TableDefinition } from '../views/columns.ts';

export interface ListingQuery {
  /** The clustering column that orders the list (student_id, course_id, risk_rank). */
  column: string;
  /** Only values starting with this prefix. */
  prefix?: string;
  /** Values strictly after this one in the list's order (the previous page's cursor). */
  after?: string;
  limit: number;
  descending?: boolean;
}

/** The least string above every string starting with `prefix` (ids are ASCII: the last code unit + 1). */
export function prefixEnd(prefix: string): string {
  if (prefix === '') throw new Error('prefixEnd: empty prefix');
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * One page of a bucketed listing table: at most `limit` rows in the list's order, and the cursor of the
 * next page (undefined on the last one).
 */
export async function readListing(
  store: ViewStore,
  table: TableDefinition,
  query: ListingQuery,
): Promise<{ rows: Row[]; next?: string }> {
  const { column, prefix, after, limit, descending = false } = query;
  if (table.clustering[0]?.name !== column || !table.partitionKey.includes('bucket'))
    throw new Error(`${table.name} is not a listing table ordered by ${column}`);
  let from = prefix || undefined;
  let to = prefix ? prefixEnd(prefix) : undefined;
  if (after !== undefined) {
    // Ascending: from the cursor (inclusive: its own row is dropped below); descending: below it.
    if (!descending && (from === undefined || after > from)) from = after;
    if (descending && (to === undefined || after < to)) to = after;
  }
  if (from !== undefined && to !== undefined && from >= to) return { rows: [] };
  const sign = descending ? -1 : 1;
  const before = (a: string, b: string) => sign * compare(a, b) < 0;
  // Ids hash evenly over the buckets, so a page takes about limit / buckets rows from each: read twice
  // that (+1) per bucket, then read further only from the buckets whose slice ended before the page did.
  const slices = Array.from({ length: listingBuckets }, (_, bucket) => ({
    bucket,
    rows: [] as Row[],
    last: undefined as string | undefined,
    done: false,
  }));
  let want = 2 * Math.ceil(limit / listingBuckets) + 1;
  let pending = slices;
  for (;;) {
    await Promise.all(
      pending.map(async (slice) => {
        const resume = slice.last;
        // Ascending resumes from the last value read (inclusive, dropped below); descending below it.
        const lower = !descending && resume !== undefined ? resume : from;
        const upper = descending && resume !== undefined ? resume : to;
        const got = await store.readPartition(
          table,
          { bucket: slice.bucket },
          {
            ...(lower !== undefined ? { from: lower } : {}),
            ...(upper !== undefined ? { to: upper } : {}),
            limit: want,
            descending,
          },
        );
        slice.done = got.length < want;
        const fresh = got.filter((row) => resume === undefined || String(row[column]) !== resume);
        slice.rows.push(...fresh);
        if (got.length > 0) slice.last = String(got.at(-1)![column]);
      }),
    );
    const merged = slices
      .flatMap((slice) => slice.rows)
      .filter((row) => after === undefined || before(after, String(row[column])))
      .sort((a, b) => sign * compare(String(a[column]), String(b[column])));
    const edge = merged.length > limit ? String(merged[limit]![column]) : undefined;
    // A bucket still open whose last row comes before the page's edge may hold rows of this page.
    pending = slices.filter(
      (slice) =>
        !slice.done && (edge === undefined || (slice.last !== undefined && before(slice.last, edge))),
    );
    if (pending.length === 0) {
      const rows = merged.slice(0, limit);
      return merged.length > limit ? { rows, next: String(rows.at(-1)![column]) } : { rows };
    }
    want *= 2;
  }
}

/** Rows of one partition ordered in memory by `column` (a course's risk list), paged after a cursor. */
export function pageSorted(
  rows: readonly Row[],
  column: string,
  options: { after?: string; limit: number; descending?: boolean },
): { rows: Row[]; next?: string } {
  const sign = options.descending ? -1 : 1;
  const sorted = rows
    .filter((r) => options.after === undefined || sign * compare(String(r[column]), options.after) > 0)
    .sort((a, b) => sign * compare(String(a[column]), String(b[column])));
  const page = sorted.slice(0, options.limit);
  return sorted.length > options.limit ? { rows: page, next: String(page.at(-1)![column]) } : { rows: page };
}
