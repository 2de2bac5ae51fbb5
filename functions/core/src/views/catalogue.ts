import { batchViews } from './batch-catalogue.ts';
import type { TableDefinition } from './columns.ts';
import { speedViews } from './speed-catalogue.ts';
import { systemTables } from './system-tables.ts';
import { batchTable, cqlAddColumns, cqlCreateTable, speedTable } from './tables.ts';

export { batchViews, speedViews };

/** Every stored table: batch views (not intermediate ones), speed views, then the system tables. */
export const allTables: readonly TableDefinition[] = [
  ...batchViews.filter((v) => !v.intermediate).map(batchTable),
  ...speedViews.map(speedTable),
  ...systemTables,
];

export const tableNamed = (name: string): TableDefinition => {
  const table = allTables.find((t) => t.name === name);
  if (!table) throw new Error(`no table named ${name}`);
  return table;
};

/** The whole Cassandra schema, as committed in cassandra/schema.cql: creates, or upgrades by adding columns. */
export function cassandraSchema(
  keyspace: string,
  replication = "{'class': 'SimpleStrategy', 'replication_factor': 1}",
) {
  const header = [
    '-- Generated from the view declarations in functions/core/src (npm run schema). Do not edit by hand:',
    '-- a test fails when this file and the declarations differ.',
    '-- Idempotent, and an upgrade: every table is created if missing, then given the columns it lacks.',
    `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = ${replication};`,
  ];
  // Each table's CREATE, then the ALTER that adds columns an older version of the table lacks.
  const tables = allTables.map((t) =>
    [cqlCreateTable(t, keyspace), cqlAddColumns(t, keyspace)].filter((s) => s !== undefined).join('\n'),
  );
  return `${[header.join('\n'), ...tables].join('\n\n')}\n`;
}
