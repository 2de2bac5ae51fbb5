/**
 * Lists read from bucketed listing tables (student_directory, course_directory, risk_ranking): the ids are
 * spread over `listingBuckets` partitions, each clustered by the listed column, so a page or a prefix
 * search reads one bounded slice of each partition (limit + 1 rows) and merges them; no table is scanned.
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
  const buckets = Array.from({ length: listingBuckets }, (_, bucket) => bucket);
  const slices = await Promise.all(
    buckets.map((bucket) =>
      store.readPartition(
        table,
        { bucket },
        {
          ...(from !== undefined ? { from } : {}),
          ...(to !== undefined ? { to } : {}),
          limit: limit + 1,
          descending,
        },
      ),
    ),
  );
  const sign = descending ? -1 : 1;
  const merged = slices
    .flat()
    .filter((row) => after === undefined || sign * compare(String(row[column]), after) > 0)
    .sort((a, b) => sign * compare(String(a[column]), String(b[column])));
  const rows = merged.slice(0, limit);
  const more = merged.length > limit;
  return more ? { rows, next: String(rows.at(-1)![column]) } : { rows };
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
