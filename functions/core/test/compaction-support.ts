/**
 * Helpers for the lake compaction tests: a lake written as ingest writes it under load (many small files
 * per UTC hour, several categories, events on hour boundaries, the same event id in several files with
 * different ingest times), the expectation computed from the events written (never from the code under
 * test), ObjectStore wrappers that fail or crash at a chosen call, and a reader of the lake's state.
 */
import { expect } from 'vitest';
import type { ObjectInfo, ObjectStore } from '../src/adapters/object-store.ts';
import type { LmsEvent } from '../src/events/envelope.ts';
import { decodeRawParquet } from '../src/lake/parquet.ts';
import { parseRawKey, rawPrefix } from '../src/lake/paths.ts';
import { groupRawEvents, writeRawGroup } from '../src/lake/raw-lake.ts';
import type { RawEventRow } from '../src/lake/raw-schema.ts';
import { prng } from './batch-oracle.ts';
import { ev } from './batch-support.ts';

/** `category/date/hour` of a raw key. */
export const partitionOf = (key: string): string => {
  const p = parseRawKey(key);
  if (!p) throw new Error(`not a raw key: ${key}`);
  return `${p.category}/${p.date}/${p.hour}`;
};

/** Per partition, per event id: the lowest ingest time it was written with, and its event time. */
export type Expected = Map<string, Map<string, { ingestMs: number; eventMs: number }>>;

export interface SmallFilesSpec {
  seed: number;
  /** UTC date of the events. */
  date: string;
  /** UTC hours (0-23) holding events. */
  hours: number[];
  /** Event types, one per category wanted. */
  types: string[];
  /** Distinct events per (type, hour). */
  perHour: number;
  /** Events per write at most (a write is split by category and hour into files, as ingest does). */
  maxPerWrite: number;
  /** Share of writes that also carry events already written (retries, redeliveries). */
  duplicateShare?: number;
  /** Unique id namespace (tests that share a lake, e.g. S3, must not share ids). */
  idPrefix?: string;
}

const dataOf = (type: string, r: ReturnType<typeof prng>): Record<string, unknown> => {
  switch (type) {
    case 'LOGIN':
      return { session_id: `s-${r.int(1, 1e9)}` };
    case 'VIDEO_WATCHED':
      return { course_id: `C${r.int(1, 5)}`, video_id: `V${r.int(1, 20)}`, watch_duration: r.int(1, 900) };
    case 'COURSE_VIEW':
      return { course_id: `C${r.int(1, 5)}` };
    default:
      return { notification_id: `N${r.int(1, 1e6)}` };
  }
};

/** The events of a spec: one at the first and one at the last millisecond of each hour, the rest spread. */
export function smallFilesEvents(spec: SmallFilesSpec): LmsEvent[] {
  const r = prng(spec.seed);
  const events: LmsEvent[] = [];
  let n = 0;
  for (const type of spec.types) {
    for (const hour of spec.hours) {
      const start = Date.parse(`${spec.date}T${String(hour).padStart(2, '0')}:00:00.000Z`);
      for (let i = 0; i < spec.perHour; i++) {
        const ms = i === 0 ? start : i === 1 ? start + 3_599_999 : start + r.int(0, 3_599_999);
        const id = `${spec.idPrefix ?? '0195aaaa'}-0000-7000-8000-${(++n).toString(16).padStart(12, '0')}`;
        const user = `SV${String(r.int(1, 40)).padStart(3, '0')}`;
        events.push(ev(type, new Date(ms).toISOString(), user, dataOf(type, r), { id }));
      }
    }
  }
  return events;
}

/**
 * Writes the spec's events in small writes of shuffled events (each write's files get an ingest time of
 * their own, not in write order), some writes repeating earlier events. Returns the expectation.
 */
