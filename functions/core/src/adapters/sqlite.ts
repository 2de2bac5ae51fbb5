import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Row, TableDefinition, Value } from '../views/columns.ts';
import type { SpeedGroup } from '../views/engine.ts';
import { sqliteCreateTable } from '../views/tables.ts';
import type { ViewStore } from './view-store.ts';

type Db = InstanceType<typeof Database>;
type Statement = Database.Statement<unknown[], unknown>;

const expiresAt = '_expires_at';
/** How long a connection waits for another's lock (busy timeout), and for the switch to WAL. */
const busyTimeoutMs = 120_000;
const purgeEveryMs = 60_000;
/** Never written: Atomics.wait on it is a synchronous sleep. */
const pauseCell = new Int32Array(new SharedArrayBuffer(4));
const q = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * The ViewStore port on one SQLite file (embedded mode). Same semantics as the Cassandra store: upserts
 * replace whole rows, TTLs are emulated with an `_expires_at` column (rows past it are invisible and
 * purged now and then), dates are TEXT 'YYYY-MM-DD' and timestamps INTEGER epoch ms.
 */
export class SqliteViewStore implements ViewStore {
  readonly db: Db;
  private readonly statements = new Map<string, Statement>();
  private readonly lastPurge = new Map<string, number>();
  /** The clock, replaceable in tests of TTL behaviour. */
  now: () => number = Date.now;

  constructor(file: string) {
    this.db = new Database(file);
    // Batch jobs run side by side (one process each, like JobSink pods) and write whole views in one
    // transaction: a writer waits for the other's transaction instead of failing with SQLITE_BUSY.
    this.db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    switchToWal(this.db);
    this.db.pragma('synchronous = NORMAL');
  }

  async ensureTables(tables: readonly TableDefinition[]): Promise<void> {
    const create = this.db.transaction(() => {
      for (const table of tables) {
        this.db.exec(sqliteCreateTable(table));
        const columns = this.db.prepare(`PRAGMA table_info(${q(table.name)})`).all() as { name: string }[];
        const names = new Set(columns.map((c) => c.name));
        // Any table may get a per-write TTL (as in Cassandra), so every table carries the expiry column.
        if (!names.has(expiresAt))
          this.db.exec(`ALTER TABLE ${q(table.name)} ADD COLUMN ${expiresAt} INTEGER`);
        // Tables with a TTL (the speed facts) are purged every minute: without an index each purge read
        // the whole table, and a soak of weeks spent more time purging than writing.
        if (table.ttlSeconds)
          this.db.exec(
            `CREATE INDEX IF NOT EXISTS ${q(`${table.name}__expires`)} ON ${q(table.name)} (${expiresAt}) WHERE ${expiresAt} IS NOT NULL`,
          );
        for (const c of table.columns) {
          if (!names.has(c.name))
            throw new Error(
              `SQLite table ${table.name} lacks column ${c.name}: delete ${this.db.name} to rebuild the embedded views`,
            );
        }
      }
    });
    // BEGIN IMMEDIATE: the write lock is taken first, waiting under the busy timeout. A deferred
    // transaction read the schema first (CREATE TABLE IF NOT EXISTS of an existing table) and then had to
    // upgrade to a writer, which SQLite refuses at once with SQLITE_BUSY when another process writes.
    create.immediate();
    this.statements.clear();
  }

  async upsert(
    table: TableDefinition,
    rows: readonly Row[],
    options: { ttlSeconds?: number } = {},
  ): Promise<void> {
    if (rows.length === 0) return;
    const insert = this.inserter(table, options);
    this.db.transaction(() => insert(rows)).immediate();
    this.purgeIfDue(table);
  }

  async deletePartitions(table: TableDefinition, partitions: readonly Row[]): Promise<void> {
    const remove = this.partitionRemover(table);
    const run = this.db.transaction(() => {
      for (const p of partitions) remove(p);
    });
    run.immediate();
  }

