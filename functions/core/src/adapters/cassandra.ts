import cassandra from 'cassandra-driver';
import type { Config } from '../config.ts';
import type { ColumnType, Row, TableDefinition, Value } from '../views/columns.ts';
import type { SpeedGroup } from '../views/engine.ts';
import type { ViewStore } from './view-store.ts';

const { Client, types, errors } = cassandra;

/** Partition reads in flight at once in readPartitions (one request each). */
const partitionReadConcurrency = 64;
type CassandraClient = InstanceType<typeof Client>;

/** Tuning of the Cassandra view store; defaults suit one node and the batch writers. */
export interface CassandraStoreOptions {
  /** Statements in flight at once per `upsert`/`deletePartitions` call. */
  concurrency?: number;
  /** Attempts per statement on transient errors (timeouts, unavailable, no host) before failing. */
  attempts?: number;
  /** First retry delay in ms; doubled per attempt, with jitter. */
  backoffMs?: number;
}

type CassandraSettings = NonNullable<Config['cassandra']>;

/**
 * The ViewStore port on Apache Cassandra. Every statement is prepared and derived from the table
 * definition; reads name a partition; writes run with bounded concurrency and retry transient
 * failures with backoff, then throw (nothing is swallowed).
 */
export class CassandraViewStore implements ViewStore {
  readonly client: CassandraClient;
  readonly keyspace: string;
  private readonly concurrency: number;
  private readonly attempts: number;
  private readonly backoffMs: number;

  constructor(settings: CassandraSettings, options: CassandraStoreOptions = {}) {
    this.keyspace = settings.keyspace;
    this.concurrency = options.concurrency ?? 64;
    this.attempts = options.attempts ?? 5;
    this.backoffMs = options.backoffMs ?? 100;
    this.client = new Client({
      contactPoints: settings.contactPoints,
      localDataCenter: settings.localDataCenter,
      keyspace: settings.keyspace,
      ...(settings.username !== undefined
        ? { credentials: { username: settings.username, password: settings.password ?? '' } }
        : {}),
      queryOptions: { prepare: true, consistency: types.consistencies.localQuorum },
      socketOptions: { readTimeout: 12_000, connectTimeout: 5_000 },
      // Readers fan out to many partitions at once: more connections and in-flight requests per host
      // than the defaults (1 connection, 2048 requests), so bursts queue in Cassandra, not in the client.
      pooling: {
        coreConnectionsPerHost: { [types.distance.local]: 2, [types.distance.remote]: 1 },
        maxRequestsPerConnection: 8192,
      },
    });
  }

  async ensureTables(tables: readonly TableDefinition[]): Promise<void> {
    const result = await this.client.execute(
      'SELECT table_name, column_name FROM system_schema.columns WHERE keyspace_name = ?',
      [this.keyspace],
    );
    const existing = new Map<string, Set<string>>();
    for (const row of result.rows) {
      const name = row['table_name'] as string;
      const columns = existing.get(name) ?? new Set<string>();
      existing.set(name, columns);
      columns.add(row['column_name'] as string);
    }
    const missingTables = tables.filter((t) => !existing.has(t.name)).map((t) => t.name);
    const missingColumns = tables.flatMap((t) => {
      const columns = existing.get(t.name);
      if (!columns) return [];
      return t.columns.filter((c) => !columns.has(c.name)).map((c) => `${t.name}.${c.name}`);
    });
    if (missingTables.length > 0 || missingColumns.length > 0) {
      const parts = [
        ...(missingTables.length > 0 ? [`missing tables: ${missingTables.join(', ')}`] : []),
        ...(missingColumns.length > 0 ? [`missing columns: ${missingColumns.join(', ')}`] : []),
      ];
      throw new Error(
        `Cassandra keyspace ${this.keyspace} does not match the view declarations (${parts.join('; ')}). ` +
          'Apply cassandra/schema.cql (npm run schema regenerates it; the stack script applies it).',
      );
    }
  }