export async function writeSmallFiles(
  lake: ObjectStore,
  spec: SmallFilesSpec,
  events: readonly LmsEvent[] = smallFilesEvents(spec),
): Promise<{ expected: Expected; keys: string[]; events: LmsEvent[] }> {
  const r = prng(spec.seed + 1);
  const shuffled = [...events];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const writes: LmsEvent[][] = [];
  const written: LmsEvent[] = [];
  for (let i = 0; i < shuffled.length; ) {
    const size = r.int(1, spec.maxPerWrite);
    const fresh = shuffled.slice(i, i + size);
    i += size;
    const write = [...fresh];
    if (written.length > 0 && r.chance(spec.duplicateShare ?? 0.3)) {
      const ids = new Set(write.map((e) => e.id));
      for (let k = r.int(1, 3); k > 0; k--) {
        const again = written[r.int(0, written.length - 1)]!;
        if (!ids.has(again.id)) {
          ids.add(again.id);
          write.push(again);
        }
      }
    }
    written.push(...fresh);
    writes.push(write);
  }
  // Ingest times are a permutation of the writes: a duplicate's earliest copy is not always the first file.
  const order = writes.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const base = Date.parse(`${spec.date}T00:00:00Z`) + 86_400_000;
  // The files written: a write's events split by (category, UTC hour), deduplicated. A file is named by
  // its set of ids (docs/ingest.md, "Lake layout"), so a later write of the same set replaces it.
  const files = new Map<string, { partition: string; events: LmsEvent[]; ingestMs: number }>();
  const keys = new Set<string>();
  for (let w = 0; w < writes.length; w++) {
    const ingestMs = base + order[w]! * 1000;
    const byPartition = new Map<string, LmsEvent[]>();
    for (const e of writes[w]!) {
      const p = `${e.category}/${e.time.slice(0, 10)}/${e.time.slice(11, 13)}`;
      byPartition.set(p, [...(byPartition.get(p) ?? []), e]);
    }
    for (const [partition, inFile] of byPartition)
      files.set(
        `${partition}|${inFile
          .map((e) => e.id)
          .sort()
          .join(',')}`,
        { partition, events: inFile, ingestMs },
      );
    for (const group of groupRawEvents(writes[w]!).values()) {
      keys.add((await writeRawGroup(lake, group, new Date(ingestMs))).key);
    }
  }
  const expected: Expected = new Map();
  for (const { partition, events: inFile, ingestMs } of files.values()) {
    let ids = expected.get(partition);
    if (!ids) {
      ids = new Map();
      expected.set(partition, ids);
    }
    for (const e of inFile) {
      const before = ids.get(e.id);
      if (!before || ingestMs < before.ingestMs) ids.set(e.id, { ingestMs, eventMs: Date.parse(e.time) });
    }
  }
  return { expected, keys: [...keys], events: [...events] };
}

export interface LakeFile {
  key: string;
  bytes: Uint8Array;
  rows: RawEventRow[];
}

/** Every raw file of the lake, decoded, grouped by partition. */
export async function lakeState(lake: ObjectStore): Promise<Map<string, LakeFile[]>> {
  const out = new Map<string, LakeFile[]>();
  for (const o of await lake.list(rawPrefix)) {
    const bytes = await lake.get(o.key);
    if (!bytes) continue;
    const files = out.get(partitionOf(o.key)) ?? [];
    files.push({ key: o.key, bytes, rows: await decodeRawParquet(bytes) });
    out.set(partitionOf(o.key), files);
  }
  return out;
}

/** Distinct event ids per partition of a lake state. */
export const distinctIds = (state: Map<string, LakeFile[]>): Map<string, Set<string>> =>
  new Map([...state].map(([p, files]) => [p, new Set(files.flatMap((f) => f.rows.map((r) => r.event_id)))]));

/** Keys and bytes of a lake state (any table's), for comparing two states exactly. */
export const fingerprint = (
  state: ReadonlyMap<string, readonly { key: string; bytes: Uint8Array }[]>,
): Record<string, string> =>
  Object.fromEntries(
    [...state.values()]
      .flat()
      .map((f) => [f.key, Buffer.from(f.bytes).toString('base64')] as const)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );

/** Every expected event is in its partition (distinct ids; no id that was never written). */
export function expectNothingLost(state: Map<string, LakeFile[]>, expected: Expected) {
  const ids = distinctIds(state);
  for (const [p, want] of expected)
    expect([...(ids.get(p) ?? [])].sort(), p).toEqual([...want.keys()].sort());
  expect([...ids.keys()].sort()).toEqual([...expected.keys()].sort());
}

/** A compacted partition: one file, one row per event, sorted by event time, the earliest ingest kept. */
export function expectCompacted(
  files: LakeFile[] | undefined,
  want: Map<string, { ingestMs: number; eventMs: number }>,
) {
  expect(files).toHaveLength(1);
  const rows = files![0]!.rows;
  expect(rows).toHaveLength(want.size);
  expect(new Set(rows.map((r) => r.event_id)).size).toBe(want.size);
  for (let i = 1; i < rows.length; i++)
    expect(rows[i]!.event_time.getTime()).toBeGreaterThanOrEqual(rows[i - 1]!.event_time.getTime());
  for (const row of rows) {
    expect(row.ingest_time.getTime(), row.event_id).toBe(want.get(row.event_id)!.ingestMs);
    expect(row.event_time.getTime()).toBe(want.get(row.event_id)!.eventMs);
  }
}

export type Op = 'list' | 'get' | 'put' | 'delete';

/** The failure injected: the `n`th call of `op` throws before reaching the store, or (`after`) once done. */
export interface Fault {
  op: Op;
  n: number;
  after?: boolean;
}

export class InjectedFault extends Error {}

/**
 * An ObjectStore that fails one call and then behaves like a crashed process: every later call throws.
 * Calls already started reach the store; `settled()` waits for them (a test checks the lake afterwards).
 */
