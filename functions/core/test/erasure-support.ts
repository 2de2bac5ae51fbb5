/**
 * Helpers for the erasure tests: a small university's days of events with one student's personal rows,
 * xAPI statements and speed facts, stores that crash at a chosen write, and a search of every lake object
 * and view row for a user id.
 */
import { gunzipSync } from 'node:zlib';
import { parquetReadObjects } from 'hyparquet';
import type { ObjectInfo, ObjectStore } from '../src/adapters/object-store.ts';
import type { ViewStore } from '../src/adapters/view-store.ts';
import type { LmsEvent } from '../src/events/envelope.ts';
import { type PersonalDataRow, writePersonalData } from '../src/lake/personal-data.ts';
import { writeXapiStatements, type XapiStatementRow } from '../src/lake/xapi-statements.ts';
import { batchViews, speedViews } from '../src/views/catalogue.ts';
import type { TableDefinition } from '../src/views/columns.ts';
import { speedFacts } from '../src/views/engine.ts';
import { systemTables } from '../src/views/system-tables.ts';
import { batchTable, speedTable } from '../src/views/tables.ts';
import { calendar, nextId, scanAll } from './batch-support.ts';

/** Personal rows of some users (as ingest writes them with ULA_PII=store). */
export async function writePersonalRows(
  lake: ObjectStore,
  users: readonly { userId: string; originalUserId: string | null }[],
  at: string,
) {
  const rows: PersonalDataRow[] = users.flatMap((u, i) =>
    [0, 1].map((k) => ({
      user_id: u.userId,
      original_user_id: u.originalUserId,
      event_id: nextId(),
      event_type: k === 0 ? 'CREATE_PROFILE' : 'UPDATE_PROFILE',
      event_time: new Date(Date.parse(at) + (i * 2 + k) * 600_000),
      ingest_time: new Date(Date.parse(at) + (i * 2 + k) * 600_000 + 1000),
      fields: JSON.stringify({ email: `${u.originalUserId ?? u.userId}@uni.example`, full_name: 'A Name' }),
    })),
  );
  await writePersonalData(lake, rows);
}

/** One xAPI statement per user and hour given (the actor mapped to the user id). */
export async function writeStatements(lake: ObjectStore, users: readonly string[], times: readonly string[]) {
  const rows: XapiStatementRow[] = users.flatMap((user) =>
    times.map((time) => {
      const id = nextId();
      return {
        statement_id: id,
        verb: 'http://adlnet.gov/expapi/verbs/completed',
        activity_type: '',
        object_id: 'https://lms.example/course/1',
        user_id: user,
        registration: null,
        rule: null,
        event_ids: '',
        event_types: '',
        statement_time: new Date(time),
        stored: new Date(time),
        version: '1.0.3',
        statement: JSON.stringify({ id, actor: { account: { name: user } } }),
      };
    }),
  );
  await writeXapiStatements(lake, rows);
}

/** Stores every speed fact of the events (as the speed function would have, before their TTL). */
export async function writeSpeedFacts(store: ViewStore, events: readonly LmsEvent[]) {
  const context = { calendar };
  await store.ensureTables(speedViews.map(speedTable));
  for (const view of speedViews) {
    const rows = events.flatMap((e) =>
      view.sources.includes(e.category) ? speedFacts(view, e, context) : [],
    );
    await store.upsert(speedTable(view), rows);
  }
}

/** Every stored table: batch views, speed views, system tables. */
export const everyTable = (): TableDefinition[] => [
  ...batchViews.filter((v) => !v.intermediate).map(batchTable),
  ...speedViews.map(speedTable),
  ...systemTables,
];

export { scanAll };

/** Views rows holding any of the needles in any column, as `table: row`. */
export async function viewRowsHolding(store: ViewStore, needles: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const table of everyTable()) {
    for (const row of await scanAll(store, table)) {
      const text = JSON.stringify(row);
      if (needles.some((n) => text.includes(n))) out.push(`${table.name}: ${text}`);
    }
  }
  return out;
}

/** Lake objects whose content (Parquet rows, gunzipped state, text) holds any of the needles. */
export async function lakeObjectsHolding(lake: ObjectStore, needles: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const { key } of await lake.list('')) {
    const bytes = await lake.get(key);
    if (!bytes) continue;
    let text: string;
    if (key.endsWith('.parquet')) {
      const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      const rows = await parquetReadObjects({ file });
      text = JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    } else if (key.endsWith('.gz')) text = gunzipSync(bytes).toString('latin1');
    else text = Buffer.from(bytes).toString('utf8');
    if (needles.some((n) => text.includes(n))) out.push(key);
  }
  return out;
}

/** Thrown by the crashing stores. */
export class Crash extends Error {}

/**
 * A process that dies at its `crashAt`-th write (a put or delete of the lake, any write of the view store,
 * counted together): that write and every later call, reads included, throw. `crashAt` 0: never.
 */
export class CrashingProcess {
  writes = 0;
  crashed = false;
  /** The write numbers of the erasure journal's puts (one after the survey and after each step). */
  readonly journalWrites: number[] = [];
  /** Calls started before the crash and still running (a dead process's last writes land or not, before a rerun). */
  private readonly pending = new Set<Promise<unknown>>();

  /** Waits for the calls in flight, as a rerun starts only once the crashed process is gone. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private track<T>(call: Promise<T>): Promise<T> {
    this.pending.add(call);
    const done = () => this.pending.delete(call);
    call.then(done, done);
    return call;
  }
  constructor(readonly crashAt = 0) {}

  private guard(write: boolean) {
    if (this.crashed) throw new Crash('the process is gone');
    if (!write) return;
    this.writes++;
    if (this.crashAt > 0 && this.writes === this.crashAt) {
      this.crashed = true;
      throw new Crash(`crash at write #${this.writes}`);
    }
  }

  lake(inner: ObjectStore): ObjectStore {
    const run = async <T>(write: boolean, call: () => Promise<T>): Promise<T> => {
      this.guard(write);
      return this.track(call());
    };
    return {
      put: (key, body, type) =>
        run(true, () => {
          if (key.startsWith('audit/erasure_pending/')) this.journalWrites.push(this.writes);
          return inner.put(key, body, type);
        }),
      get: (key) => run(false, () => inner.get(key)),
      list: (prefix): Promise<ObjectInfo[]> => run(false, () => inner.list(prefix)),
      delete: (key) => run(true, () => inner.delete(key)),
      health: () => run(false, () => inner.health()),
      uri: (key) => inner.uri(key),
    };
  }

  views(inner: ViewStore): ViewStore {
    const run = async <T>(write: boolean, call: () => Promise<T>): Promise<T> => {
      this.guard(write);
      return call();
    };
    return {
      ensureTables: (t) => run(false, () => inner.ensureTables(t)),
      upsert: (t, rows, o) => run(true, () => inner.upsert(t, rows, o)),
      deletePartitions: (t, p) => run(true, () => inner.deletePartitions(t, p)),
      deleteRows: (t, k) => run(true, () => inner.deleteRows(t, k)),
      replacePartitions: (t, p, rows, o) => run(true, () => inner.replacePartitions(t, p, rows, o)),
      readPartition: (t, p, o) => run(false, () => inner.readPartition(t, p, o)),
      readPartitions: (t, p) => run(false, () => inner.readPartitions(t, p)),
      scan: (t, o) => run(false, () => inner.scan(t, o)),
      speedGroups: (t, w) => run(false, () => inner.speedGroups(t, w)),
      health: () => run(false, () => inner.health()),
      close: () => inner.close(),
    };
  }
}
