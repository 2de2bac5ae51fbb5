/**
 * One student's erasure end to end on the real stack: S3 (its own bucket), Cassandra (its own keyspace) and
 * Trino (the lake tables over that bucket in schemas of their own, the merged views over that keyspace). A
 * small university's last three days are written to the lake with the student's personal rows, xAPI
 * statements and speed facts, the batch runs, then the BUILT batch entry point erases the student from a
 * JobSink event file. Afterwards no Trino query (raw, events, statements, personal, merged views, every
 * Cassandra table) and no API call returns the student, every batch view equals the oracle without them,
 * the audit record is queryable in Trino, and the job's output never names the student.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localCalendar } from '@ula/core';
import { S3Store } from '@ula/core/adapters/s3';
import type { ViewStore } from '@ula/core/adapters/view-store';
import { openViewStore } from '@ula/core/adapters/view-stores';
import { runBatch } from '@ula/core/batch/job';
import { batchRequestType } from '@ula/core/batch/request';
import { categories, type LmsEvent } from '@ula/core/events/envelope';
import { ensureRawTables, trinoClient, trinoQuery } from '@ula/core/lake/trino-tables';
import { addDays } from '@ula/core/views/time';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetStorage, stackEnv } from '../../../scripts/e2e/stack-run.ts';
import { stackTrinoAccess } from '../../../scripts/stack/trino-credentials.ts';
import { generateDays } from '../../core/test/batch-oracle.ts';
import { expectViewsMatchOracle } from '../../core/test/batch-scenario.ts';
import { batchFixture, writeLake } from '../../core/test/batch-support.ts';
import { writePersonalRows, writeSpeedFacts, writeStatements } from '../../core/test/erasure-support.ts';
import { applyMergedViews, connect, query, records, waitForTrino } from '../src/trino/views.ts';
import { servingApp } from './serving-app.ts';

const env = stackEnv({ bucket: 'ula-erase-it', keyspace: 'ula_erase_it' });
const calendar = localCalendar('Asia/Ho_Chi_Minh');
const target = 'SV014';
const requestId = 'it-erasure-1';
const lakeNames = {
  bucket: env['ULA_S3_BUCKET']!,
  schema: 'erase_it_raw',
  events: 'erase_it_events',
  serving: 'erase_it_serving',
  personal: 'erase_it_personal',
  audit: 'erase_it_audit',
};
const cassandraSchema = `cassandra.${env['ULA_CASSANDRA_KEYSPACE']}`;
const trino = trinoClient(stackTrinoAccess('ula_admin'));
const trinoViews = connect(stackTrinoAccess('ula_admin'));

const localDate = (e: LmsEvent) => new Date(Date.parse(e.time) + 7 * 3_600_000).toISOString().slice(0, 10);
const today = calendar.date(Date.now());
const first = addDays(today, -3);
const events = generateDays(7, first, 3, 200).filter((e) => localDate(e) < today);
const holds = (e: LmsEvent) => e.data.user_id === target || e.data['student_id'] === target;
const remaining = events.filter((e) => !holds(e));
const utcFirst = addDays(first, -1);

let lake: S3Store;
let store: ViewStore;

/** Everything Trino returns about the student: per place queried, the rows naming them. */
async function trinoFindings(): Promise<Record<string, number>> {
  const found: Record<string, number> = {};
  const count = async (place: string, sql: string) => {
    const [[n]] = (await trinoQuery(trino, sql)) as [[number]];
    if (Number(n) > 0) found[place] = Number(n);
  };
  const like = `'%${target}%'`;
  for (const category of categories) {
    await count(
      `raw.${category}`,
      `SELECT count(*) FROM lake.${lakeNames.schema}.${category} WHERE date >= '${utcFirst}' AND (user_id = '${target}' OR data LIKE ${like})`,
    );
    await count(
      `events.${category}`,
      `SELECT count(*) FROM lake.${lakeNames.events}.${category} WHERE date >= '${utcFirst}' AND (user_id = '${target}' OR data LIKE ${like})`,
    );
  }
  await count(
    'raw.xapi_statements',
    `SELECT count(*) FROM lake.${lakeNames.schema}.xapi_statements WHERE date >= '${utcFirst}' AND (user_id = '${target}' OR statement LIKE ${like})`,
  );
  await count(
    'personal.profile',
    `SELECT count(*) FROM lake.${lakeNames.personal}.profile WHERE date >= '${utcFirst}' AND (user_id = '${target}' OR original_user_id = '${target}' OR fields LIKE ${like})`,
  );
  const holding = (rows: Record<string, unknown>[]) =>
    rows.filter((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : v)).includes(target))
      .length;
  for (const r of records(await query(trinoViews, `SHOW TABLES FROM lake.${lakeNames.serving}`))) {
    const view = String(r['Table']);
    const n = holding(records(await query(trinoViews, `SELECT * FROM lake.${lakeNames.serving}.${view}`)));
    if (n > 0) found[`serving.${view}`] = n;
  }
  for (const r of records(await query(trinoViews, `SHOW TABLES FROM ${cassandraSchema}`))) {
    const table = String(r['Table']);
    const n = holding(records(await query(trinoViews, `SELECT * FROM ${cassandraSchema}.${table}`)));
    if (n > 0) found[`cassandra.${table}`] = n;
  }
  return found;
}

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build-functions.mjs', 'batch']);
  await resetStorage(env);
  lake = new S3Store({ bucket: env['ULA_S3_BUCKET']!, endpoint: env['ULA_S3_ENDPOINT']! });
  store = openViewStore({
    cassandra: {
      contactPoints: env['ULA_CASSANDRA_CONTACT_POINTS']!.split(','),
      localDataCenter: 'datacenter1',
      keyspace: env['ULA_CASSANDRA_KEYSPACE']!,
    },
    dataDir: '',
  });
  await writeLake(lake, events);
  const at = `${addDays(today, -2)}T03:00:00Z`;
  await writePersonalRows(
    lake,
    [
      { userId: target, originalUserId: null },
      { userId: 'SV008', originalUserId: null },
    ],
    at,
  );
  await writeStatements(lake, [target, 'SV008'], [at, `${addDays(today, -1)}T02:00:00Z`]);
  await writeSpeedFacts(store, events);
  await runBatch({
    request: { job: 'all', from: first, to: addDays(today, -1) },
    runId: 'erase-it-setup',
    lake,
    views: store,
    calendar,
  });
  await waitForTrino(trinoViews, 300_000);
  await ensureRawTables(trino, lakeNames);
  await applyMergedViews(trinoViews, { schema: `lake.${lakeNames.serving}`, cassandra: cassandraSchema });
}, 600_000);