export class FaultyStore implements ObjectStore {
  readonly calls: Record<Op, number> = { list: 0, get: 0, put: 0, delete: 0 };
  fired = false;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    readonly inner: ObjectStore,
    private readonly fault?: Fault,
  ) {}

  private call<T>(op: Op, run: () => Promise<T>): Promise<T> {
    if (this.fired) return Promise.reject(new InjectedFault(`crashed before ${op}`));
    const n = ++this.calls[op];
    const hit = this.fault?.op === op && this.fault.n === n;
    if (hit && !this.fault!.after) {
      this.fired = true;
      return Promise.reject(new InjectedFault(`${op} #${n} failed`));
    }
    const done = run();
    this.pending.add(done);
    done.then(
      () => this.pending.delete(done),
      () => this.pending.delete(done),
    );
    if (!hit) return done;
    this.fired = true;
    return done.then(() => {
      throw new InjectedFault(`crashed after ${op} #${n}`);
    });
  }

  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  put(key: string, body: Uint8Array, contentType?: string): Promise<void> {
    return this.call('put', () => this.inner.put(key, body, contentType));
  }
  get(key: string): Promise<Uint8Array | undefined> {
    return this.call('get', () => this.inner.get(key));
  }
  list(prefix: string): Promise<ObjectInfo[]> {
    return this.call('list', () => this.inner.list(prefix));
  }
  delete(key: string): Promise<void> {
    return this.call('delete', () => this.inner.delete(key));
  }
  health(): Promise<void> {
    return this.inner.health();
  }
  uri(key: string): string {
    return this.inner.uri(key);
  }
}

/** An ObjectStore passing every call through, with hooks tests override. */
export class HookedStore implements ObjectStore {
  constructor(readonly inner: ObjectStore) {}
  put(key: string, body: Uint8Array, contentType?: string): Promise<void> {
    return this.inner.put(key, body, contentType);
  }
  get(key: string): Promise<Uint8Array | undefined> {
    return this.inner.get(key);
  }
  list(prefix: string): Promise<ObjectInfo[]> {
    return this.inner.list(prefix);
  }
  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }
  health(): Promise<void> {
    return this.inner.health();
  }
  uri(key: string): string {
    return this.inner.uri(key);
  }
}

/** The calls `crashAtEveryCall` fails: each kind of store call, before it reaches the store or once done. */
export const crashCases: [Op, boolean][] = [
  ['list', false],
  ['get', false],
  ['put', false],
  ['put', true],
  ['delete', false],
  ['delete', true],
];

/**
 * One table's compaction under crashes: the lake before compaction (copied fresh for each run), how to run
 * the compaction and read the table's state, what must hold after a crash and after the rerun, and the
 * fingerprint of an uninterrupted run's result.
 */
export interface CrashScenario<
  State extends ReadonlyMap<string, readonly { key: string; bytes: Uint8Array }[]>,
> {
  copy(): Promise<ObjectStore>;
  compact(lake: ObjectStore): Promise<unknown>;
  state(lake: ObjectStore): Promise<State>;
  /** Every expected row is still there (after a crash, old and new files may both hold it). */
  expectNothingLost(state: State): void;
  /** Every partition compacted: one file, one row per id. */
  expectCompacted(state: State): void;
  reference: Record<string, string>;
}

/**
 * Fails call n of `op` (before it reaches the store, or once it completed) for n = 1, 2, … until a run makes
 * fewer such calls: after each crash nothing is lost and the clean rerun writes the reference bytes; the run
 * that was not hit wrote them too. Returns the number of crashes injected.
 */
export async function crashAtEveryCall<
  State extends ReadonlyMap<string, readonly { key: string; bytes: Uint8Array }[]>,
>(scenario: CrashScenario<State>, op: Op, after: boolean): Promise<number> {
  for (let n = 1; ; n++) {
    const inner = await scenario.copy();
    const lake = new FaultyStore(inner, { op, n, after });
    const outcome = await scenario.compact(lake).then(
      () => undefined,
      (error: unknown) => error,
    );
    await lake.settled();
    if (!lake.fired) {
      // The run made fewer than n such calls: it succeeded untouched.
      expect(outcome).toBeUndefined();
      expect(fingerprint(await scenario.state(inner))).toEqual(scenario.reference);
      return n - 1;
    }
    expect(outcome, `${op} #${n}`).toBeInstanceOf(InjectedFault);
    scenario.expectNothingLost(await scenario.state(inner));
    await scenario.compact(inner);
    const state = await scenario.state(inner);
    scenario.expectCompacted(state);
    expect(fingerprint(state), `${op} #${n}`).toEqual(scenario.reference);
  }
}

/**
 * A crash at the first delete: exactly one partition holds its old files plus the compacted one, no file was
 * deleted anywhere, nothing is lost; the rerun writes the reference bytes.
 */
export async function crashBeforeDeletes<
  State extends ReadonlyMap<string, readonly { key: string; bytes: Uint8Array }[]>,
>(scenario: CrashScenario<State>): Promise<void> {
  const inner = await scenario.copy();
  const before = await scenario.state(inner);
  const lake = new FaultyStore(inner, { op: 'delete', n: 1 });
  await expect(scenario.compact(lake)).rejects.toThrow(InjectedFault);
  await lake.settled();
  const mid = await scenario.state(inner);
  expect([...mid].filter(([p, files]) => files.length === before.get(p)!.length + 1)).toHaveLength(1);
  for (const [p, files] of before)
    for (const f of files) expect(mid.get(p)!.map((m) => m.key)).toContain(f.key);
  scenario.expectNothingLost(mid);
  await scenario.compact(inner);
  expect(fingerprint(await scenario.state(inner))).toEqual(scenario.reference);
}
