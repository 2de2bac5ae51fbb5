/**
 * Trino tables over the raw lake: schema `lake.raw`, one external table per category partitioned by
 * `date`, `hour` (varchar, UTC), created from raw-schema.ts (the same DDL is in trino/lake/raw_tables.sql;
 * a unit test keeps them equal). New hour partitions become visible after `syncRawPartitions`
 * (`CALL lake.system.sync_partition_metadata('raw', '<category>', 'ADD')`).
 *
 * trino-client 0.2.9 does not throw on a failed query: the error is in the results. `trinoQuery` turns
 * it into an exception.
 */
import { BasicAuth, Trino } from 'trino-client';
import { type Category, categories } from '../events/envelope.ts';
import { rawColumns, rawPartitionColumns } from './raw-schema.ts';

export const rawSchema = 'raw';

/** The DDL statements creating `<catalog>.raw` and its tables (idempotent). */
export function rawTablesDdl(bucket = 'lake', catalog = 'lake'): string[] {
  const columns = [
    ...rawColumns.map((c) => `  ${c.name} ${c.trino}`),
    ...rawPartitionColumns.map((p) => `  ${p} varchar`),
  ].join(',\n');
  return [
    `CREATE SCHEMA IF NOT EXISTS ${catalog}.${rawSchema}`,
    ...categories.map(
      (category) =>
        `CREATE TABLE IF NOT EXISTS ${catalog}.${rawSchema}.${category} (\n${columns}\n)\nWITH (\n` +
        `  format = 'PARQUET',\n  external_location = 's3://${bucket}/raw/${category}/',\n` +
        `  partitioned_by = ARRAY[${rawPartitionColumns.map((p) => `'${p}'`).join(', ')}]\n)`,
    ),
  ];
}

/** The statement registering partitions (hour folders) written since the last call. */
export const syncPartitionsSql = (category: Category, catalog = 'lake'): string =>
  `CALL ${catalog}.system.sync_partition_metadata('${rawSchema}', '${category}', 'ADD')`;

/** The contents of trino/lake/raw_tables.sql. */
export function rawTablesSqlFile(bucket = 'lake', catalog = 'lake'): string {
  return [
    '-- Generated from functions/core/src/lake/raw-schema.ts by trino-tables.ts (rawTablesSqlFile); a unit test',
    '-- checks this file is up to date. Raw lake tables: one external table per event category, partitioned',
    '-- by the UTC date and hour of the event time (DESIGN.md section 4). Run the CALLs after new hours arrive.',
    '',
    ...rawTablesDdl(bucket, catalog).map((s) => `${s};\n`),
    ...categories.map((c) => `${syncPartitionsSql(c, catalog)};`),
    '',
  ].join('\n');
}

export function trinoClient(server: string, user = 'ula'): Trino {
  return Trino.create({ server, catalog: 'lake', schema: rawSchema, auth: new BasicAuth(user) });
}

/** Runs one statement; resolves with its rows; throws with Trino's message when the query failed. */
export async function trinoQuery(trino: Trino, sql: string): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  for await (const result of await trino.query(sql)) {
    if (result.error) {
      throw new Error(`Trino ${result.error.errorName}: ${result.error.message}\n-- ${sql.split('\n')[0]}`);
    }
    rows.push(...((result.data ?? []) as unknown[][]));
  }
  return rows;
}

/** Creates the schema and the raw tables if absent, then registers every partition present. */
export async function ensureRawTables(trino: Trino, bucket = 'lake', catalog = 'lake'): Promise<void> {
  for (const sql of rawTablesDdl(bucket, catalog)) await trinoQuery(trino, sql);
  await syncRawPartitions(trino, categories, catalog);
}

export async function syncRawPartitions(
  trino: Trino,
  which: readonly Category[] = categories,
  catalog = 'lake',
): Promise<void> {
  for (const category of which) await trinoQuery(trino, syncPartitionsSql(category, catalog));
}
