// One process of the SQLite multi-process test (sqlite-concurrent-open.test.ts), like a batch job
// starting beside others (one process each, as JobSink pods). Told a file, an instant and what to do, it
// spins until that instant, then works on the file through the real SqliteViewStore and reports to the
// parent whether anything failed:
// - `open`: open the (fresh) file, create the tables, write, read back;
// - `schema`: process 0 holds the write lock for a while (a job writing a view); the others open the
//   file, whose tables partly exist, and create the missing one (ensureTables), then write to it.
import { SqliteViewStore } from '../src/adapters/sqlite.ts';
import type { TableDefinition } from '../src/views/columns.ts';
import { dayRows, keys, replaceDay } from './replace-support.ts';

export interface Round {
  kind: 'open' | 'schema';
  round: number;
  file: string;
  /** Epoch ms at which every process of the round starts. */
  at: number;
  /** This process's place among them (its rows go to a day of its own). */
  index: number;
}

/** A second table, so ensureTables creates several, as a job does. */
export const otherTable: TableDefinition = { ...replaceDay, name: 'vs_concurrent_other' };
/** A table that the `schema` round's file lacks. */
export const newTable = (round: number): TableDefinition => ({ ...replaceDay, name: `vs_new_${round}` });
/** How long process 0 holds the write lock in a `schema` round. */
export const holdMs = 300;
export const dateOf = (index: number) => `2026-03-${String(10 + index).padStart(2, '0')}`;

const send = (message: unknown) =>
  new Promise<void>((resolve, reject) =>
    process.send?.(message, undefined, {}, (error) => (error ? reject(error) : resolve())),
  );

/** The error and the store's frame that threw it (which pragma or statement). */
const describe = (error: unknown) => {
  if (!(error instanceof Error)) return String(error);
  const frame = error.stack?.split('\n').find((line) => line.includes('sqlite.ts'));
  return `${error.name}: ${error.message}${frame ? ` (${frame.trim()})` : ''}`;
};

async function open(store: SqliteViewStore, { round, index }: Round) {
  await store.ensureTables([replaceDay, otherTable]);
  const date = dateOf(index);
  const rows = dayRows(date, keys('k', 200), round);
  await store.replacePartitions(replaceDay, [{ date }], rows);
  await store.upsert(otherTable, rows);
  const read = await store.readPartition(replaceDay, { date });
  if (read.length !== rows.length) throw new Error(`read ${read.length} rows back, wrote ${rows.length}`);
}

async function schema(store: SqliteViewStore, { round, index }: Round) {
  if (index === 0) {
    store.db.exec('BEGIN IMMEDIATE');
    store.db.prepare(`DELETE FROM ${replaceDay.name} WHERE date = ?`).run(dateOf(0));
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, holdMs);
    store.db.exec('COMMIT');
    return;
  }
  // Let process 0 take the lock first.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30);
  const table = newTable(round);
  await store.ensureTables([replaceDay, otherTable, table]);
  await store.upsert(table, dayRows(dateOf(index), keys('k', 50), round));
}

process.on('message', async (message: Round | 'exit') => {
  if (message === 'exit') {
    process.disconnect();
    return;
  }
  const { round, file, at, index } = message;
  while (Date.now() < at) {
    // The barrier: every process leaves this loop within the same millisecond or so.
  }
  let store: SqliteViewStore | undefined;
  try {
    store = new SqliteViewStore(file);
    await (message.kind === 'open' ? open : schema)(store, message);
    await store.close();
    await send({ round, index, error: null });
  } catch (error) {
    await store?.close().catch(() => undefined);
    await send({ round, index, error: describe(error) });
  }
});
await send('ready');
