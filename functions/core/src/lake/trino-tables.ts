/**
 * Trino over the raw lake, generated from raw-schema.ts (the same SQL is in trino/lake/raw_tables.sql; a unit
 * test keeps them equal):
 *
 * - `lake.raw.<category>`: one external Parquet table per category, partitioned by `date`, `hour` (varchar,
 *   the UTC date and hour of the event time). The rows are the files as they are, so an event can be there
 *   twice: ingest is at-least-once (a redelivered event can sit in two files) and compaction writes an hour's
 *   compacted file before it deletes the small ones (between the two, every event of the hour is listed twice).
 * - `lake.events.<category>`: a view per category with one row per event (the copy accepted first). Readers
 *   that count events use these. A schema of its own, with the same table names, so the choice is the schema:
 *   `raw` = storage as it is, `events` = what happened.
 *
 * - `lake.raw.xapi_statements`: every statement the xapi function accepted, in its redacted stored form, mapped
 *   or not (xapi-statements.ts; partitioned like the raw tables, by the UTC date and hour of `stored`), and
 *   `lake.serving.xapi_unmapped`: the statements no mapping rule took, counted per storage date, verb and
 *   activity type (what a rule would have to cover next).
 *
 * Partitions are found by **partition projection** (Trino's Hive connector computes the hour folders of the
 * queried dates from the table properties and lists them), so a new hour, a compacted hour, appears with no
 * `sync_partition_metadata` call or metastore write. Projected dates run from `rawLakeFirstDate` to tomorrow
 * (UTC, evaluated at each query); a query without a date filter lists every hour of that range (24 S3 listings
 * per day: ~30 s for a year on the local stack), so filter on `date`.
 *
 * trino-client 0.2.9 does not throw on a failed query: the error is in the results. `trinoQuery` turns it
 * into an exception.
 */
import { createHash } from 'node:crypto';
import type { Trino } from 'trino-client';
import { type Category, categories } from '../events/envelope.ts';
import { auditSchema, erasureAuditColumns, erasureAuditPrefix, erasureAuditTable } from './erasure-audit.ts';
import {
  personalDataColumns,
  personalDataPrefix,
  personalDataTable,
  personalSchema,
} from './personal-data.ts';
import { rawColumns, rawPartitionColumns } from './raw-schema.ts';
import { connectTrino, type TrinoAccess } from './trino-access.ts';
import { xapiStatementColumns, xapiStatementsPrefix, xapiStatementsTable } from './xapi-statements.ts';

export const rawSchema = 'raw';
/** Schema of the one-row-per-event views `<catalog>.events.<category>`. */
export const eventsSchema = 'events';
/** The statement table's name in the raw schema (defined with its columns); the view of the unmapped statements' counts (serving schema). */
export { xapiStatementsTable };
export const xapiUnmappedView = 'xapi_unmapped';

/**
 * First UTC date partition projection covers. Older partitions are invisible to Trino (not to the batch
 * layer): lower it, regenerate raw_tables.sql and re-apply before backfilling older history. Every projected
 * day costs 24 listings in a query without a date filter (from 2020-01-01 that query took 211 s locally).
 */
export const rawLakeFirstDate = '2026-01-01';
/** Last projected date: tomorrow (UTC), so a producer's clock a little ahead near midnight loses nothing. */
const rawLakeLastDate = 'NOW+1DAYS';

export interface RawLakeNames {
  /** S3 bucket of the lake (default `lake`). */
  bucket?: string;
  /** Hive catalog (default `lake`). */
  catalog?: string;
  /** Schema of the raw tables (default `raw`). */
  schema?: string;
  /** Schema of the one-row-per-event views (default `events`). */
  events?: string;
  /** Schema of the view of unmapped xAPI statements (default `serving`, beside the merged views). */
  serving?: string;
  /** Schema of the restricted personal-data table (default `personal`; only the privacy role reads it). */
  personal?: string;
  /** Schema of the audit tables (default `audit`: `erasure`, one row per erasure request). */
  audit?: string;
}

const names = (n: RawLakeNames = {}) => ({
  bucket: n.bucket ?? 'lake',
  catalog: n.catalog ?? 'lake',
  schema: n.schema ?? rawSchema,
  events: n.events ?? eventsSchema,
  serving: n.serving ?? 'serving',
  personal: n.personal ?? personalSchema,
  audit: n.audit ?? auditSchema,
});

