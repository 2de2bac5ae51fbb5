/**
 * The post-deploy checks of scripts/verify_deploy.sh, the same against a cluster (through port-forwards) and
 * against the local stack (--local): only the endpoints differ.
 *
 *  1. kafka:  one VIDEO_WATCHED CloudEvent with a unique id, user, course and video, produced in Kafka binary
 *             mode to its category topic (what the LMS does; the KafkaSources / the local dispatcher deliver it);
 *  2. lake:   ingest wrote it: a Parquet object under raw/video/date=…/hour=…/ holding its id (S3, when an
 *             S3 endpoint is given), and Trino's lake.events.video has exactly one row with its id (partition
 *             projection: no sync step);
 *  3. speed:  the speed layer counted it: the serving API's speed view course_popularity has a row for its
 *             (unique) course in the last minutes (Cassandra through the API);
 *  4. batch:  one batch-request CloudEvent POSTed to the JobSink (structured mode, as the Airflow DAG does):
 *             202, then its run in batch_runs (Trino's cassandra catalog) reaches `succeeded`;
 *  5. api:    the serving API answers /api/v1/health with the bearer token, and 401 without it;
 *  6. xapi:   (when an LRS endpoint is given) one `registered` statement for a unique Open edX course POSTed to
 *             <base>/statements with the LRS's Basic credentials, as an LMS does: 200 with its id, then the
 *             statement in Trino's lake.raw.xapi_statements (rule enrolment) and its COURSE_ENROLLED event in
 *             the speed view course_realtime_enrollment_rate (the API), through the KafkaSink and the topic.
 *
 * Each check prints `ok`/`FAIL`, its time and a detail; each wait has a timeout. Exit code 1 on any failure.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { kafkaClientConfig } from '../../functions/core/src/adapters/kafka-client.ts';
import { S3Store } from '../../functions/core/src/adapters/s3.ts';
import { batchRequestType, runIdOf } from '../../functions/core/src/batch/request.ts';
import { loadKafkaConnection } from '../../functions/core/src/config.ts';
import { toKafkaRecord } from '../../functions/core/src/events/cloudevents.ts';
import type { LmsEvent } from '../../functions/core/src/events/envelope.ts';
import { decodeRawParquet } from '../../functions/core/src/lake/parquet.ts';
import { rawPartitionPrefix, utcHourOf } from '../../functions/core/src/lake/paths.ts';
import type { TrinoAccess } from '../../functions/core/src/lake/trino-access.ts';
import { localCalendar } from '../../functions/core/src/views/time.ts';
import { connect, query, records } from '../../functions/serving/src/trino/views.ts';

export interface Endpoints {
  /** Kafka bootstrap servers. */
  kafkaBrokers: string[];
  /** Topic to produce to instead of the category's (to see the checks fail). */
  topic?: string | undefined;
  /** Trino and the user the checks read as (read-only: lake.events, lake.raw, the cassandra catalog). */
  trino: TrinoAccess;
  /** Base URL of the serving function (API), and the Host header to send (Kourier routes by host). */
  servingUrl: string;
  servingHost?: string | undefined;
  /** The API's bearer token (ULA_API_TOKEN); empty = the API is expected to be open. */
  apiToken: string;
  /** URL the batch request is POSTed to (JobSink: …/<namespace>/batch-jobs; local trigger: …/jobs/batch). */
  jobSinkUrl: string;
  /** S3 endpoint of the lake (optional: without it the lake is checked through Trino only). */
  s3?: { endpoint: string; bucket: string } | undefined;
  /** Cassandra keyspace seen by Trino's cassandra catalog. */
  keyspace: string;
  timeZone: string;
  /** Batch job to run (all, a job name) and its local date (default: yesterday). */
  batchJob: string;
  batchDate?: string | undefined;
  /** Timeout of each wait, ms. */
  timeoutMs: number;
  /** The xapi function: its `<base>` URL (…/xapi), the Host header (Kourier), its Basic credentials. */
  xapi?: { base: string; host?: string | undefined; username: string; password: string } | undefined;
}

interface Outcome {
  name: string;
  ok: boolean;
  ms: number;
  detail: string;
}

