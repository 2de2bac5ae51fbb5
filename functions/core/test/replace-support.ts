import type { Row, TableDefinition } from '../src/views/columns.ts';

/**
 * Shared by the replacePartitions tests (SQLite unit test, its reader worker, Cassandra integration
 * test): a daily table with two clustering columns, generated days, and what a polling reader records.
 */
export const replaceDay: TableDefinition = {
  name: 'vs_replace_day',
  doc: 'a daily view replaced while readers poll it',
  columns: [
    { name: 'date', type: 'date' },
    { name: 'course_id', type: 'text' },
    { name: 'user_id', type: 'text' },
    { name: 'generation', type: 'int' },
    { name: 'score', type: 'double' },
  ],
  partitionKey: ['date'],
  clustering: [
    { name: 'course_id', order: 'ASC' },
    { name: 'user_id', order: 'ASC' },
  ],
};

/** Keys that every version of a day holds (`k…`); other prefixes are added or dropped between versions. */
export const keptPrefix = 'k';

export const keys = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(6, '0')}`);

/** One row per user key, in a few courses, stamped with the generation (version) that wrote it. */
export const dayRows = (date: string, users: readonly string[], generation: number): Row[] =>
  users.map((user_id, i) => ({
    date,
    course_id: `C${i % 7}`,
    user_id,
    generation,
    score: generation + i / 1000,
  }));

/** Slots of the Int32Array a reader records into (shared with a worker thread as a SharedArrayBuffer). */
export const slot = {
  /** Set to 1 by the test to stop the readers. */
  stop: 0,
  reads: 1,
  /** Fewest rows of the partition seen by any read. */
  minRows: 2,
  /** Fewest `k…` rows seen by any read. */
  minKept: 3,
  /** Reads that saw fewer rows than the same reader's previous read. */
  shrinks: 4,
  /** Reads whose rows come from more than one generation. */
  mixed: 5,
  /** Reads that saw no row at all. */
  empty: 6,
} as const;
export const slotCount = 7;

export function newReadState(buffer: ArrayBufferLike = new SharedArrayBuffer(slotCount * 4)): Int32Array {
  const state = new Int32Array(buffer);
  state.fill(0);
  state[slot.minRows] = 2 ** 31 - 1;
  state[slot.minKept] = 2 ** 31 - 1;
  return state;
}

export interface ReadStats {
  reads: number;
  minRows: number;
  minKept: number;
  shrinks: number;
  mixed: number;
  empty: number;
}

export const readStats = (state: Int32Array): ReadStats => ({
  reads: Atomics.load(state, slot.reads),
  minRows: Atomics.load(state, slot.minRows),
  minKept: Atomics.load(state, slot.minKept),
  shrinks: Atomics.load(state, slot.shrinks),
  mixed: Atomics.load(state, slot.mixed),
  empty: Atomics.load(state, slot.empty),
});

/** Records one read of the partition; returns its row count (the reader's next `previous`). */
export function recordRead(state: Int32Array, rows: readonly Row[], previous: number | undefined): number {
  const kept = rows.filter((r) => String(r['user_id']).startsWith(keptPrefix)).length;
  const generations = new Set(rows.map((r) => r['generation']));
  // Only the reading thread writes the minima; Atomics so the test's thread reads whole values.
  if (rows.length < Atomics.load(state, slot.minRows)) Atomics.store(state, slot.minRows, rows.length);
  if (kept < Atomics.load(state, slot.minKept)) Atomics.store(state, slot.minKept, kept);
  if (previous !== undefined && rows.length < previous) Atomics.add(state, slot.shrinks, 1);
  if (generations.size > 1) Atomics.add(state, slot.mixed, 1);
  if (rows.length === 0) Atomics.add(state, slot.empty, 1);
  Atomics.add(state, slot.reads, 1);
  return rows.length;
}