afterAll(async () => {
  await store?.close();
  lake?.close();
});

describe('erasure on S3 + Cassandra + Trino', () => {
  it('erases the student through the built job: no Trino query and no API call returns them afterwards', async () => {
    const { get } = servingApp(store, calendar);
    const before = await trinoFindings();
    expect(Object.keys(before)).toEqual(
      expect.arrayContaining([
        'raw.auth',
        'personal.profile',
        'raw.xapi_statements',
        'cassandra.student_overview',
      ]),
    );
    expect((await get(`/api/v1/students/${target}`)).status).toBe(200);

    const dir = mkdtempSync(join(tmpdir(), 'ula-erase-it-'));
    writeFileSync(
      join(dir, 'event'),
      JSON.stringify({
        specversion: '1.0',
        id: `erase-${requestId}`,
        source: '/test/erase-it',
        type: batchRequestType,
        datacontenttype: 'application/json',
        data: { job: 'erase', user: target, events: true, request: requestId },
      }),
    );
    const started = Date.now();
    const job = spawnSync(process.execPath, ['functions/batch/build/index.js'], {
      env: { ...process.env, ...env, K_EVENT_PATH: dir },
      encoding: 'utf8',
      timeout: 300_000,
    });
    const seconds = (Date.now() - started) / 1000;
    expect(job.status, job.stderr).toBe(0);
    // The job's logs name the request, never the student.
    expect(job.stdout).toContain(requestId);
    expect(job.stdout + job.stderr).not.toContain(target);
    const report = JSON.parse(job.stdout.split('\n').find((l) => l.includes('"erasure_report"'))!).report;
    expect(report).toMatchObject({
      requestId,
      personalRows: 2,
      statementsRemoved: 2,
      eventsRemoved: events.length - remaining.length,
      aggregatesRecomputed: true,
    });
    console.log(`erasure job on the stack: ${seconds.toFixed(1)} s, report ${JSON.stringify(report)}`);

    expect(await trinoFindings()).toEqual({});
    expect((await get(`/api/v1/students/${target}`)).status).toBe(404);
    const list = await get(`/api/v1/students?q=${target}`);
    expect(list.status).toBe(200);
    expect(list.json.items).toEqual([]); // the answer echoes q, nothing else names the student
    await expectViewsMatchOracle(batchFixture(store, lake), remaining);

    // The audit record, through Trino: counts and the request id.
    const audit = (await trinoQuery(
      trino,
      `SELECT request_id, events, personal_rows, events_removed, aggregates_recomputed FROM lake.${lakeNames.audit}.erasure`,
    )) as unknown[][];
    expect(audit).toEqual([[requestId, true, 2, events.length - remaining.length, true]]);

    // The same event again: JobSink would not start it twice; run directly, the job says it is done.
    const again = spawnSync(process.execPath, ['functions/batch/build/index.js'], {
      env: { ...process.env, ...env, K_EVENT_PATH: dir },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('erasure_already_done');
    rmSync(dir, { recursive: true, force: true });
  }, 900_000);
});
