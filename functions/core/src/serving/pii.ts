/**
 * Profile PII never leaves the serving layer: responses carry ids and aggregates only. Ingest already keeps
 * personal fields out of the lake (privacy/personal.ts); this second guard drops any column or field whose
 * name says it holds contact or identity details from every row served.
 */
import { isPersonalFieldName } from '../privacy/personal.ts';

/** A copy of the row without PII fields. */
export function withoutPii<T extends Record<string, unknown>>(row: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (!isPersonalFieldName(k)) out[k] = v;
  return out as T;
}