  async deleteRows(table: TableDefinition, keys: readonly Row[]): Promise<void> {
    const columns = [...table.partitionKey, ...table.clustering.map((c) => c.name)];
    const remove = this.prepare(
      `DELETE FROM ${q(table.name)} WHERE ${columns.map((k) => `${q(k)} = ?`).join(' AND ')}`,
    );
    this.db
      .transaction(() => {
        for (const key of keys) remove.run(...columns.map((k) => toSqlite(key[k])));
      })
      .immediate();
  }

  /**
   * One transaction deletes the partitions and inserts the rows: in WAL mode, readers on other
   * connections (the serving process) keep reading the last committed snapshot until it commits, so
   * they see the old partitions or the new ones, never an empty or half-written one.
   */
  async replacePartitions(
    table: TableDefinition,
    partitions: readonly Row[],
    rows: readonly Row[],
    options: { ttlSeconds?: number } = {},
  ): Promise<void> {
    const identity = (row: Row) => JSON.stringify(partitionParams(table, row));
    const replaced = new Set(partitions.map(identity));
    for (const row of rows) {
      if (!replaced.has(identity(row)))
        throw new Error(
          `replacePartitions on ${table.name}: row ${JSON.stringify(row)} is outside the partitions replaced`,
        );
    }
    const remove = this.partitionRemover(table);
    const insert = this.inserter(table, options);
    this.db
      .transaction(() => {
        for (const p of partitions) remove(p);
        insert(rows);
      })
      .immediate();
    this.purgeIfDue(table);
  }

  async readPartition(
    table: TableDefinition,
    partition: Row,
    options: { from?: Value; to?: Value; limit?: number; descending?: boolean } = {},
  ): Promise<Row[]> {
    const conditions = table.partitionKey.map((k) => `${q(k)} = ?`);
    const params: unknown[] = partitionParams(table, partition);
    const first = table.clustering[0];
    if ((options.from !== undefined || options.to !== undefined) && !first)
      throw new Error(`table ${table.name} has no clustering column to bound a read on`);
    if (first && options.from !== undefined) {
      conditions.push(`${q(first.name)} >= ?`);
      params.push(toSqlite(options.from));
    }
    if (first && options.to !== undefined) {
      conditions.push(`${q(first.name)} < ?`);
      params.push(toSqlite(options.to));
    }
    conditions.push(`(${expiresAt} IS NULL OR ${expiresAt} > ?)`);
    params.push(this.now());
    // Same as Cassandra: the declared clustering order, or its reverse when the first column is asked
    // to go the other way.
    const reverse =
      first !== undefined &&
      options.descending !== undefined &&
      options.descending !== (first.order === 'DESC');
    const order = table.clustering
      .map((c) => `${q(c.name)} ${(c.order === 'DESC') !== reverse ? 'DESC' : 'ASC'}`)
      .join(', ');
    let sql = `SELECT ${table.columns.map((c) => q(c.name)).join(', ')} FROM ${q(table.name)} WHERE ${conditions.join(' AND ')}`;
    if (order) sql += ` ORDER BY ${order}`;
    if (options.limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(options.limit);
    }
    return (this.prepare(sql).all(...params) as Row[]).map((r) => fromSqlite(table, r));
  }

  async readPartitions(table: TableDefinition, partitions: readonly Row[]): Promise<Row[]> {
    const keys = table.partitionKey.map(q).join(', ');
    const tuple = `(${table.partitionKey.map(() => '?').join(', ')})`;
    // A fixed number of partitions per query (the last chunk repeats its last partition), so one statement
    // is prepared per table, not one per count.
    const sql = `SELECT ${table.columns.map((c) => q(c.name)).join(', ')} FROM ${q(table.name)} WHERE (${keys}) IN (VALUES ${Array.from({ length: partitionsPerQuery }, () => tuple).join(', ')}) AND (${expiresAt} IS NULL OR ${expiresAt} > ?)`;
    const statement = this.prepare(sql);
    const rows: Row[] = [];
    for (let start = 0; start < partitions.length; start += partitionsPerQuery) {
      const chunk = partitions.slice(start, start + partitionsPerQuery);
      const params: unknown[] = [];
      for (let i = 0; i < partitionsPerQuery; i++)
        params.push(...partitionParams(table, chunk[Math.min(i, chunk.length - 1)]!));
      for (const row of statement.all(...params, this.now()) as Row[]) rows.push(fromSqlite(table, row));
    }
    return rows;
  }

