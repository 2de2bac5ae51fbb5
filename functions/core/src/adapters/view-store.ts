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
  /**
   * Rows of one partition, in clustering order, optionally bounded on the first clustering column
   * (inclusive `from`, exclusive `to`) and limited.
   */
  readPartition(
    table: TableDefinition,
    partition: Row,
    options?: { from?: Row[string]; to?: Row[string]; limit?: number; descending?: boolean },
  ): Promise<Row[]>;
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