/** A UUID v7 (the events' id format: 48-bit Unix milliseconds, version 7, variant 10, random bits). */
function uuidV7(ms = Date.now()): string {
  const b = randomBytes(16);
  b.writeUIntBE(ms, 0, 6);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * GET with node:http, not fetch: fetch ignores a Host header, and the API behind Kourier is routed by host
 * (the port-forward reaches Kourier, the Host names the Knative Service).
 */
function httpGet(
  url: URL,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<{ status: number; ok: boolean; text: () => Promise<string> }> {
  return httpSend('GET', url, headers, undefined, timeoutMs);
}

function httpSend(
  method: string,
  url: URL,
  headers: Record<string, string>,
  body: string | undefined,
  timeoutMs: number,
): Promise<{ status: number; ok: boolean; text: () => Promise<string> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ status, ok: status >= 200 && status < 300, text: async () => body });
      });
    });
    req.on('timeout', () =>
      req.destroy(new Error(`${method} ${url.pathname}: no answer in ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Polls `probe` until it returns a value; throws with the last state after `timeoutMs`. */
async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<{ value?: T | undefined; state?: string | undefined }>,
  intervalMs = 500,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let state = 'not tried';
  for (;;) {
    try {
      const r = await probe();
      if (r.value !== undefined) return r.value;
      state = r.state ?? state;
    } catch (error) {
      state = (error as Error).message.split('\n')[0] ?? String(error);
    }
    if (Date.now() >= until) throw new Error(`${what}: timed out after ${seconds(timeoutMs)} (${state})`);
    await sleep(intervalMs);
  }
}

export async function runChecks(
  e: Endpoints,
  print: (line: string) => void = (l) => console.log(l),
): Promise<boolean> {
  const outcomes: Outcome[] = [];
  const check = async (name: string, run: () => Promise<string>) => {
    const t0 = Date.now();
    let outcome: Outcome;
    try {
      outcome = { name, ok: true, ms: Date.now() - t0, detail: await run() };
      outcome.ms = Date.now() - t0;
    } catch (error) {
      outcome = { name, ok: false, ms: Date.now() - t0, detail: (error as Error).message };
    }
    outcomes.push(outcome);
    print(
      `${outcome.ok ? 'ok  ' : 'FAIL'} ${name.padEnd(14)} ${seconds(outcome.ms).padStart(7)}  ${outcome.detail}`,
    );
    return outcome.ok;
  };

  const trino = connect(e.trino);
  const calendar = localCalendar(e.timeZone);
  const tag = randomUUID().slice(0, 8);
  const now = Date.now();
  const event = {
    id: uuidV7(now),
    category: 'video',
    eventType: 'VIDEO_WATCHED',
    time: new Date(now).toISOString(),
    data: {
      user_id: `verify-${tag}`,
      role: 'student',
      course_id: `VERIFY-C-${tag}`,
      video_id: `VERIFY-V-${tag}`,
      watch_duration_seconds: 42,
      video_duration_seconds: 600,
      session_id: randomUUID(),
    },
  } as unknown as LmsEvent;
  const hour = utcHourOf(event.time);
  const headers = (withToken = true): Record<string, string> => ({
    ...(withToken && e.apiToken ? { authorization: `Bearer ${e.apiToken}` } : {}),
    ...(e.servingHost ? { host: e.servingHost } : {}),
  });
  const api = (path: string, withToken = true) =>
    httpGet(new URL(path, e.servingUrl), headers(withToken), 10_000);

  print(
    `verify: event ${event.id} (video, course ${event.data.course_id}), Kafka ${e.kafkaBrokers.join(',')}, ` +
      `Trino ${e.trino.server} (as ${e.trino.user}), API ${e.servingUrl}, JobSink ${e.jobSinkUrl}; timeout ${seconds(e.timeoutMs)} per wait`,
  );

  // 1. Kafka.
  const sent = await check('kafka send', async () => {
    const record = toKafkaRecord(event);
    const topic = e.topic ?? record.topic;
    // TLS and SASL from ULA_KAFKA_* (verify_deploy.sh sets them from the Secret ula-kafka).
    const kafka = new Kafka(
      kafkaClientConfig(loadKafkaConnection(process.env, e.kafkaBrokers), 'ula-verify', {
        logLevel: logLevel.NOTHING,
        connectionTimeout: 5_000,
        retry: { retries: 3 },
      }),
    );
    const producer = kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    try {
      const [meta] = await producer.send({
        topic,
        acks: -1,
        timeout: e.timeoutMs,
        messages: [{ key: record.key, value: record.value, headers: record.headers }],
      });
      return `${topic} partition ${meta?.partition} offset ${meta?.baseOffset}`;
    } finally {
      await producer.disconnect();
    }
  });
  const needSent = () => {
    if (!sent) throw new Error('no event was sent');
  };

  // 2. The lake: S3 object, then Trino.
  if (e.s3) {
    const s3 = e.s3;
    await check('lake (S3)', async () => {
      needSent();
      const store = new S3Store({ bucket: s3.bucket, endpoint: s3.endpoint });
      const prefix = rawPartitionPrefix('video', hour);
      const seen = new Set<string>();
      try {
        const key = await waitFor('raw Parquet object holding the event', e.timeoutMs, async () => {
          const objects = await store.list(prefix);
          for (const o of objects) {
            if (seen.has(o.key) || o.lastModified.getTime() < now - 60_000) continue;
            seen.add(o.key);
            const bytes = await store.get(o.key);
            if (bytes && (await decodeRawParquet(bytes)).some((r) => r.event_id === event.id))
              return { value: o.key };
          }
          return { state: `${objects.length} objects under s3://${s3.bucket}/${prefix}, none holds it` };
        });
        return `s3://${s3.bucket}/${key}`;
      } finally {
        store.close();
      }
    });
  }
  await check('lake (Trino)', async () => {
    needSent();
    const sql =
      `SELECT count(*) AS n FROM lake.events.video WHERE date = '${hour.date}' AND hour = '${hour.hour}' ` +
      `AND event_id = '${event.id}'`;
    const n = await waitFor('lake.events.video row', e.timeoutMs, async () => {
      const count = Number((await query(trino, sql)).rows[0]?.[0] ?? 0);
      return count > 0 ? { value: count } : { state: 'no row yet' };
    });
    if (n !== 1) throw new Error(`lake.events.video has ${n} rows for the event (expected 1)`);
    return `lake.events.video date=${hour.date} hour=${hour.hour}: 1 row`;
  });

  // 3. The speed layer, read through the API.
  await check('speed view', async () => {
    needSent();
    const course = event.data.course_id as string;
    const path = `/api/v1/views/course_popularity?minutes=15&course_id=${encodeURIComponent(course)}`;
    const rows = await waitFor('course_popularity row', e.timeoutMs, async () => {
      const res = await api(path);
      if (!res.ok) return { state: `GET ${path}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}` };
      const body = JSON.parse(await res.text()) as { items?: Record<string, unknown>[] };
      const items = body.items ?? [];
      return items.length > 0 ? { value: items } : { state: 'no row yet' };
    });
    return `course_popularity (speed) ${rows.length} row(s) for ${course}, window ${String(rows[0]?.['window_start'])}`;
  });

  // 4. One batch run through the JobSink.
  await check('batch run', async () => {
    const date = e.batchDate ?? calendar.date(calendar.startOfDate(calendar.date(now)) - 1);
    const request = {
      specversion: '1.0',
      id: `verify-${event.id}`,
      source: '/ula/verify-deploy',
      type: batchRequestType,
      datacontenttype: 'application/json',
      data: { job: e.batchJob, from: date, to: date },
    };
    const runId = runIdOf(request.source, request.id);
    const res = await fetch(e.jobSinkUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(30_000),
    });
    if (res.status !== 202 && res.status !== 200)
      throw new Error(`POST ${e.jobSinkUrl}: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
    const sql = `SELECT status, error, rows_written FROM cassandra.${e.keyspace}.batch_runs WHERE run_id = '${runId}'`;
    const run = await waitFor(
      `batch run ${runId}`,
      e.timeoutMs,
      async () => {
        const [row] = records(await query(trino, sql));
        if (!row) return { state: 'not in batch_runs yet' };
        if (row['status'] === 'running') return { state: 'running' };
        return { value: row };
      },
      1000,
    );
    if (run['status'] !== 'succeeded')
      throw new Error(`batch run ${runId} ${String(run['status'])}: ${String(run['error'] ?? '')}`);
    return `job ${e.batchJob} ${date}: run ${runId} succeeded, ${String(run['rows_written'])} rows written`;
  });

  // 5. The API and its token.
  await check('api token', async () => {
    const res = await api('/api/v1/health');
    if (res.status !== 200)
      throw new Error(
        `GET /api/v1/health with the token: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`,
      );
    const body = JSON.parse(await res.text()) as Record<string, unknown>;
    if (!e.apiToken) return `/api/v1/health 200 (no token configured: the API is open)`;
    const anonymous = await api('/api/v1/health', false);
    if (anonymous.status !== 401)
      throw new Error(`GET /api/v1/health without the token: HTTP ${anonymous.status}, expected 401`);
    // The token given is a read one (the deploy's read-token; --local: ULA_API_TOKEN, read+admin): resolving
    // an id to a person needs the privacy scope.
    const identity = await api(`/api/v1/privacy/users/verify-${tag}`);
    if (identity.status !== 403)
      throw new Error(`GET /api/v1/privacy/users/… with a read token: HTTP ${identity.status}, expected 403`);
    return `/api/v1/health 200 with the token (${Object.keys(body).join(', ')}), 401 without; the privacy route 403 with it`;
  });

  // 6. The LRS: a statement as an LMS sends it, into the lake table and, as an event, a speed view.
  if (e.xapi) {
    const lrs = e.xapi;
    const courseId = `course-v1:ULA+VERIFY${tag}+X`;
    const statement = {
      id: randomUUID(),
      actor: { objectType: 'Agent', account: { homePage: 'https://verify.example', name: `verify-${tag}` } },
      verb: { id: 'http://adlnet.gov/expapi/verbs/registered', display: { 'en-US': 'registered' } },
      object: {
        objectType: 'Activity',
        id: `https://verify.example/courses/${courseId}`,
        definition: { type: 'http://adlnet.gov/expapi/activities/course' },
      },
      timestamp: new Date(now).toISOString(),
    };
    const posted = await check('xapi post', async () => {
      const res = await httpSend(
        'POST',
        new URL(`${lrs.base.replace(/\/+$/, '')}/statements`),
        {
          'content-type': 'application/json',
          'x-experience-api-version': '1.0.3',
          authorization: `Basic ${Buffer.from(`${lrs.username}:${lrs.password}`).toString('base64')}`,
          ...(lrs.host ? { host: lrs.host } : {}),
        },
        JSON.stringify([statement]),
        30_000,
      );
      const text = await res.text();
      if (res.status !== 200 || text !== JSON.stringify([statement.id]))
        throw new Error(`POST ${lrs.base}/statements: HTTP ${res.status} ${text.slice(0, 300)}`);
      return `statement ${statement.id} (registered, ${courseId}) stored: 200`;
    });
    await check('xapi lake', async () => {
      if (!posted) throw new Error('no statement was stored');
      const sql =
        `SELECT rule, event_types FROM lake.raw.xapi_statements WHERE date >= ` +
        `'${utcHourOf(new Date(now).toISOString()).date}' AND statement_id = '${statement.id}'`;
      const found = await waitFor('lake.raw.xapi_statements row', e.timeoutMs, async () => {
        const rows = (await query(trino, sql)).rows;
        return rows.length > 0 ? { value: rows } : { state: 'no row yet' };
      });
      if (found.length !== 1) throw new Error(`${found.length} rows for the statement (expected 1)`);
      const [rule, types] = found[0] as [string | null, string];
      if (rule !== 'enrolment' || types !== 'COURSE_ENROLLED')
        throw new Error(`stored with rule ${rule} and events ${types}, expected enrolment / COURSE_ENROLLED`);
      return `lake.raw.xapi_statements: 1 row, rule enrolment → COURSE_ENROLLED`;
    });
    await check('xapi view', async () => {
      if (!posted) throw new Error('no statement was stored');
      const path = `/api/v1/views/course_realtime_enrollment_rate?minutes=15&course_id=${encodeURIComponent(courseId)}`;
      const rows = await waitFor('course_realtime_enrollment_rate row', e.timeoutMs, async () => {
        const res = await api(path);
        if (!res.ok) return { state: `GET ${path}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}` };
        const items = (JSON.parse(await res.text()) as { items?: Record<string, unknown>[] }).items ?? [];
        return items.length > 0 ? { value: items } : { state: 'no row yet' };
      });
      const enrollments = rows.reduce((n, r) => n + Number(r['enrollments'] ?? 0), 0);
      if (enrollments !== 1) throw new Error(`${enrollments} enrolments for ${courseId} (expected 1)`);
      return `course_realtime_enrollment_rate (speed): 1 enrolment for ${courseId}`;
    });
  }

  const failed = outcomes.filter((o) => !o.ok);
  print(
    `verify: ${outcomes.length - failed.length} passed, ${failed.length} failed` +
      (failed.length > 0 ? ` (${failed.map((o) => o.name).join(', ')})` : ''),
  );
  return failed.length === 0;
}
