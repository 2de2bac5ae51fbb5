/**
 * The dead-letter store: every rejected input, with why, as NDJSON under
 * `dead-letter/date=YYYY-MM-DD/hour=HH/<hash>.ndjson` (UTC of receipt). NDJSON rather than Parquet because
 * a rejected body can be anything (not JSON, binary, huge) and people read these files by hand.
 */
import type { ObjectStore } from '../adapters/object-store.ts';
import { deadLetterKey, deadLetterPrefix, utcHourOf } from './paths.ts';

export interface DeadLetter {
  received_at: string;
  /** Rejection reason (`invalid_json`, `unknown_type`, ...) */
  reason: string;
  field: string;
  rule: string;
  message: string;
  /** HTTP status answered. */
  status: number;
  /** The request headers as received. */
  headers: Record<string, string>;
  /** The raw body text (UTF-8; empty when the body was not read, e.g. over the size limit). */
  body: string;
  /** CloudEvent id when one could be read. */
  event_id?: string;
  /** CloudEvent type when one could be read. */
  event_type?: string;
}

export const ndjsonContentType = 'application/x-ndjson';

/** Writes the records (grouped by UTC hour of receipt, one file each); resolves once all are durable. */
export async function writeDeadLetters(
  store: ObjectStore,
  records: readonly DeadLetter[],
): Promise<{ key: string; bytes: number }[]> {
  const byHour = new Map<string, DeadLetter[]>();
  for (const r of records) {
    const p = utcHourOf(r.received_at);
    const k = `${p.date}/${p.hour}`;
    const list = byHour.get(k);
    if (list) list.push(r);
    else byHour.set(k, [r]);
  }
  return Promise.all(
    [...byHour.values()].map(async (list) => {
      const body = new TextEncoder().encode(list.map((r) => `${JSON.stringify(r)}\n`).join(''));
      const key = deadLetterKey(utcHourOf(list[0]!.received_at), body);
      await store.put(key, body, ndjsonContentType);
      return { key, bytes: body.byteLength };
    }),
  );
}

/** Every dead letter under `dead-letter/` whose key starts with the given date prefix (all when omitted). */
export async function readDeadLetters(store: ObjectStore, datePrefix = ''): Promise<DeadLetter[]> {
  const out: DeadLetter[] = [];
  for (const o of await store.list(`${deadLetterPrefix}date=${datePrefix}`)) {
    const bytes = await store.get(o.key);
    if (!bytes) continue;
    for (const line of new TextDecoder().decode(bytes).split('\n')) {
      if (line.length > 0) out.push(JSON.parse(line) as DeadLetter);
    }
  }
  return out;
}
