/** Column types of view tables, and how each storage spells them. */
export type ColumnType = 'text' | 'int' | 'bigint' | 'double' | 'timestamp' | 'date' | 'boolean';

export const cqlType: Record<ColumnType, string> = {
  text: 'text',
  int: 'int',
  bigint: 'bigint',
  double: 'double',
  timestamp: 'timestamp',
  date: 'date',
  boolean: 'boolean',
};

export const sqliteType: Record<ColumnType, string> = {
  text: 'TEXT',
  int: 'INTEGER',
  bigint: 'INTEGER',
  double: 'REAL',
  timestamp: 'INTEGER',
  date: 'TEXT',
  boolean: 'INTEGER',
};

/** A column value as the domain code sees it: timestamps as epoch ms, dates as YYYY-MM-DD. */
export type Value = string | number | boolean | null;
export type Row = Record<string, Value>;

export interface Column {
  name: string;
  type: ColumnType;
  doc?: string;
}

/** A storage table: what the Cassandra DDL, the SQLite DDL and every reader are derived from. */
export interface TableDefinition {
  name: string;
  doc: string;
  columns: Column[];
  partitionKey: string[];
  clustering: { name: string; order: 'ASC' | 'DESC' }[];
  /** Default time-to-live of rows in seconds (speed views). */
  ttlSeconds?: number;
}
