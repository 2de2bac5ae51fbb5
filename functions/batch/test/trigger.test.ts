import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDirStore } from '@ula/core/adapters/local-dir';
import { openSqliteViewStore, type SqliteViewStore } from '@ula/core/adapters/sqlite';
import { readRawRows, writeRawGroup } from '@ula/core/lake/raw-lake';
import {
  readXapiStatements,
  writeXapiStatements,
  type XapiStatementRow,
  xapiStatementsPrefix,
} from '@ula/core/lake/xapi-statements';
import { batchViewNamed } from '@ula/core/views/batch-catalogue';
import { batchTable } from '@ula/core/views/tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev, writeLake } from '../../core/test/batch-support.ts';
import { BatchTrigger } from '../src/trigger.ts';

const dir = mkdtempSync(join(tmpdir(), 'ula-trigger-'));
const env = {
  ULA_DATA_DIR: dir,
  ULA_TIMEZONE: 'Asia/Ho_Chi_Minh',
  ULA_S3_ENDPOINT: '',
  ULA_CASSANDRA_CONTACT_POINTS: '',
};
const command = [process.execPath, '--import', 'tsx', 'functions/batch/src/index.ts'];
let views: SqliteViewStore;
let trigger: BatchTrigger;
let failing: BatchTrigger;
let base: string;
let failingBase: string;

