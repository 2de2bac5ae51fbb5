import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import {
  allTables,
  CassandraViewStore,
  cassandraSchema,
  cqlAddColumns,
  cqlCreateTable,
  isTransient,
  loadConfig,
} from '../src/index.ts';
import { suiteTables, viewStoreBehaviour } from './view-store.test.ts';

const config = loadConfig({
  ...process.env,
  ULA_CASSANDRA_CONTACT_POINTS: process.env['ULA_CASSANDRA_CONTACT_POINTS'] ?? '127.0.0.1',
});
const settings = config.cassandra!;
/** The suite's own tables live in a scratch keyspace so the views keyspace holds only declared tables. */
const scratch = 'ula_view_store_test';

async function createScratchKeyspace() {
  const admin = new cassandra.Client({
    contactPoints: settings.contactPoints,
    localDataCenter: settings.localDataCenter,
    ...(settings.username !== undefined
      ? { credentials: { username: settings.username, password: settings.password ?? '' } }
      : {}),
  });
  try {
    await admin.execute(
      `CREATE KEYSPACE IF NOT EXISTS ${scratch} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    for (const table of suiteTables) await admin.execute(cqlCreateTable(table, scratch));
  } finally {
    await admin.shutdown();
  }
}

viewStoreBehaviour('Cassandra', async () => {
  await createScratchKeyspace();
  const store = new CassandraViewStore({ ...settings, keyspace: scratch });
  return {
    store,
    advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    clear: async () => {
      for (const table of suiteTables) await store.client.execute(`TRUNCATE ${scratch}.${table.name}`);
    },
    close: () => store.close(),
  };
});

describe('Cassandra view store against the applied schema', () => {
  it(`finds every declared table in ${settings.keyspace} (cassandra/schema.cql applied)`, async () => {
    const store = new CassandraViewStore(settings);
    try {
      await store.ensureTables(allTables);
    } finally {
      await store.close();
    }
  });

  it('upgrades a table of an older version: the schema adds the columns a view gained, twice harmlessly', async () => {
    const table = allTables.find((t) => t.name === 'course_overview')!;
    const older = { ...table, columns: table.columns.filter((c) => !c.name.endsWith('_percentage')) };
    expect(older.columns.length).toBeLessThan(table.columns.length);
    const store = new CassandraViewStore({ ...settings, keyspace: scratch });
    try {
      await createScratchKeyspace();
      await store.client.execute(`DROP TABLE IF EXISTS ${scratch}.${table.name}`);
      await store.client.execute(cqlCreateTable(older, scratch));
      await expect(store.ensureTables([table])).rejects.toThrow(/missing columns: course_overview\.avg_/);
      // What cassandra/schema.cql holds for the table, applied over the older one, then again.
      const statements = [cqlCreateTable(table, scratch), cqlAddColumns(table, scratch)!];
      expect(cassandraSchema(scratch)).toContain(statements.join('\n'));
      for (const statement of [...statements, ...statements]) await store.client.execute(statement);
      await store.ensureTables([table]);
    } finally {
      await store.client.execute(`DROP TABLE IF EXISTS ${scratch}.${table.name}`);
      await store.close();
    }
  });

  it('names the missing tables when the schema is behind the declarations', async () => {
    const store = new CassandraViewStore(settings);
    try {
      const ghost = { ...allTables[0]!, name: 'no_such_view_table' };
      await expect(store.ensureTables([ghost])).rejects.toThrow(/missing tables: no_such_view_table/);
    } finally {
      await store.close();
    }
  });

  it('fails loudly, after retrying, when no host answers', async () => {
    const store = new CassandraViewStore(
      { ...settings, contactPoints: ['127.0.0.1:1'] },
      { attempts: 2, backoffMs: 10 },
    );
    try {
      await expect(store.upsert(suiteTables[2]!, [{ id: 'x', n: 1 }])).rejects.toThrow(/after \d attempt/);
    } finally {
      await store.close().catch(() => undefined);
    }
  });

  it('treats timeouts and unavailable replicas as transient, syntax errors as final', () => {
    expect(isTransient(new cassandra.errors.OperationTimedOutError('timeout'))).toBe(true);
    expect(isTransient(new cassandra.errors.NoHostAvailableError({}))).toBe(true);
    expect(isTransient(new cassandra.errors.ResponseError(0x1000, 'unavailable'))).toBe(true);
    expect(isTransient(new cassandra.errors.ResponseError(0x2000, 'syntax'))).toBe(false);
  });
});