const partitionProjection: Record<(typeof rawPartitionColumns)[number], string> = {
  date:
    `partition_projection_type = 'DATE', partition_projection_format = 'yyyy-MM-dd', ` +
    `partition_projection_range = ARRAY['${rawLakeFirstDate}', '${rawLakeLastDate}'], ` +
    `partition_projection_interval = 1, partition_projection_interval_unit = 'DAYS'`,
  hour:
    `partition_projection_type = 'INTEGER', partition_projection_range = ARRAY['0', '23'], ` +
    `partition_projection_digits = 2`,
};

/** Marker ending each raw table's comment: a hash of its DDL, so an outdated table can be told apart. */
const layoutTag = (ddl: string) => `[layout ${createHash('sha256').update(ddl).digest('hex').slice(0, 12)}]`;

interface RawTable {
  /** Table name in the raw schema: a category, or `xapi_statements`. */
  table: string;
  /** `<catalog>.<schema>.<table>` */
  name: string;
  comment: string;
  ddl: string;
}

/**
 * An external Parquet table over `location` partitioned by the UTC `date=`/`hour=` folders (projected), its
 * comment ending with the layout tag of its definition.
 */
function externalTable(
  table: string,
  location: string,
  columns: readonly { name: string; trino: string }[],
  describe: string,
  n: ReturnType<typeof names>,
): RawTable {
  const columnList = [
    ...columns.map((c) => `  ${c.name} ${c.trino}`),
    ...rawPartitionColumns.map((p) => `  ${p} varchar WITH (${partitionProjection[p]})`),
  ].join(',\n');
  const name = `${n.catalog}.${n.schema}.${table}`;
  const body =
    `(\n${columnList}\n)\n%COMMENT%WITH (\n` +
    `  format = 'PARQUET',\n  external_location = '${location}',\n` +
    `  partitioned_by = ARRAY[${rawPartitionColumns.map((p) => `'${p}'`).join(', ')}],\n` +
    `  partition_projection_enabled = true,\n` +
    `  partition_projection_location_template = '${location}${rawPartitionColumns.map((p) => `${p}=\${${p}}`).join('/')}/'\n)`;
  const comment = `${describe} ${layoutTag(`${name} ${body}`)}`;
  return {
    table,
    name,
    comment,
    ddl: `CREATE TABLE IF NOT EXISTS ${name} ${body.replace('%COMMENT%', `COMMENT '${comment}'\n`)}`,
  };
}

function rawTable(category: Category, n: ReturnType<typeof names>): RawTable {
  return externalTable(
    category,
    `s3://${n.bucket}/raw/${category}/`,
    rawColumns,
    `Raw ${category} events as stored; an event can be here twice (at-least-once ingest, compaction swap): ` +
      `count events in ${n.catalog}.${n.events}.${category}.`,
    n,
  );
}

/** Every statement the xapi function accepted (redacted), mapped or not: `<bucket>/xapi/statements/date=/hour=/`. */
function xapiTable(n: ReturnType<typeof names>): RawTable {
  return externalTable(
    xapiStatementsTable,
    `s3://${n.bucket}/${xapiStatementsPrefix}`,
    xapiStatementColumns,
    'xAPI statements accepted by the xapi function, mapped or not, redacted (no mbox, no names); ' +
      'partitioned by the UTC date and hour of stored; a statement id is here once unless the LRS failed ' +
      'between the lake write and the registry and the LMS resent it.',
    n,
  );
}

/**
 * The restricted personal-data table (`ULA_PII=store`): `<bucket>/personal/profile/date=/hour=/`, in a schema
 * of its own so access control can give it to the privacy role only (trino/security).
 */
function personalTable(n: ReturnType<typeof names>): RawTable {
  return externalTable(
    personalDataTable,
    `s3://${n.bucket}/${personalDataPrefix}`,
    personalDataColumns,
    'Personal fields of profile and signup events (ULA_PII=store only), keyed by user id; restricted to ' +
      'the privacy role; erased on request (docs/privacy.md).',
    { ...n, schema: n.personal },
  );
}

/**
 * The erasure audit (`<bucket>/audit/erasure/<hash>.parquet`, erasure-audit.ts): one file per finished erasure
 * request, no partitions, no personal data.
 */