  async scan(
    table: TableDefinition,
    options: { limit?: number; pageState?: string } = {},
  ): Promise<{ rows: Row[]; pageState?: string }> {
    const limit = options.limit ?? 1000;
    const keys = [...table.partitionKey, ...table.clustering.map((c) => c.name)];
    const conditions = [`(${expiresAt} IS NULL OR ${expiresAt} > ?)`];
    const params: unknown[] = [this.now()];
    if (options.pageState !== undefined) {
      // Keyset paging: the page state is the primary key of the last row returned.
      const after = JSON.parse(Buffer.from(options.pageState, 'base64url').toString('utf8')) as unknown[];
      if (!Array.isArray(after) || after.length !== keys.length) throw new Error('invalid page state');
      conditions.push(`(${keys.map(q).join(', ')}) > (${keys.map(() => '?').join(', ')})`);
      params.push(...after);
    }
    const sql = `SELECT ${table.columns.map((c) => q(c.name)).join(', ')} FROM ${q(table.name)} WHERE ${conditions.join(' AND ')} ORDER BY ${keys.map(q).join(', ')} LIMIT ?`;
    const raw = this.prepare(sql).all(...params, limit + 1) as Row[];
    const more = raw.length > limit;
    const page = raw.slice(0, limit);
    const rows = page.map((r) => fromSqlite(table, r));
    const last = page.at(-1);
    if (!more || !last) return { rows };
    const state = Buffer.from(JSON.stringify(keys.map((k) => last[k]))).toString('base64url');
    return { rows, pageState: state };
  }

  async speedGroups(table: TableDefinition, windowStart: number): Promise<SpeedGroup[]> {
    const keys = table.clustering.map((c) => c.name).filter((n) => n !== 'metric' && n !== 'member');
    const grouping = [...keys, 'metric'].map(q).join(', ');
    const sql = `SELECT ${grouping}, count(*) AS facts, total(value) AS total FROM ${q(table.name)} WHERE window_start = ? AND (${expiresAt} IS NULL OR ${expiresAt} > ?) GROUP BY ${grouping}`;
    const rows = this.prepare(sql).all(windowStart, this.now()) as Row[];
    return rows.map((r) => {
      const keyValues = fromSqlite(
        { ...table, columns: table.columns.filter((c) => keys.includes(c.name)) },
        r,
      );
      return {
        windowStart,
        keys: keyValues,
        metric: r['metric'] as string,
        facts: Number(r['facts']),
        total: Number(r['total']),
      };
    });
  }

