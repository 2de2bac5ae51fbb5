/**
 * View rows as comparable JSON, for tests that compare the views of two runs that should agree: Cassandra's
 * Long/Date/Set types become plain values, and doubles are compared to 10 significant digits, because a sum
 * of the same doubles taken in another order (events read from other files, or arriving in another order)
 * differs in its last bits.
 */
import type { Row } from '../../../functions/core/src/views/columns.ts';

/** The rows as sorted JSON strings, values normalised. */
export function normalise(rows: Row[]): string[] {
  const value = (v: unknown): unknown => {
    if (v === null || v === undefined) return null;
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'number') return Number.isInteger(v) ? v : Number(v.toPrecision(10));
    if (v instanceof Date) return v.getTime();
    if (typeof v === 'object' && 'toNumber' in (v as object)) return (v as { toNumber(): number }).toNumber();
    if (v instanceof Set) return [...v].map(value).sort();
    if (v instanceof Map) return [...v.entries()].map(([k, x]) => [k, value(x)]).sort();
    if (Array.isArray(v)) return v.map(value);
    if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, value(x)]));
    return v;
  };
  return rows
    .map((row) =>
      JSON.stringify(
        Object.keys(row)
          .sort()
          .map((k) => [k, value(row[k])]),
      ),
    )
    .sort();
}
