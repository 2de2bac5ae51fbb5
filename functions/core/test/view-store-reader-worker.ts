// A reader on its own SQLite connection and thread (like the serving process reading the batch job's
// file): reads one partition in a tight loop and records what it saw until told to stop.
import { workerData } from 'node:worker_threads';
import { SqliteViewStore } from '../src/adapters/sqlite.ts';
import type { Row, TableDefinition } from '../src/views/columns.ts';
import { recordRead, slot } from './replace-support.ts';

const { file, table, partition, shared } = workerData as {
  file: string;
  table: TableDefinition;
  partition: Row;
  shared: SharedArrayBuffer;
};
const state = new Int32Array(shared);
const store = new SqliteViewStore(file);
try {
  let previous: number | undefined;
  while (Atomics.load(state, slot.stop) === 0) {
    previous = recordRead(state, await store.readPartition(table, partition), previous);
  }
} finally {
  await store.close();
}
