/**
 * The batch layer on the real stack (S3 server at ULA_S3_ENDPOINT, default http://127.0.0.1:9000, and
 * Cassandra at 127.0.0.1:9042; `bash scripts/stack/stack.sh up`): the oracle scenario, then the job's
 * command line failing clearly when S3 or Cassandra is unreachable and giving the same rows once they are
 * back. Uses its own bucket and keyspace so it never touches the shared `lake` bucket or views keyspace.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CassandraViewStore } from '../src/adapters/cassandra.ts';
import { S3Store } from '../src/adapters/s3.ts';
import { batchRequestType, runIdOf } from '../src/batch/request.ts';
import { loadConfig } from '../src/config.ts';
import { allTables } from '../src/views/catalogue.ts';
import type { Row } from '../src/views/columns.ts';
import { batchRuns } from '../src/views/system-tables.ts';
import { cqlAddColumns, cqlCreateTable } from '../src/views/tables.ts';
import { runOracleScenario, storedViews } from './batch-scenario.ts';
import { type BatchFixture, batchFixture } from './batch-support.ts';

const endpoint = process.env['ULA_S3_ENDPOINT'] ?? 'http://127.0.0.1:9000';
const bucket = 'ula-batch-it';
const keyspace = 'ula_batch_it';
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
const entry = 'functions/batch/build/index.js';

let fixture: BatchFixture;
let lake: S3Store;
let store: CassandraViewStore;

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

async function resetBucket() {
  lake = new S3Store({ bucket, endpoint });
  await lake.client.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: { name?: string }) => {
    if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
  });
  for (const o of await lake.list('')) await lake.delete(o.key);
}

const snapshot = async () => {
  const out: Record<string, Row[]> = {};
  for (const view of storedViews) out[view] = await fixture.rows(view);
  return out;
};

/** Runs the built job entry point with a JobSink-style event file. */
function runJob(overrides: NodeJS.ProcessEnv, id: string) {
  const dir = mkdtempSync(join(tmpdir(), 'ula-batch-it-'));
  writeFileSync(
    join(dir, 'event'),
    JSON.stringify({
      specversion: '1.0',
      id,
      source: '/test/batch-it',
      type: batchRequestType,
      datacontenttype: 'application/json',
      data: { job: 'all', from: '2026-03-04', to: '2026-03-04' },
    }),
  );
  return spawnSync(process.execPath, [entry], {
    env: { ...env, K_EVENT_PATH: dir, ULA_BATCH_WRITE_ATTEMPTS: '2', ...overrides },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build-functions.mjs', 'batch']);
  await resetBucket();
  await resetKeyspace();
  store = new CassandraViewStore({ ...config.cassandra!, keyspace });
  fixture = batchFixture(store, lake);
});

afterAll(async () => {
  await fixture?.close();
  lake?.close();
});

describe('batch layer on S3 + Cassandra', () => {
  it('matches the oracle: dedup, idempotent reruns, late events, local-midnight boundaries', async () => {
    await runOracleScenario(fixture);
  });

  it('fails with a clear message and a non-zero exit when S3 or Cassandra is down; a retry gives the same rows', async () => {
    const before = await snapshot();

    const s3Down = runJob({ ULA_S3_ENDPOINT: 'http://127.0.0.1:9' }, 'run-s3-down');
    expect(s3Down.status).toBe(1);
    expect(s3Down.stderr).toMatch(/lake error: .*rerun/);
    const [failed] = await store.readPartition(batchRuns, { run_id: runIdFor('run-s3-down') });
    expect(failed).toMatchObject({ status: 'failed' });

    const cassandraDown = runJob({ ULA_CASSANDRA_CONTACT_POINTS: '127.0.0.1:9' }, 'run-cassandra-down');
    expect(cassandraDown.status).toBe(1);
    expect(cassandraDown.stderr).toMatch(
      /view store error: All host\(s\) tried .*ECONNREFUSED.*Cassandra at ULA_CASSANDRA_CONTACT_POINTS/,
    );

    const retry = runJob({}, 'run-retry');
    expect(retry.stderr).not.toMatch(/failed/);
    expect(retry.status).toBe(0);
    expect(await snapshot()).toEqual(before);
    const [succeeded] = await store.readPartition(batchRuns, { run_id: runIdFor('run-retry') });
    expect(succeeded).toMatchObject({
      status: 'succeeded',
      range_from: '2026-03-04',
      range_to: '2026-03-04',
    });
  });
});

const runIdFor = (id: string) => runIdOf('/test/batch-it', id);