const event = (id: string, data: unknown = { job: 'auth', from: '2026-03-02', to: '2026-03-02' }) => ({
  specversion: '1.0',
  id,
  source: '/test/airflow',
  type: 'edu.lms.batch.request',
  datacontenttype: 'application/json',
  data,
});
const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/jobs/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents+json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
async function waitFor(url: string, location: string): Promise<Response> {
  for (let i = 0; i < 300; i++) {
    const res = await fetch(`${url}${location}`);
    if (res.status !== 202) return res;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error('run did not finish');
}

beforeAll(async () => {
  const { ULA_S3_ENDPOINT: _s3, ULA_CASSANDRA_CONTACT_POINTS: _c, ...childEnv } = env;
  for (const name of ['ULA_S3_ENDPOINT', 'ULA_CASSANDRA_CONTACT_POINTS']) delete process.env[name];
  await writeLake(new LocalDirStore(join(dir, 'lake')), [
    ev('LOGIN', '2026-03-02T09:00', 'SV001', { session_id: '11111111-1111-4111-8111-111111111111' }),
    ev('LOGIN', '2026-03-02T10:00', 'SV002', { session_id: '22222222-2222-4222-8222-222222222222' }),
  ]);
  views = openSqliteViewStore(dir);
  trigger = new BatchTrigger({ port: 0, views, command, env: childEnv, log: () => {} });
  base = `http://127.0.0.1:${await trigger.listen()}`;
  failing = new BatchTrigger({
    port: 0,
    views,
    command,
    env: { ...childEnv, ULA_S3_ENDPOINT: 'http://127.0.0.1:9', ULA_S3_BUCKET: 'lake' },
    log: () => {},
  });
  failingBase = `http://127.0.0.1:${await failing.listen()}`;
});

afterAll(async () => {
  await trigger?.close();
  await failing?.close();
  await views?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('batch trigger (local JobSink)', () => {
  it('accepts a structured CloudEvent with 202 + Location, runs the job once, reports 200 when done', async () => {
    const first = await post(base, event('e1'));
    expect(first.status).toBe(202);
    const location = first.headers.get('location')!;
    expect(location).toMatch(/^\/jobs\/batch\/batch-[0-9a-f]{24}$/);
    const again = await post(base, event('e1'));
    expect(again.status).toBe(202);
    expect(again.headers.get('location')).toBe(location);
    expect(await again.json()).toMatchObject({ duplicate: true });

    const done = await waitFor(base, location);
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({
      status: 'succeeded',
      run: { job: 'auth', status: 'succeeded' },
    });
    const [dau] = await views.readPartition(batchTable(batchViewNamed('auth_daily_active_users')), {
      date: '2026-03-02',
    });
    expect(dau).toMatchObject({ daily_active_users: 2 });
  }, 60_000);

  it('accepts binary-mode CloudEvents', async () => {
    const res = await fetch(`${base}/jobs/batch`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': 'e2',
        'ce-source': '/test/airflow',
        'ce-type': 'edu.lms.batch.request',
      },
      body: JSON.stringify({ job: 'course', from: '2026-03-02', to: '2026-03-02' }),
    });
    expect(res.status).toBe(202);
    expect((await waitFor(base, res.headers.get('location')!)).status).toBe(200);
  }, 60_000);

  it('runs an erasure request; its log lines and status answer never name the user', async () => {
    const logs: unknown[] = [];
    const quiet = new BatchTrigger({
      port: 0,
      views,
      command,
      env: Object.fromEntries(
        Object.entries(env).filter(([k]) => !k.endsWith('ENDPOINT') && !k.endsWith('POINTS')),
      ),
      log: (entry) => logs.push(entry),
    });
    try {
      const url = `http://127.0.0.1:${await quiet.listen()}`;
      const res = await post(url, event('erase-1', { job: 'erase', user: 'SV002', request: 'ticket-1' }));
      expect(res.status).toBe(202);
      const accepted = await res.text();
      const done = await waitFor(url, res.headers.get('location')!);
      expect(done.status).toBe(200);
      const status = await done.text();
      expect(JSON.parse(status)).toMatchObject({
        status: 'succeeded',
        run: { job: 'erase', status: 'succeeded' },
      });
      expect(logs.length).toBeGreaterThan(0);
      expect(JSON.stringify(logs) + accepted + status).not.toContain('SV002');
      expect(JSON.stringify(logs)).toContain('ticket-1');
    } finally {
      await quiet.close();
    }
  }, 60_000);

  it('answers 400 to invalid requests and 404 to unknown runs', async () => {
    expect((await post(base, 'not json')).status).toBe(400);
    expect((await post(base, { ...event('e3'), type: 'edu.lms.other' })).status).toBe(400);
    const badRange = await post(base, event('e4', { job: 'auth', from: '2026-03-03', to: '2026-03-02' }));
    expect(badRange.status).toBe(400);
    expect(await badRange.json()).toMatchObject({
      error: expect.stringMatching(/from \(2026-03-03\) is after to/),
    });
    expect(
      (await post(base, event('e5', { job: 'nope', from: '2026-03-02', to: '2026-03-02' }))).status,
    ).toBe(400);
    const plain = await fetch(`${base}/jobs/batch`, { method: 'POST', body: '{}' });
    expect(plain.status).toBe(400);
    expect((await fetch(`${base}/jobs/batch/batch-000000000000000000000000`)).status).toBe(404);
  });

  it('reports a failed job with 400 and its error', async () => {
    const res = await post(failingBase, event('e6'));
    expect(res.status).toBe(202);
    const done = await waitFor(failingBase, res.headers.get('location')!);
    expect(done.status).toBe(400);
    expect(await done.json()).toMatchObject({ status: 'failed', error: expect.stringMatching(/lake error/) });
  }, 60_000);

  it('runs a compact request: one file per closed hour of each table, the same rows, the run in batch_runs', async () => {
    // Two ingest files in the (closed) hour video/2026-03-10/05 UTC, one event in both (a redelivery).
    const lake = new LocalDirStore(join(dir, 'lake'));
    const partition = { date: '2026-03-10', hour: '05' };
    const watched = (time: string, user: string) =>
      ev('VIDEO_WATCHED', `${time}Z`, user, { video_id: 'VID1', course_id: 'C1', watch_duration: 60 });
    const [a, b, c] = [
      watched('2026-03-10T05:01:00', 'SV001'),
      watched('2026-03-10T05:20:00', 'SV002'),
      watched('2026-03-10T05:40:00', 'SV003'),
    ];
    await writeRawGroup(lake, { category: 'video', partition, events: [a!, b!] });
    await writeRawGroup(lake, { category: 'video', partition, events: [b!, c!] });
    const prefix = 'raw/video/date=2026-03-10/hour=05/';
    expect(await lake.list(prefix)).toHaveLength(2);
    // Two statement files in the same hour of stored: s2 resent (stored later) after a crash of the LRS.
    const statement = (id: string, stored: string): XapiStatementRow => ({
      statement_id: id,
      verb: 'http://adlnet.gov/expapi/verbs/experienced',
      activity_type: '',
      object_id: 'https://lms.example.edu/page/1',
      user_id: 'SV001',
      registration: null,
      rule: null,
      event_ids: '',
      event_types: '',
      statement_time: new Date(`${stored}Z`),
      stored: new Date(`${stored}Z`),
      version: '1.0.3',
      statement: JSON.stringify({ id, stored }),
    });
    const [s1, s2, s2Resent] = [
      statement('0195eeee-0000-4000-8000-000000000001', '2026-03-10T05:02:00'),
      statement('0195eeee-0000-4000-8000-000000000002', '2026-03-10T05:03:00'),
      statement('0195eeee-0000-4000-8000-000000000002', '2026-03-10T05:09:00'),
    ];
    await writeXapiStatements(lake, [s1!, s2!]);
    await writeXapiStatements(lake, [s2Resent!]);
    expect(await lake.list(xapiStatementsPrefix)).toHaveLength(2);

    const res = await post(base, event('e7', { job: 'compact', from: '2026-03-10', to: '2026-03-10' }));
    expect(res.status).toBe(202);
    const done = await waitFor(base, res.headers.get('location')!);
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({
      status: 'succeeded',
      run: {
        job: 'compact',
        status: 'succeeded',
        range_from: '2026-03-10',
        range_to: '2026-03-10',
        events_read: 3 + 2,
        rows_written: 2,
      },
    });
    const files = await lake.list(prefix);
    expect(files).toHaveLength(1);
    const rows = await readRawRows(lake, files[0]!.key);
    expect(rows.map((r) => r.event_id)).toEqual([a!.id, b!.id, c!.id]);
    expect(await lake.list(xapiStatementsPrefix)).toHaveLength(1);
    expect(await readXapiStatements(lake)).toEqual([s1, s2]);
  }, 60_000);
});