function erasureAuditTableOf(n: ReturnType<typeof names>): RawTable {
  const name = `${n.catalog}.${n.audit}.${erasureAuditTable}`;
  const columns = erasureAuditColumns.map((c) => `  ${c.name} ${c.trino}`).join(',\n');
  const body =
    `(\n${columns}\n)\n%COMMENT%WITH (\n  format = 'PARQUET',\n` +
    `  external_location = 's3://${n.bucket}/${erasureAuditPrefix}'\n)`;
  const comment = `One row per finished erasure request (counts of what was removed; no user id: the request id is the link). ${layoutTag(`${name} ${body}`)}`;
  return {
    table: erasureAuditTable,
    name,
    comment,
    ddl: `CREATE TABLE IF NOT EXISTS ${name} ${body.replace('%COMMENT%', `COMMENT '${comment}'\n`)}`,
  };
}

/**
 * The statements no mapping rule took, counted per UTC storage date, verb and activity type (`rule` is
 * NULL for them). Distinct statement ids, so a resent statement is counted once; grouped by the partition
 * column `date`, so a WHERE on date prunes partitions.
 */
function unmappedViewDdl(n: ReturnType<typeof names>): string {
  const table = `${n.catalog}.${n.schema}.${xapiStatementsTable}`;
  return (
    `CREATE OR REPLACE VIEW ${n.catalog}.${n.serving}.${xapiUnmappedView}\n` +
    `COMMENT 'xAPI statements no mapping rule took, per UTC storage date, verb and activity type (from ${table})'\n` +
    `AS\nSELECT date, verb, activity_type, count(DISTINCT statement_id) AS statements,\n` +
    `  min(stored) AS first_stored, max(stored) AS last_stored\n` +
    `FROM ${table}\nWHERE rule IS NULL\nGROUP BY date, verb, activity_type`
  );
}

/**
 * The view keeping one row per event: per (date, hour, event_id) the row with the lowest ingest_time (the
 * copy accepted first, as compaction keeps). An event's partition is a function of its event time, which a
 * redelivery keeps, so this is one row per event id; having date and hour in the window's key lets a WHERE on
 * them prune partitions through the view (checked with EXPLAIN by trino-lake.int.test.ts).
 * Measured on 315,000 rows (300,000 events, 5% redelivered), Trino CPU time per query, 3 runs: count(*)
 * 0.9-1.3 s (min_by/arbitrary GROUP BY: 0.75-0.84 s), a GROUP BY with count(DISTINCT) 1.17-1.35 s
 * (GROUP BY views 1.27-1.68 s), every column 1.5-1.73 s (GROUP BY views 2.07-2.69 s, min_by of one ROW
 * 2.85-3.2 s); the raw table 0.13-0.2 / 0.55-0.84 / 0.56-1.05 s. row_number() runs as a TopNRanking operator
 * (a heap of one row per key, no sort), and is cheapest once a query reads columns besides the id.
 */
function eventsView(category: Category, n: ReturnType<typeof names>): string {
  const columns = [...rawColumns.map((c) => c.name), ...rawPartitionColumns].join(', ');
  return (
    `CREATE OR REPLACE VIEW ${n.catalog}.${n.events}.${category}\n` +
    `COMMENT 'One row per ${category} event (the copy accepted first) from ${n.catalog}.${n.schema}.${category}'\n` +
    `AS\nSELECT ${columns}\nFROM (\n` +
    `  SELECT *, row_number() OVER (PARTITION BY date, hour, event_id ORDER BY ingest_time) AS copy\n` +
    `  FROM ${n.catalog}.${n.schema}.${category}\n)\nWHERE copy = 1`
  );
}

/** The raw schema's tables: one per category, then the xAPI statements. */
const rawTables = (n: ReturnType<typeof names>): RawTable[] => [
  ...categories.map((c) => rawTable(c, n)),
  xapiTable(n),
];

/**
 * The statements creating the raw schema and tables (if absent), the events schema and views (replaced),
 * the view of unmapped xAPI statements (replaced).
 */