  async upsert(
    table: TableDefinition,
    rows: readonly Row[],
    options: { ttlSeconds?: number } = {},
  ): Promise<void> {
    if (rows.length === 0) return;
    const names = table.columns.map((c) => c.name);
    const withTtl = options.ttlSeconds !== undefined;
    const query =
      `INSERT INTO ${this.keyspace}.${table.name} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})` +
      (withTtl ? ' USING TTL ?' : '');
    await this.eachBounded(rows, async (row) => {
      for (const k of [...table.partitionKey, ...table.clustering.map((c) => c.name)]) {
        if (row[k] === null || row[k] === undefined)
          throw new Error(
            `upsert into ${table.name}: primary key column ${k} is null in ${JSON.stringify(row)}`,
          );
      }
      const params: unknown[] = table.columns.map((c) =>
        row[c.name] === undefined ? types.unset : toCassandra(c.type, row[c.name] ?? null),
      );
      if (withTtl) params.push(options.ttlSeconds);
      await this.run(query, params);
    });
  }

  async deletePartitions(table: TableDefinition, partitions: readonly Row[]): Promise<void> {
    const where = table.partitionKey.map((k) => `${k} = ?`).join(' AND ');
    const query = `DELETE FROM ${this.keyspace}.${table.name} WHERE ${where}`;
    await this.eachBounded(partitions, (partition) =>
      this.run(query, this.partitionParams(table, partition)),
    );
  }

  async deleteRows(table: TableDefinition, keys: readonly Row[]): Promise<void> {
    const columns = [...table.partitionKey, ...table.clustering.map((c) => c.name)];
    const remove = `DELETE FROM ${this.keyspace}.${table.name} WHERE ${columns.map((k) => `${k} = ?`).join(' AND ')}`;
    await this.eachBounded(keys, (key) =>
      this.run(
        remove,
        columns.map((k) => toCassandra(columnType(table, k), key[k] ?? null)),
      ),
    );
  }

  /**
   * Upserts the rows first, then deletes, by full primary key, the rows of the partitions that the new
   * rows do not overwrite (read back from each partition's key columns). A reader polling meanwhile sees
   * the old rows, then each key overwritten in place, then the stale keys going: never a missing day.
   * Why not one batch of the partition delete plus the inserts (Cassandra applies a single-partition
   * batch atomically): a day holds thousands of rows, far over batch_size_fail_threshold (50 KiB by
   * default), so a large day's batch would be refused. A failure anywhere leaves old and new rows mixed;
   * rerunning converges to the new rows.
   */
  async replacePartitions(
    table: TableDefinition,
    partitions: readonly Row[],
    rows: readonly Row[],
    options: { ttlSeconds?: number } = {},
  ): Promise<void> {
    const keyColumns = [...table.partitionKey, ...table.clustering.map((c) => c.name)];
    const identity = (row: Row, columns: readonly string[]) =>
      JSON.stringify(
        columns.map((k) => {
          const value = row[k];
          if (value === undefined || value === null)
            throw new Error(
              `replacePartitions on ${table.name}: key column ${k} is null in ${JSON.stringify(row)}`,
            );
          // The value as stored and read back, so '2026-03-01' and a read LocalDate, 5 and Long 5 agree.
          const type = columnType(table, k);
          return fromCassandraValue(type, toCassandra(type, value));
        }),
      );
    const replaced = new Set(partitions.map((p) => identity(p, table.partitionKey)));
    for (const row of rows) {
      if (!replaced.has(identity(row, table.partitionKey)))
        throw new Error(
          `replacePartitions on ${table.name}: row ${JSON.stringify(row)} is outside the partitions replaced`,
        );
    }
    await this.upsert(table, rows, options);
    const kept = new Set(rows.map((row) => identity(row, keyColumns)));
    const where = table.partitionKey.map((k) => `${k} = ?`).join(' AND ');
    const select = `SELECT ${keyColumns.join(', ')} FROM ${this.keyspace}.${table.name} WHERE ${where}`;
    const stale: Row[] = [];
    for (const partition of partitions) {
      await this.pages(select, this.partitionParams(table, partition), 5000, (stored) => {
        const row: Row = {};
        for (const k of keyColumns) row[k] = fromCassandraValue(columnType(table, k), stored[k]);
        if (!kept.has(identity(row, keyColumns))) stale.push(row);
      });
    }
    const remove = `DELETE FROM ${this.keyspace}.${table.name} WHERE ${keyColumns.map((k) => `${k} = ?`).join(' AND ')}`;
    await this.eachBounded(stale, (row) =>
      this.run(
        remove,
        keyColumns.map((k) => toCassandra(columnType(table, k), row[k] ?? null)),
      ),
    );
  }

