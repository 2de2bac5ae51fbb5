import type { Row, TableDefinition } from '../views/columns.ts';
import type { SpeedGroup } from '../views/engine.ts';

/**
 * The views' storage port: Cassandra in production, SQLite when embedded. Every read names a partition
 * (no scans with filtering), except `scan`, kept for small tables (courses, students) and paged.
 */
export interface ViewStore {
  /** Creates missing tables (embedded); for Cassandra it checks that the tables exist. */
  ensureTables(tables: readonly TableDefinition[]): Promise<void>;
  /** Inserts or replaces rows (idempotent); `ttlSeconds` overrides the table default. */
  upsert(table: TableDefinition, rows: readonly Row[], options?: { ttlSeconds?: number }): Promise<void>;
  /** Deletes every row of the given partitions (e.g. stale rows of a recomputed day). */
  deletePartitions(table: TableDefinition, partitions: readonly Row[]): Promise<void>;
  /** Deletes single rows by their full primary key (other columns ignored; an absent key is no error). */
  deleteRows(table: TableDefinition, keys: readonly Row[]): Promise<void>;
  /**
   * Makes `rows` the whole content of the given partitions (a recomputed day): upserts them and removes
   * the partitions' rows whose primary key is not among them (stale keys). Every row must belong to one
   * of `partitions`; an empty `rows` empties them. Unlike `deletePartitions` then `upsert`, a concurrent
   * reader never sees a partition vanish or lose a key that `rows` keeps: per row key it sees the old row
   * or the new one. SQLite replaces the partitions in one transaction (a reader sees the old partitions
   * or the new ones, whole); Cassandra upserts first and deletes the stale keys after, so a reader may
   * briefly see the new rows next to stale ones, never a key missing that both versions hold.
   */
  replacePartitions(
    table: TableDefinition,
    partitions: readonly Row[],
    rows: readonly Row[],
    options?: { ttlSeconds?: number },
  ): Promise<void>;
  /**
   * Rows of one partition, in clustering order, optionally bounded on the first clustering column
   * (inclusive `from`, exclusive `to`) and limited.
   */
  readPartition(
    table: TableDefinition,
    partition: Row,
    options?: { from?: Row[string]; to?: Row[string]; limit?: number; descending?: boolean },
  ): Promise<Row[]>;
  /**
   * Every row of each of `partitions` (distinct; no order across them; an absent one adds nothing): SQLite reads
   * them in a few queries, Cassandra one partition per request, many at once (no IN across partitions).
   */
  readPartitions(table: TableDefinition, partitions: readonly Row[]): Promise<Row[]>;
  /** Every row of a small table, a page at a time. */
  scan(
    table: TableDefinition,
    options?: { limit?: number; pageState?: string },
  ): Promise<{ rows: Row[]; pageState?: string }>;
  /** Speed facts of one window grouped by grain and metric: fact counts and value totals. */
  speedGroups(table: TableDefinition, windowStart: number): Promise<SpeedGroup[]>;
  /** Throws when the store is unreachable (readiness, health). */
  health(): Promise<void>;
  close(): Promise<void>;
}
