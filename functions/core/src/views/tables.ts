import { type Column, cqlType, sqliteType, type TableDefinition } from './columns.ts';
import type { BatchViewDefinition, SpeedViewDefinition } from './define.ts';

/** Default time-to-live of speed rows: long enough for the daily batch to cover them. */
export const speedTtlSeconds = 3 * 24 * 3600;

/** The table a batch view is stored in: grain keys, then metrics, then derived columns. */
export function batchTable(view: BatchViewDefinition<never>): TableDefinition {
  const grain: Column[] = [
    ...(view.period === 'day' ? [{ name: 'date', type: 'date' as const, doc: 'local calendar date' }] : []),
    ...Object.entries(view.keys).map(([name, k]) => ({
      name,
      type: k.type,
      ...(k.doc ? { doc: k.doc } : {}),
    })),
  ];
  const metrics: Column[] = Object.entries(view.metrics).map(([name, m]) => ({
    name,
    type: m.aggregate.type,
    ...(m.doc ? { doc: m.doc } : {}),
  }));
  const derived: Column[] = Object.entries(view.derived ?? {}).map(([name, d]) => ({
    name,
    type: d.type,
    ...(d.doc ? { doc: d.doc } : {}),
  }));
  const clustering =
    view.clustering ??
    grain
      .filter((c) => !view.partitionKey.includes(c.name))
      .map((c) => ({ name: c.name, order: 'ASC' as const }));
  const covered = new Set([...view.partitionKey, ...clustering.map((c) => c.name)]);
  const missing = grain.filter((c) => !covered.has(c.name)).map((c) => c.name);
  if (missing.length > 0)
    throw new Error(`view ${view.name}: grain keys ${missing.join(', ')} are not in its primary key`);
  return {
    name: view.name,
    doc: view.doc,
    columns: [...grain, ...metrics, ...derived],
    partitionKey: [...view.partitionKey],
    clustering: [...clustering],
  };
}

/**
 * The table of a speed view: one fact row per (window, grain, metric, member). A member is the event id
 * for counts and sums, and the counted value for distinct counts, so a redelivered event rewrites the
 * same row (idempotent) and distinct members stay available for exact merging with the batch layer.
 */
export function speedTable(view: SpeedViewDefinition): TableDefinition {
  const keys: Column[] = Object.entries(view.keys).map(([name, k]) => ({ name, type: k.type }));
  return {
    name: view.name,
    doc: view.doc,
    columns: [
      { name: 'window_start', type: 'timestamp' },
      ...keys,
      { name: 'metric', type: 'text' },
      { name: 'member', type: 'text' },
      { name: 'value', type: 'double' },
    ],
    partitionKey: ['window_start'],
    clustering: [
      ...keys.map((k) => ({ name: k.name, order: 'ASC' as const })),
      ...['metric', 'member'].map((name) => ({ name, order: 'ASC' as const })),
    ],
    ttlSeconds: speedTtlSeconds,
  };
}

const primaryKey = (t: TableDefinition): string => {
  const partition = t.partitionKey.length === 1 ? t.partitionKey[0] : `(${t.partitionKey.join(', ')})`;
  return [partition, ...t.clustering.map((c) => c.name)].join(', ');
};

/** CREATE TABLE statement for Cassandra. */
export function cqlCreateTable(t: TableDefinition, keyspace: string): string {
  const columns = t.columns.map((c) => `  ${c.name} ${cqlType[c.type]},`).join('\n');
  const options: string[] = [];
  if (t.clustering.length > 0) {
    options.push(`CLUSTERING ORDER BY (${t.clustering.map((c) => `${c.name} ${c.order}`).join(', ')})`);
  }
  if (t.ttlSeconds !== undefined) {
    // Time-series rows that only ever expire (speed facts): time-window compaction drops whole expired
    // SSTables instead of rewriting them, and expired cells need no 10-day tombstone grace.
    options.push(`default_time_to_live = ${t.ttlSeconds}`);
    options.push(
      "compaction = {'class': 'TimeWindowCompactionStrategy', 'compaction_window_unit': 'HOURS', 'compaction_window_size': 6}",
    );
    options.push('gc_grace_seconds = 10800');
  }
  const doc = t.doc.replaceAll("'", "''");
  options.push(`comment = '${doc}'`);
  return `CREATE TABLE IF NOT EXISTS ${keyspace}.${t.name} (\n${columns}\n  PRIMARY KEY (${primaryKey(t)})\n) WITH ${options.join('\n  AND ')};`;
}

/**
 * ALTER TABLE adding the table's non-key columns that an existing table lacks (Cassandra 4.1+ `ADD IF NOT
 * EXISTS`): applied after CREATE TABLE IF NOT EXISTS, the schema also upgrades a keyspace created by an
 * earlier version when a view gains a column. Columns a view no longer declares are left in place (a
 * process of the previous version may still write them); undefined for a table with key columns only.
 */
export function cqlAddColumns(t: TableDefinition, keyspace: string): string | undefined {
  const keys = new Set([...t.partitionKey, ...t.clustering.map((c) => c.name)]);
  const columns = t.columns.filter((c) => !keys.has(c.name));
  if (columns.length === 0) return undefined;
  return `ALTER TABLE ${keyspace}.${t.name} ADD IF NOT EXISTS (${columns.map((c) => `${c.name} ${cqlType[c.type]}`).join(', ')});`;
}

/** CREATE TABLE statement for the embedded SQLite store (same columns, same key). */
export function sqliteCreateTable(t: TableDefinition): string {
  const columns = t.columns.map((c) => `  "${c.name}" ${sqliteType[c.type]}`).join(',\n');
  const key = [...t.partitionKey, ...t.clustering.map((c) => c.name)].map((n) => `"${n}"`).join(', ');
  const expiry = t.ttlSeconds !== undefined ? ',\n  "_expires_at" INTEGER' : '';
  return `CREATE TABLE IF NOT EXISTS "${t.name}" (\n${columns}${expiry},\n  PRIMARY KEY (${key})\n) WITHOUT ROWID;`;
}