  async readPartition(
    table: TableDefinition,
    partition: Row,
    options: { from?: Value; to?: Value; limit?: number; descending?: boolean } = {},
  ): Promise<Row[]> {
    const conditions = table.partitionKey.map((k) => `${k} = ?`);
    const params = this.partitionParams(table, partition);
    const first = table.clustering[0];
    if ((options.from !== undefined || options.to !== undefined) && !first)
      throw new Error(`table ${table.name} has no clustering column to bound a read on`);
    if (first) {
      const type = columnType(table, first.name);
      if (options.from !== undefined) {
        conditions.push(`${first.name} >= ?`);
        params.push(toCassandra(type, options.from));
      }
      if (options.to !== undefined) {
        conditions.push(`${first.name} < ?`);
        params.push(toCassandra(type, options.to));
      }
    }
    let query = `SELECT ${table.columns.map((c) => c.name).join(', ')} FROM ${this.keyspace}.${table.name} WHERE ${conditions.join(' AND ')}`;
    if (first && options.descending !== undefined) {
      // `descending` orders by the first clustering column; Cassandra reverses the whole clustering order.
      query += ` ORDER BY ${first.name} ${options.descending ? 'DESC' : 'ASC'}`;
    }
    if (options.limit !== undefined) {
      query += ' LIMIT ?';
      params.push(options.limit);
    }
    const rows: Row[] = [];
    await this.pages(query, params, options.limit ?? 5000, (row) => rows.push(fromCassandra(table, row)));
    return rows;
  }

  async readPartitions(table: TableDefinition, partitions: readonly Row[]): Promise<Row[]> {
    const rows: Row[] = [];
    let next = 0;
    const worker = async () => {
      while (next < partitions.length) rows.push(...(await this.readPartition(table, partitions[next++]!)));
    };
    await Promise.all(Array.from({ length: Math.min(partitionReadConcurrency, partitions.length) }, worker));
    return rows;
  }

  async scan(
    table: TableDefinition,
    options: { limit?: number; pageState?: string } = {},
  ): Promise<{ rows: Row[]; pageState?: string }> {
    const query = `SELECT ${table.columns.map((c) => c.name).join(', ')} FROM ${this.keyspace}.${table.name}`;
    const result = await this.run(query, [], {
      fetchSize: options.limit ?? 1000,
      ...(options.pageState !== undefined ? { pageState: options.pageState } : {}),
    });
    const rows = result.rows.map((r) => fromCassandra(table, r));
    return result.pageState ? { rows, pageState: result.pageState } : { rows };
  }

  async speedGroups(table: TableDefinition, windowStart: number): Promise<SpeedGroup[]> {
    const keys = speedKeys(table);
    const grouping = [...keys, 'metric'].join(', ');
    const query = `SELECT ${grouping}, count(*) AS facts, sum(value) AS total FROM ${this.keyspace}.${table.name} WHERE window_start = ? GROUP BY ${grouping}`;
    const groups: SpeedGroup[] = [];
    await this.pages(query, [new Date(windowStart)], 5000, (row) => {
      const keyValues: Row = {};
      for (const k of keys) keyValues[k] = fromCassandraValue(columnType(table, k), row[k]);
      groups.push({
        windowStart,
        keys: keyValues,
        metric: row['metric'] as string,
        facts: toNumber(row['facts']),
        total: toNumber(row['total']),
      });
    });
    return groups;
  }

  async health(): Promise<void> {
    await this.client.execute('SELECT release_version FROM system.local');
  }

  async close(): Promise<void> {
    await this.client.shutdown();
  }

  private partitionParams(table: TableDefinition, partition: Row): unknown[] {
    return table.partitionKey.map((k) => {
      const value = partition[k];
      if (value === undefined || value === null)
        throw new Error(`table ${table.name}: partition key ${k} is required`);
      return toCassandra(columnType(table, k), value);
    });
  }

