/**
 * End to end on the real local stack, wired as in production:
 *   generator → Kafka (6 topics, binary CloudEvents, malformed records mixed in)
 *   → dispatcher (the KafkaSource stand-in) → ingest + speed under faas-js-runtime → S3 lake + Cassandra
 *   → Airflow `airflow dags test batch_layer_pipeline` → batch trigger (JobSink stand-in) → batch views
 *   → serving API and Trino, checked against an independent computation over the generated events.
 * Isolation: its own bucket and keyspace, its own consumer groups starting at the topics' current ends.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { backfill, createUniversity, type GeneratedItem, live } from '@ula/tools/generator/index';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lakeStore } from '../../functions/core/src/adapters/object-stores.ts';
import { loadConfig } from '../../functions/core/src/config.ts';
import { categories, type LmsEvent } from '../../functions/core/src/events/envelope.ts';
import { readDeadLetters } from '../../functions/core/src/lake/dead-letter.ts';
import { listRawPartitions, readRawRows } from '../../functions/core/src/lake/raw-lake.ts';
import { trinoClient, trinoQuery } from '../../functions/core/src/lake/trino-tables.ts';
import {
  buildFunction,
  freePort,
  type RunningFunction,
  startFunction,
} from '../../functions/speed/test/function-process.ts';
import { stackTrinoAccess } from '../stack/trino-credentials.ts';

import {
  cassandraClient,
  consumerGroupsAtEnd,
  dispatchToFunctions,
  produce,
  resetStorage,
  stackEnv,
  stackKafka,
} from './stack-run.ts';

const root = join(import.meta.dirname, '../..');

const run = Date.now().toString(36);
const keyspace = 'lms_e2e';
const bucket = 'lake-e2e';
const env = stackEnv({ keyspace, bucket });

// The oracle's calendar: Asia/Ho_Chi_Minh is UTC+7 all year.
const localDate = (iso: string) => new Date(Date.parse(iso) + 7 * 3_600_000).toISOString().slice(0, 10);
const addDays = (date: string, n: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const today = localDate(new Date().toISOString());
const historyDays = 3;
const firstDay = addDays(today, -historyDays);
const yesterday = addDays(today, -1);

const produced: GeneratedItem[] = [];
const processes: ChildProcess[] = [];
const functions: RunningFunction[] = [];
let api = '';
let dispatcherCounts: Record<string, { delivered: number; deadLettered: number }> = {};
/** Raw files per (category, UTC date, hour) partition, before the compaction run. */
let lakeBefore = new Map<string, string[]>();
const compaction = { started: 0, ended: 0 };
const deadLetterReasons: Record<string, string[]> = { ingest: [], speed: [] };
const timings: Record<string, number> = {};
const t0 = Date.now();
const mark = (name: string) => {
  timings[name] = (Date.now() - t0) / 1000;
};