export function rawTablesDdl(lake: RawLakeNames = {}): string[] {
  const n = names(lake);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${n.catalog}.${n.schema}`,
    ...rawTables(n).map((t) => t.ddl),
    `CREATE SCHEMA IF NOT EXISTS ${n.catalog}.${n.events}`,
    ...categories.map((c) => eventsView(c, n)),
    `CREATE SCHEMA IF NOT EXISTS ${n.catalog}.${n.serving}`,
    unmappedViewDdl(n),
    `CREATE SCHEMA IF NOT EXISTS ${n.catalog}.${n.personal}`,
    personalTable(n).ddl,
    `CREATE SCHEMA IF NOT EXISTS ${n.catalog}.${n.audit}`,
    erasureAuditTableOf(n).ddl,
  ];
}

/** The contents of trino/lake/raw_tables.sql. */
export function rawTablesSqlFile(lake: RawLakeNames = {}): string {
  const n = names(lake);
  return [
    '-- Generated from functions/core/src/lake/raw-schema.ts and xapi-statements.ts by trino-tables.ts (rawTablesSqlFile; write it with',
    '-- `npx tsx scripts/trino-lake.ts --write`); a unit test checks this file is up to date.',
    `-- ${n.catalog}.${n.schema}.<category>: one external table per event category, partitioned by the UTC date and hour`,
    '-- of the event time (docs/architecture.md#the-lake-layout). Partition projection finds the hour folders: new partitions',
    '-- appear with no sync_partition_metadata call. An event can be in the raw tables twice (at-least-once',
    `-- ingest, compaction swap): count events in the views ${n.catalog}.${n.events}.<category> (one row per event).`,
    `-- ${n.catalog}.${n.schema}.${xapiStatementsTable}: every statement the xapi function accepted (redacted), mapped or not;`,
    `-- ${n.catalog}.${n.serving}.${xapiUnmappedView}: the unmapped ones counted per UTC storage date, verb and activity type.`,
    `-- ${n.catalog}.${n.personal}.${personalDataTable}: the restricted personal-data table (ULA_PII=store; the privacy role only).`,
    `-- ${n.catalog}.${n.audit}.${erasureAuditTable}: one row per finished erasure request (no user id).`,
    '-- A raw table created by an older version (its comment has another [layout ...] tag) is not replaced by',
    '-- CREATE ... IF NOT EXISTS: `npx tsx scripts/trino-lake.ts` drops and re-creates it (external: the',
    '-- Parquet files stay), or DROP TABLE it before running this file.',
    '',
    ...rawTablesDdl(lake).map((s) => `${s};\n`),
  ].join('\n');
}

/** A client of the lake catalog (default schema `raw`) with ACCESS (trino-access.ts). */
export function trinoClient(access: TrinoAccess): Trino {
  return connectTrino(access, { catalog: 'lake', schema: rawSchema });
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

export interface EnsureReport {
  /** Raw tables dropped and re-created because their layout tag differed (created by an older version). */
  recreated: string[];
}

/**
 * Creates the raw schema and tables, re-creating a raw table whose comment does not carry the current layout
 * tag (an older definition, e.g. without partition projection; external, so its files stay), then (re)creates
 * the events views. Idempotent; the drop leaves a moment in which queries of that table fail.
 */
export async function ensureRawTables(trino: Trino, lake: RawLakeNames = {}): Promise<EnsureReport> {
  const n = names(lake);
  const recreated: string[] = [];
  recreated.push(...(await ensureTagged(trino, n.catalog, n.schema, rawTables(n))));
  await trinoQuery(trino, `CREATE SCHEMA IF NOT EXISTS ${n.catalog}.${n.events}`);
  for (const category of categories) await trinoQuery(trino, eventsView(category, n));
  await trinoQuery(trino, `CREATE SCHEMA IF NOT EXISTS ${n.catalog}.${n.serving}`);
  await trinoQuery(trino, unmappedViewDdl(n));
  recreated.push(...(await ensureTagged(trino, n.catalog, n.personal, [personalTable(n)])));
  recreated.push(...(await ensureTagged(trino, n.catalog, n.audit, [erasureAuditTableOf(n)])));
  return { recreated };
}

/**
 * Creates `schema` and its `tables` if absent, first dropping a table whose comment does not carry its
 * current layout tag (external: its files stay). Returns the names of the tables re-created.
 */
async function ensureTagged(
  trino: Trino,
  catalog: string,
  schema: string,
  tables: readonly RawTable[],
): Promise<string[]> {
  await trinoQuery(trino, `CREATE SCHEMA IF NOT EXISTS ${catalog}.${schema}`);
  const comments = new Map(
    (
      (await trinoQuery(
        trino,
        `SELECT table_name, comment FROM system.metadata.table_comments
          WHERE catalog_name = '${catalog}' AND schema_name = '${schema}'`,
      )) as [string, string | null][]
    ).map(([table, comment]) => [table, comment ?? '']),
  );
  const recreated: string[] = [];
  for (const table of tables) {
    const existing = comments.get(table.table);
    if (existing !== undefined && existing !== table.comment) {
      await trinoQuery(trino, `DROP TABLE IF EXISTS ${table.name}`);
      recreated.push(table.name);
    }
    await trinoQuery(trino, table.ddl);
  }
  return recreated;
}