  /** Reads every page of a query, handing rows over one at a time. */
  private async pages(
    query: string,
    params: unknown[],
    fetchSize: number,
    onRow: (row: cassandra.types.Row) => void,
  ): Promise<void> {
    let pageState: string | undefined;
    do {
      const result = await this.run(query, params, {
        fetchSize,
        ...(pageState !== undefined ? { pageState } : {}),
      });
      for (const row of result.rows) onRow(row);
      pageState = result.pageState ?? undefined;
    } while (pageState);
  }

  /** One statement, retried with exponential backoff on transient errors; throws after `attempts`. */
  private async run(
    query: string,
    params: unknown[],
    options: cassandra.QueryOptions = {},
  ): Promise<cassandra.types.ResultSet> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.client.execute(query, params, { prepare: true, ...options });
      } catch (error) {
        if (!isTransient(error) || attempt >= this.attempts) {
          const reason = error instanceof Error ? error.message : String(error);
          throw new Error(
            `Cassandra statement failed after ${attempt} attempt(s): ${reason} [${query.slice(0, 200)}]`,
            { cause: error },
          );
        }
        const delay = this.backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random());
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** Runs `work` over items with at most `concurrency` in flight; the first failure rejects. */
  private async eachBounded<T>(items: readonly T[], work: (item: T) => Promise<unknown>): Promise<void> {
    let next = 0;
    let failed: unknown;
    const worker = async () => {
      while (failed === undefined && next < items.length) {
        const item = items[next++] as T;
        try {
          await work(item);
        } catch (error) {
          failed ??= error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, items.length) }, worker));
    if (failed !== undefined) throw failed;
  }
}

export const openCassandraViewStore = (settings: CassandraSettings, options?: CassandraStoreOptions) =>
  new CassandraViewStore(settings, options);

/** Timeouts, unavailable replicas, overload and unreachable hosts are worth another attempt. */
export function isTransient(error: unknown): boolean {
  if (error instanceof errors.NoHostAvailableError || error instanceof errors.OperationTimedOutError)
    return true;
  if (error instanceof errors.ResponseError) {
    const codes = types.responseErrorCodes;
    return [
      codes.unavailableException,
      codes.overloaded,
      codes.isBootstrapping,
      codes.writeTimeout,
      codes.readTimeout,
      codes.truncateError,
    ].includes(error.code);
  }
  return false;
}

/** The grain key columns of a speed table: clustering columns before metric and member. */
export const speedKeys = (table: TableDefinition): string[] =>
  table.clustering.map((c) => c.name).filter((n) => n !== 'metric' && n !== 'member');

const columnType = (table: TableDefinition, name: string): ColumnType => {
  const column = table.columns.find((c) => c.name === name);
  if (!column) throw new Error(`table ${table.name} has no column ${name}`);
  return column.type;
};

const toNumber = (value: unknown): number => {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return value;
  if (value instanceof types.Long) return value.toNumber();
  return Number(value);
};

/** Domain value → driver value: epoch ms → Date, 'YYYY-MM-DD' → LocalDate, numbers → Long for bigint. */
export function toCassandra(type: ColumnType, value: Value): unknown {
  if (value === null) return null;
  switch (type) {
    case 'timestamp':
      return new Date(typeof value === 'number' ? value : Date.parse(String(value)));
    case 'date':
      return types.LocalDate.fromString(String(value));
    case 'bigint':
      return types.Long.fromNumber(Math.trunc(Number(value)));
    case 'int':
      return Math.trunc(Number(value));
    case 'double':
      return Number(value);
    case 'boolean':
      return Boolean(value);
    case 'text':
      return String(value);
  }
}

function fromCassandraValue(type: ColumnType, value: unknown): Value {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'timestamp':
      return (value as Date).getTime();
    case 'date':
      return (value as cassandra.types.LocalDate).toString();
    case 'bigint':
    case 'int':
    case 'double':
      return toNumber(value);
    case 'boolean':
      return Boolean(value);
    case 'text':
      return String(value);
  }
}

function fromCassandra(table: TableDefinition, row: cassandra.types.Row): Row {
  const out: Row = {};
  for (const c of table.columns) out[c.name] = fromCassandraValue(c.type, row[c.name]);
  return out;
}