beforeAll(async () => {
  for (const name of ['ingest', 'speed', 'serving', 'batch']) buildFunction(name);
  await resetStorage(env);
  mark('storage reset');

  // History: complete local days before today; live: today, now (inside the speed layer's lateness).
  const university = createUniversity({ seed: 'e2e', students: 300, teachers: 12, courses: 24 });
  const end = Date.parse(`${today}T00:00:00+07:00`);
  for (const item of backfill(university, {
    days: historyDays,
    end,
    malformedRate: 0.01,
    duplicateRate: 0.01,
  })) {
    produced.push(item);
  }
  for await (const item of live(university, {
    rate: 200,
    limit: 400,
    malformedRate: 0.01,
    duplicateRate: 0.01,
  })) {
    produced.push(item);
  }
  mark('generated');

  const ingest = await startFunction(env, { name: 'ingest' });
  const speed = await startFunction(env, { name: 'speed' });
  const serving = await startFunction(env, { name: 'serving', readyPath: '/health/liveness' });
  functions.push(ingest, speed, serving);
  api = serving.url;

  // Fresh consumer groups that start where the shared topics end now, so only this run is dispatched.
  const kafka = stackKafka(env, `e2e-${run}`);
  const groupPrefix = `e2e-${run}`;
  await consumerGroupsAtEnd(kafka, groupPrefix, ['ingest', 'speed']);

  await produce(kafka, produced);
  mark('produced to kafka');
  const dispatcher = await dispatchToFunctions(
    env,
    groupPrefix,
    { ingest: ingest.url, speed: speed.url },
    (sink, outcome) => {
      if (!outcome.delivered)
        deadLetterReasons[sink.name]!.push(`${outcome.status} ${outcome.reason.slice(0, 200)}`);
    },
  );
  const total = produced.length;
  const deadline = Date.now() + 300_000;
  const done = (c = dispatcher.counts) =>
    ['ingest', 'speed'].every((s) => (c[s]?.delivered ?? 0) + (c[s]?.deadLettered ?? 0) >= total);
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  dispatcherCounts = structuredClone(dispatcher.counts);
  await dispatcher.stop();
  mark('dispatched');

  // Airflow runs the DAG against the batch trigger for the history days.
  const triggerPort = await freePort();
  const trigger = spawn(process.execPath, ['--import', 'tsx', join(root, 'functions/batch/src/trigger.ts')], {
    cwd: root,
    env: { ...process.env, ...env, ULA_BATCH_TRIGGER_PORT: String(triggerPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  processes.push(trigger);
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`http://127.0.0.1:${triggerPort}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const airflowHome = join(root, '.stack/airflow');
  const dagsTest = (dag: string, conf: Record<string, string>) =>
    execFileSync(
      join(root, '.cache/airflow-venv/bin/airflow'),
      ['dags', 'test', dag, new Date().toISOString(), '--conf', JSON.stringify(conf)],
      {
        cwd: root,
        stdio: 'pipe',
        timeout: 900_000,
        env: {
          ...process.env,
          AIRFLOW_HOME: airflowHome,
          AIRFLOW__CORE__DAGS_FOLDER: join(root, 'airflow/dags'),
          AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
          AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${join(airflowHome, 'airflow.db')}`,
          AIRFLOW_CONN_BATCH_JOBSINK: JSON.stringify({
            conn_type: 'http',
            host: '127.0.0.1',
            port: triggerPort,
            schema: 'http',
          }),
          ULA_JOBSINK_PATH: '/jobs/batch',
          ULA_AIRFLOW_POKE_INTERVAL_SECONDS: '1',
          ULA_AIRFLOW_RETRIES: '0',
        },
      },
    );
  // The hourly compaction first (its UTC dates span the history and today: every hour boundary of them),
  // then the daily batch reads the compacted lake, as in production.
  lakeBefore = await lakeFiles();
  compaction.started = Date.now();
  dagsTest('lake_compaction', { from: addDays(firstDay, -1), to: addDays(today, 1) });
  compaction.ended = Date.now();
  mark('airflow compaction run');
  dagsTest('batch_layer_pipeline', { from: firstDay, to: yesterday });
  mark('airflow dag run');
}, 1_500_000);

afterAll(async () => {
  await Promise.all(functions.map((f) => f.stop()));
  for (const p of processes) p.kill('SIGTERM');
  console.log(JSON.stringify({ e2e: { events: produced.length, timings } }));
});

// ------------------------------------------------------------------------------------------- oracle

const events = (): LmsEvent[] => {
  const seen = new Map<string, LmsEvent>();
  for (const item of produced) if (item.kind === 'event') seen.set(item.event.id, item.event);
  return [...seen.values()];
};
const malformedCount = () => produced.filter((i) => i.kind === 'malformed').length;

function loginUsers(day: string): Set<string> {
  const users = new Set<string>();
  for (const e of events())
    if (e.eventType === 'LOGIN' && localDate(e.time) === day) users.add(e.data.user_id);
  return users;
}
const dailyActiveUsers = (day: string) => loginUsers(day).size;

/** The members stored for one speed window and metric (read straight from Cassandra, for diagnostics). */
async function speedMembers(view: string, windowStart: number, metric: string): Promise<Set<string>> {
  const client = cassandraClient(env);
  const result = await client.execute(
    `SELECT member FROM ${keyspace}.${view} WHERE window_start = ? AND metric = ?`,
    [new Date(windowStart), metric],
    { prepare: true, fetchSize: 100_000 },
  );
  await client.shutdown();
  return new Set(result.rows.map((r) => r['member'] as string));
}

function videoPopularity(): Map<string, { viewers: number; seconds: number }> {
  const byVideo = new Map<string, { viewers: Set<string>; seconds: number }>();
  for (const e of events()) {
    if (e.eventType !== 'VIDEO_WATCHED' || e.data.role !== 'student' || localDate(e.time) > yesterday)
      continue;
    const id = `${e.data['video_id']}/${e.data['course_id']}`;
    const v = byVideo.get(id) ?? { viewers: new Set(), seconds: 0 };
    v.viewers.add(e.data.user_id);
    v.seconds += e.data['watch_duration_seconds'] as number;
    byVideo.set(id, v);
  }
  return new Map([...byVideo].map(([id, v]) => [id, { viewers: v.viewers.size, seconds: v.seconds }]));
}

/** The lake's raw files per partition (category/date/hour). */
async function lakeFiles(): Promise<Map<string, string[]>> {
  const store = lakeStore(loadConfig(env));
  const out = new Map<string, string[]>();
  for (const category of categories) {
    for (const file of await listRawPartitions(store, category, addDays(firstDay, -1), addDays(today, 1))) {
      const partition = `${category}/${file.date}/${file.hour}`;
      out.set(partition, [...(out.get(partition) ?? []), file.key]);
    }
  }
  return out;
}
/** An hour is closed for compaction 10 minutes after its end (ULA_COMPACTION_LATENESS_MINUTES). */
const closedBefore = (partition: string, at: number) => {
  const [, date, hour] = partition.split('/');
  return Date.parse(`${date}T${hour}:00:00Z`) + 3_600_000 + 600_000 <= at;
};

const trinoRows = (sql: string) => trinoQuery(trinoClient(stackTrinoAccess('ula_admin')), sql);

// ------------------------------------------------------------------------------------------- checks

describe('end to end on the real local stack', () => {
  it('delivers every produced record to ingest and speed: malformed ones dead-lettered, the rest acknowledged', () => {
    const distinctValid = events().length;
    expect(malformedCount()).toBeGreaterThan(0);
    expect(dispatcherCounts['ingest']).toEqual({
      delivered: produced.length - malformedCount(),
      deadLettered: malformedCount(),
    });
    expect(
      dispatcherCounts['speed']!.deadLettered,
      deadLetterReasons['speed']!.filter((r) => !r.startsWith('4')).join('\n'),
    ).toBe(malformedCount());
    expect(distinctValid).toBeLessThan(produced.length - malformedCount()); // duplicates were injected
  });

  it('compacts every closed hour into one file (across hour and day boundaries), open hours untouched', async () => {
    const after = await lakeFiles();
    const closed = [...lakeBefore.keys()].filter((p) => closedBefore(p, compaction.started));
    // The history's closed hours held many small files; each now holds one.
    expect(closed.length).toBeGreaterThan(24);
    expect(closed.reduce((n, p) => n + lakeBefore.get(p)!.length, 0)).toBeGreaterThan(closed.length);
    for (const p of closed) expect(after.get(p), p).toHaveLength(1);
    const open = [...lakeBefore.keys()].filter((p) => !closedBefore(p, compaction.ended));
    for (const p of open) expect(after.get(p), p).toEqual(lakeBefore.get(p));
  });

  it('accounts for every event: each delivery once in the lake (repeats only where the producer re-sent), each malformed one in dead-letter', async () => {
    const store = lakeStore(loadConfig(env));
    const ids: string[] = [];
    for (const category of categories) {
      for (const file of await listRawPartitions(store, category, addDays(firstDay, -1), addDays(today, 1))) {
        for (const row of await readRawRows(store, file.key)) ids.push(row.event_id);
      }
    }
    // The lake is the raw master dataset: every valid event is there, and an id appears at most as often as
    // it was sent (the generator re-sends some events, as an at-least-once producer does; ingest may merge a
    // re-send that lands in the same group commit). The batch views dedup by id.
    expect(new Set(ids)).toEqual(new Set(events().map((e) => e.id)));
    const sent = new Map<string, number>();
    for (const item of produced)
      if (item.kind === 'event') sent.set(item.event.id, (sent.get(item.event.id) ?? 0) + 1);
    const stored = new Map<string, number>();
    for (const id of ids) stored.set(id, (stored.get(id) ?? 0) + 1);
    const overStored = [...stored].filter(([id, n]) => n > (sent.get(id) ?? 0));
    expect(overStored).toEqual([]);
    expect((await readDeadLetters(store)).length).toBe(malformedCount());
  });

  it('keeps no personal field in the lake (ULA_PII unset): the raw files and dead letters hold none of the produced personal values', async () => {
    const store = lakeStore(loadConfig(env));
    const personalValues = new Set<string>();
    for (const e of events())
      for (const field of ['email', 'full_name', 'phone_number', 'date_of_birth', 'new_email', 'new_phone'])
        if (typeof e.data[field] === 'string') personalValues.add(e.data[field] as string);
    expect(personalValues.size).toBeGreaterThan(20);
    const kept: string[] = [];
    for (const category of ['profile', 'auth'] as const) {
      for (const file of await listRawPartitions(store, category, addDays(firstDay, -1), addDays(today, 1)))
        for (const row of await readRawRows(store, file.key)) kept.push(row.data);
    }
    expect(kept.length).toBeGreaterThan(0);
    const text = `${kept.join('\n')}\n${JSON.stringify(await readDeadLetters(store))}`;
    expect([...personalValues].filter((v) => text.includes(JSON.stringify(v)))).toEqual([]);
    expect(await store.list('personal/')).toEqual([]);
  });

  it('serves daily active users equal to the oracle: batch days before the watermark, speed for today', async () => {
    const body = (await (
      await fetch(`${api}/api/v1/daily-active-users?from=${firstDay}&to=${today}`)
    ).json()) as {
      days: { date: string; source: string; daily_active_users: number }[];
    };
    const byDay = new Map(body.days.map((d) => [d.date, d]));
    for (let day = firstDay; day <= yesterday; day = addDays(day, 1)) {
      expect(byDay.get(day), day).toMatchObject({
        source: 'batch',
        daily_active_users: dailyActiveUsers(day),
      });
    }
    const expectedToday = loginUsers(today);
    const stored = await speedMembers(
      'daily_active_users_live',
      Date.parse(`${today}T00:00:00+07:00`),
      'daily_active_users',
    );
    const diff = {
      unexpected: [...stored].filter((u) => !expectedToday.has(u)).slice(0, 10),
      missing: [...expectedToday].filter((u) => !stored.has(u)).slice(0, 10),
    };
    expect(byDay.get(today), JSON.stringify(diff)).toMatchObject({
      source: 'speed',
      daily_active_users: expectedToday.size,
    });
    expect(dailyActiveUsers(today)).toBeGreaterThan(0);
  });

  it('answers the same numbers through Trino as the oracle (daily active users, video popularity)', async () => {
    const dau = await trinoRows(
      `SELECT CAST(date AS varchar), daily_active_users FROM cassandra.${keyspace}.auth_daily_active_users`,
    );
    const expectedDau = [];
    for (let day = firstDay; day <= yesterday; day = addDays(day, 1))
      expectedDau.push([day, dailyActiveUsers(day)]);
    expect(dau.map(([d, n]) => [d, Number(n)]).sort()).toEqual(expectedDau.filter(([, n]) => n !== 0).sort());

    const videos = await trinoRows(
      `SELECT video_id || '/' || course_id, unique_viewers, total_views_seconds FROM cassandra.${keyspace}.video_popularity ORDER BY total_views_seconds DESC`,
    );
    const expected = videoPopularity();
    expect(videos.length).toBe(expected.size);
    for (const [id, viewers, seconds] of videos) {
      expect([Number(viewers), Number(seconds)], String(id)).toEqual([
        expected.get(String(id))?.viewers,
        expected.get(String(id))?.seconds,
      ]);
    }
  });
});
