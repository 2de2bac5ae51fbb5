/**
 * The embedded column computes the same views as the real stack: the same generated events (seeded
 * university, two local days, with malformed records) go through the in-process dispatcher into the real
 * ingest handler twice — once onto a local-directory lake, once onto S3 (versitygw, bucket ula-demo-it) —
 * then the batch runs over each: into SQLite, and into Cassandra (keyspace ula_demo_it, tables from the
 * view declarations). Every batch view's rows must be equal.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { InProcessDispatcher } from '@ula/tools/dispatch/in-process';
import { createUniversity, type GeneratedItem, injectFaults, simulate } from '@ula/tools/generator/index';
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDirStore } from '../../../functions/core/src/adapters/local-dir.ts';
import type { ObjectStore } from '../../../functions/core/src/adapters/object-store.ts';
import { S3Store } from '../../../functions/core/src/adapters/s3.ts';
import { openSqliteViewStore } from '../../../functions/core/src/adapters/sqlite.ts';
import type { ViewStore } from '../../../functions/core/src/adapters/view-store.ts';
import { openViewStore } from '../../../functions/core/src/adapters/view-stores.ts';
import { runBatch } from '../../../functions/core/src/batch/job.ts';
import { loadConfig } from '../../../functions/core/src/config.ts';
import { allTables } from '../../../functions/core/src/views/catalogue.ts';
import { cqlAddColumns, cqlCreateTable } from '../../../functions/core/src/views/tables.ts';
import { localCalendar } from '../../../functions/core/src/views/time.ts';
import { storedViews } from '../../../functions/core/test/batch-scenario.ts';
import { readRows } from '../../../functions/core/test/batch-support.ts';
import { Ingest } from '../../../functions/ingest/src/ingest.ts';
import { ingestMetrics } from '../../../functions/ingest/src/metrics.ts';
import { loadIngestSettings } from '../../../functions/ingest/src/settings.ts';
import { requestOf } from '../events.ts';
import { normalise } from './comparable-rows.ts';

const endpoint = process.env['ULA_S3_ENDPOINT'] ?? 'http://127.0.0.1:9000';
const bucket = 'ula-demo-it';
const keyspace = 'ula_demo_it';
const env: NodeJS.ProcessEnv = {
  ...process.env,
  AWS_ACCESS_KEY_ID: process.env['AWS_ACCESS_KEY_ID'] ?? 'ula-local-access',
  AWS_SECRET_ACCESS_KEY: process.env['AWS_SECRET_ACCESS_KEY'] ?? 'ula-local-secret-key',
  AWS_REGION: process.env['AWS_REGION'] ?? 'us-east-1',
  ULA_S3_ENDPOINT: endpoint,
  ULA_S3_BUCKET: bucket,
  ULA_CASSANDRA_CONTACT_POINTS: process.env['ULA_CASSANDRA_CONTACT_POINTS'] ?? '127.0.0.1',
  ULA_CASSANDRA_KEYSPACE: keyspace,
  ULA_TIMEZONE: 'Asia/Ho_Chi_Minh',
};
Object.assign(process.env, {
  AWS_ACCESS_KEY_ID: env['AWS_ACCESS_KEY_ID'],
  AWS_SECRET_ACCESS_KEY: env['AWS_SECRET_ACCESS_KEY'],
  AWS_REGION: env['AWS_REGION'],
});
const config = loadConfig(env);
const calendar = localCalendar('Asia/Ho_Chi_Minh');
const days = { from: '2026-03-02', to: '2026-03-03' };

let dir: string;
let items: GeneratedItem[];
let cassandraStore: ViewStore;
let sqliteStore: ViewStore;

async function resetKeyspace() {
  const settings = config.cassandra!;
  const admin = new cassandra.Client({
    contactPoints: settings.contactPoints,
    localDataCenter: settings.localDataCenter,
  });
  try {
    await admin.execute(
      `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    for (const table of allTables) {
      await admin.execute(cqlCreateTable(table, keyspace));
      // The keyspace outlives runs: a table of an older version gets the columns views added since.
      const addColumns = cqlAddColumns(table, keyspace);
      if (addColumns) await admin.execute(addColumns);
      await admin.execute(`TRUNCATE ${keyspace}.${table.name}`);
    }
  } finally {
    await admin.shutdown();
  }
}

async function resetBucket(): Promise<S3Store> {
  const lake = new S3Store({ bucket, endpoint });
  await lake.client.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: { name?: string }) => {
    if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
  });
  for (const o of await lake.list('')) await lake.delete(o.key);
  return lake;
}

/** The embedded path: every item through the in-process dispatcher into the real ingest handler. */
async function ingestAll(lake: ObjectStore): Promise<{ delivered: number; deadLettered: number }> {
  const ingest = new Ingest(lake, loadIngestSettings({}), ingestMetrics());
  const dispatcher = new InProcessDispatcher({
    sinks: [
      {
        name: 'ingest',
        handle: (context, body) => ingest.handle({ method: context.method, headers: context.headers, body }),
      },
    ],
    policy: { retry: 5, backoffDelayMs: 50, timeoutMs: 30_000 },
  });
  const pending: Promise<unknown>[] = [];
  for (const item of items) {
    pending.push(dispatcher.dispatch(requestOf(item)));
    if (pending.length >= 2000) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  await ingest.close();
  return dispatcher.counts['ingest']!;
}

describe('embedded adapters vs the real stack, same seed', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ula-demo-it-'));
    const university = createUniversity({ seed: 'demo-it', students: 200 });
    const start = calendar.startOfDate(days.from);
    const end = calendar.startOfDate('2026-03-04');
    items = [...injectFaults(simulate(university, { start, end }), { malformedRate: 0.01 }, 'demo-it')];
    await resetKeyspace();
    cassandraStore = openViewStore(config);
    sqliteStore = openSqliteViewStore(join(dir, 'views.sqlite'));
  });
  afterAll(async () => {
    await cassandraStore?.close();
    await sqliteStore?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ingest + batch give equal rows for every batch view (local dir + SQLite = S3 + Cassandra)', async () => {
    const localLake = new LocalDirStore(join(dir, 'lake'));
    const s3Lake = await resetBucket();
    const [local, s3] = await Promise.all([ingestAll(localLake), ingestAll(s3Lake)]);
    expect(local).toEqual(s3);
    expect(local.deadLettered).toBeGreaterThan(0);
    expect(local.delivered + local.deadLettered).toBe(items.length);

    const run = (lake: ObjectStore, views: ViewStore, runId: string) =>
      runBatch({
        request: { job: 'all', ...days },
        runId,
        lake,
        views,
        calendar,
        now: () => Date.parse('2030-01-01T00:00:00Z'),
      });
    const embedded = await run(localLake, sqliteStore, 'demo-it-embedded');
    const stack = await run(s3Lake, cassandraStore, 'demo-it-stack');
    expect(embedded.status).toBe('succeeded');
    expect(stack.status).toBe('succeeded');
    expect(embedded.eventsRead).toBe(stack.eventsRead);
    expect(embedded.daysRecomputed).toEqual([days.from, days.to]);

    let total = 0;
    const empty: string[] = [];
    for (const view of storedViews) {
      const a = normalise(await readRows(sqliteStore, view));
      const b = normalise(await readRows(cassandraStore, view));
      expect(b, `view ${view}`).toEqual(a);
      total += a.length;
      if (a.length === 0) empty.push(view);
    }
    expect(total).toBeGreaterThan(1000);
    // Most views have rows for two days of a 200-student university.
    expect(empty.length).toBeLessThan(storedViews.length / 4);
  });
});