  async health(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  /** Deletes expired rows of a table (at most once a minute per table). */
  purgeExpired(table: TableDefinition): number {
    this.lastPurge.set(table.name, this.now());
    return this.prepare(`DELETE FROM ${q(table.name)} WHERE ${expiresAt} <= ?`).run(this.now()).changes;
  }

  private purgeIfDue(table: TableDefinition) {
    if (this.now() - (this.lastPurge.get(table.name) ?? 0) >= purgeEveryMs) this.purgeExpired(table);
  }

  /** Inserts (or replaces) rows; the caller runs it inside a transaction. */
  private inserter(table: TableDefinition, options: { ttlSeconds?: number }): (rows: readonly Row[]) => void {
    const names = table.columns.map((c) => c.name);
    const insert = this.prepare(
      `INSERT OR REPLACE INTO ${q(table.name)} (${[...names, expiresAt].map(q).join(', ')}) VALUES (${[...names, expiresAt].map(() => '?').join(', ')})`,
    );
    const ttl = options.ttlSeconds ?? table.ttlSeconds;
    const expiry = ttl === undefined || ttl === 0 ? null : this.now() + ttl * 1000;
    const keyColumns = [...table.partitionKey, ...table.clustering.map((c) => c.name)];
    return (rows) => {
      for (const row of rows) {
        for (const k of keyColumns) {
          if (row[k] === null || row[k] === undefined)
            throw new Error(
              `upsert into ${table.name}: primary key column ${k} is null in ${JSON.stringify(row)}`,
            );
        }
        insert.run(...table.columns.map((c) => toSqlite(row[c.name])), expiry);
      }
    };
  }

  /** Deletes one partition's rows; the caller runs it inside a transaction. */
  private partitionRemover(table: TableDefinition): (partition: Row) => void {
    const where = table.partitionKey.map((k) => `${q(k)} = ?`).join(' AND ');
    const remove = this.prepare(`DELETE FROM ${q(table.name)} WHERE ${where}`);
    return (partition) => {
      remove.run(...partitionParams(table, partition));
    };
  }

  private prepare(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare<unknown[], unknown>(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

/**
 * `PRAGMA journal_mode = WAL`, retried while another connection holds the file. The busy timeout does not
 * cover it: on a file not yet in WAL mode the switch reads the header under a shared lock, then upgrades to
 * an exclusive lock to write the file-format bytes, and SQLite answers a lock upgrade from inside a read
 * transaction with SQLITE_BUSY at once instead of calling the busy handler (two connections each holding
 * a read lock and waiting for the other's would deadlock). So job processes opening a fresh file at the
 * same moment sometimes failed with "database is locked" (functions/core/test/sqlite-concurrent-open.test.ts:
 * 18 of 1,200 opens before this). Once one of them has switched the file, the others find it in WAL mode,
 * need no write, and the pragma succeeds.
 */
function switchToWal(db: Db): void {
  const deadline = Date.now() + busyTimeoutMs;
  for (let pauseMs = 2; ; pauseMs = Math.min(pauseMs * 2, 100)) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      const busy = error instanceof Database.SqliteError && error.code.startsWith('SQLITE_BUSY');
      if (!busy || Date.now() >= deadline) throw error;
      // A synchronous pause (the constructor is synchronous), jittered so the losers do not retry in step.
      Atomics.wait(pauseCell, 0, 0, pauseMs / 2 + Math.random() * pauseMs);
    }
  }
}

/** Opens (creating the folder) `<dataDir>/views.sqlite`; `:memory:` for throwaway stores. */
export function openSqliteViewStore(dataDir: string): SqliteViewStore {
  if (dataDir === ':memory:') return new SqliteViewStore(':memory:');
  mkdirSync(dataDir, { recursive: true });
  return new SqliteViewStore(join(dataDir, 'views.sqlite'));
}

/** Partitions per query of readPartitions. */
const partitionsPerQuery = 64;

const toSqlite = (value: Value | undefined): unknown =>
  value === undefined ? null : typeof value === 'boolean' ? (value ? 1 : 0) : value;

function partitionParams(table: TableDefinition, partition: Row): unknown[] {
  return table.partitionKey.map((k) => {
    const value = partition[k];
    if (value === undefined || value === null)
      throw new Error(`table ${table.name}: partition key ${k} is required`);
    return toSqlite(value);
  });
}

function fromSqlite(table: Pick<TableDefinition, 'columns'>, row: Row): Row {
  const out: Row = {};
  for (const c of table.columns) {
    const value = row[c.name];
    if (value === null || value === undefined) out[c.name] = null;
    else if (c.type === 'boolean') out[c.name] = Boolean(value);
    else if (c.type === 'text' || c.type === 'date') out[c.name] = String(value);
    else out[c.name] = Number(value);
  }
  return out;
}
