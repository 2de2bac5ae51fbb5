/**
 * Every example query of trino/queries/examples.sql runs through trino-client against the real Trino and must
 * return at least one row:
 *
 * - the lake's Trino objects must already exist, as `npm run stack:up` (scripts/trino-lake.ts) and the Minikube
 *   deploy (Job trino-lake) create them: lake.raw.<category>, lake.events.<category> and every merged view of
 *   trino/views/merged.sql in lake.serving; nothing is skipped when one is missing;
 * - the queries run over a scratch keyspace seeded with the serving fixture (batch rows, speed facts and
 *   watermarks of yesterday and the last hour, computed by the view engine) and the merged views applied over
 *   it in lake.serving_examples, so they have rows to return whatever the live keyspace holds: each query's
 *   `lake.serving.` and `cassandra.lms_analytics.` are pointed there;
 * - the raw-lake example gets events of today written to the real lake (removed afterwards).
 */
import { randomUUID } from 'node:crypto';
import { localCalendar, openViewStore, type Row } from '@ula/core';
import { S3Store } from '@ula/core/adapters/s3';
import type { LmsEvent } from '@ula/core/events/envelope';
import { categories } from '@ula/core/events/envelope';
import { utcHourOf } from '@ula/core/lake/paths';
import { writeRawGroup } from '@ula/core/lake/raw-lake';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recreateKeyspace } from '../../../scripts/e2e/stack-run.ts';
import { stackTrinoAccess } from '../../../scripts/stack/trino-credentials.ts';
import {
  applyMergedViews,
  connect,
  exampleQueries,
  mergedViewStatements,
  query,
  records,
  waitForTrino,
} from '../src/trino/views.ts';
import { scenario, seed } from './fixture.ts';

const BUCKET = process.env['ULA_S3_BUCKET'] || 'lake';
process.env['AWS_ACCESS_KEY_ID'] ||= 'ula-local-access';
process.env['AWS_SECRET_ACCESS_KEY'] ||= 'ula-local-secret-key';
const contactPoints = process.env['ULA_CASSANDRA_CONTACT_POINTS'] ?? '127.0.0.1';
const keyspace = 'ula_trino_examples';
const servingSchema = 'lake.serving_examples';
const calendar = localCalendar('Asia/Ho_Chi_Minh');
// Creates a keyspace's views in a schema of its own: the admin.
const trino = connect(stackTrinoAccess('ula_admin'));
const store = new S3Store({
  bucket: BUCKET,
  endpoint: process.env['ULA_S3_ENDPOINT'] || 'http://127.0.0.1:9000',
});
/** Raw files this test writes (deleted after). */
const keys: string[] = [];
/** The merged views merged.sql declares (in lake.serving). */
const mergedViews = mergedViewStatements()
  .map((s) => /VIEW\s+(\S+)/i.exec(s)?.[1])
  .filter((v): v is string => v !== undefined);
let applied: string[] = [];
let skipped: { view: string; missing: string[] }[] = [];
/** The batch rows the seed wrote, per view. */
let seeded: Map<string, Row[]> = new Map();

/** An example query pointed at the seeded keyspace and its merged views. */
const onSeeded = (sql: string) =>
  sql
    .replaceAll('lake.serving.', `${servingSchema}.`)
    .replaceAll('cassandra.lms_analytics.', `cassandra.${keyspace}.`);

beforeAll(async () => {
  await waitForTrino(trino);
  await recreateKeyspace(contactPoints, keyspace);
  const views = openViewStore({
    cassandra: { contactPoints: contactPoints.split(','), localDataCenter: 'datacenter1', keyspace },
    dataDir: '',
  });
  try {
    ({ batch: seeded } = await seed(views, scenario(calendar, 'x'), calendar));
  } finally {
    await views.close();
  }
  // Trino's Cassandra connector learns about a re-created keyspace's tables a moment later.
  const needed = new Set(
    [
      ...exampleQueries().map((e) => onSeeded(e.sql)),
      ...mergedViewStatements({ cassandra: `cassandra.${keyspace}` }),
    ].flatMap((sql) =>
      [...sql.matchAll(new RegExp(`cassandra\\.${keyspace}\\.(\\w+)`, 'g'))].map((m) => m[1]!),
    ),
  );
  for (let i = 0; ; i++) {
    const seen = new Set(
      records(await query(trino, `SHOW TABLES FROM cassandra.${keyspace}`)).map((r) => String(r['Table'])),
    );
    const missing = [...needed].filter((t) => !seen.has(t));
    if (missing.length === 0) break;
    if (i >= 120) throw new Error(`Trino does not see cassandra.${keyspace}: ${missing.join(', ')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  ({ applied, skipped } = await applyMergedViews(trino, {
    schema: servingSchema,
    cassandra: `cassandra.${keyspace}`,
    timeZone: 'Asia/Ho_Chi_Minh',
  }));
});
afterAll(async () => {
  for (const key of keys) await store.delete(key);
  store.close();
});

describe('Trino lake objects and example queries', () => {
  it('the stack created lake.raw, lake.events and every merged view in lake.serving', async () => {
    expect(mergedViews.length).toBeGreaterThanOrEqual(4);
    const present = new Set(
      records(
        await query(
          trino,
          "SELECT table_schema || '.' || table_name AS name FROM lake.information_schema.tables WHERE table_schema IN ('raw', 'events', 'serving')",
        ),
      ).map((r) => `lake.${String(r['name'])}`),
    );
    const expected = [...categories.flatMap((c) => [`lake.raw.${c}`, `lake.events.${c}`]), ...mergedViews];
    expect(expected.filter((name) => !present.has(name))).toEqual([]);
  });

  it('applies every merged view over the seeded keyspace (none skipped)', () => {
    expect(skipped).toEqual([]);
    expect(applied.filter((v) => v.startsWith(`${servingSchema}.`)).sort()).toEqual(
      mergedViews.map((v) => v.replace('lake.serving.', `${servingSchema}.`)).sort(),
    );
  });

  for (const example of exampleQueries()) {
    it(`runs ${example.name} and gets rows`, async () => {
      const sql = onSeeded(example.sql);
      expect(sql).not.toMatch(/lake\.serving\.|cassandra\.lms_analytics\./);
      const answer = await query(trino, sql);
      expect(answer.columns.length).toBeGreaterThan(0);
      expect(answer.rows.length, `${example.name} returned no rows`).toBeGreaterThan(0);
    });
  }

  it('counts raw events of today (UTC) per category, each event once', async () => {
    // A few events of today's UTC hour, each in two files (a redelivery), removed afterwards: the example must
    // see them (at least these; live traffic may add more) and count each once.
    const now = new Date();
    const base = { user_id: 'SV-trino-example', role: 'student' as const, session_id: randomUUID() };
    const made: Record<string, LmsEvent[]> = {
      auth: [1, 2, 3].map(() => ({
        id: randomUUID(),
        category: 'auth',
        eventType: 'LOGOUT',
        time: now.toISOString(),
        data: base,
      })),
      video: [1, 2].map((i) => ({
        id: randomUUID(),
        category: 'video',
        eventType: 'VIDEO_WATCHED',
        time: now.toISOString(),
        data: {
          ...base,
          video_id: `V${i}`,
          course_id: 'C1',
          watch_duration_seconds: 60,
          video_duration_seconds: 600,
        },
      })),
      assessment: [1].map(() => ({
        id: randomUUID(),
        category: 'assessment',
        eventType: 'DELETE_ASSIGNMENT',
        time: now.toISOString(),
        data: { ...base, assignment_id: randomUUID(), course_id: 'C1' },
      })),
    };
    for (const events of Object.values(made)) {
      const group = { category: events[0]!.category, partition: utcHourOf(now), events };
      keys.push((await writeRawGroup(store, group, now)).key);
      // The redelivered copy: another file (another set of ids) holding the same events.
      const again = { ...group, events: [...events, { ...events[0]!, id: randomUUID() }] };
      keys.push((await writeRawGroup(store, again, new Date(now.getTime() + 1000))).key);
    }
    const q = exampleQueries().find((e) => e.name === 'raw_events_per_category_today')!;
    const counts = Object.fromEntries(
      records(await query(trino, q.sql)).map((r) => [r['category'], Number(r['events'])]),
    );
    for (const [category, events] of Object.entries(made))
      expect(counts[category]).toBeGreaterThanOrEqual(events.length + 1);
    // Each of our events once: the same count restricted to our user, through the same view.
    const mine = await query(
      trino,
      `SELECT category, count(*), count(DISTINCT event_id) FROM (
         SELECT category, event_id FROM lake.events.auth WHERE date = '${utcHourOf(now).date}' AND user_id = '${base.user_id}'
         UNION ALL SELECT category, event_id FROM lake.events.video WHERE date = '${utcHourOf(now).date}' AND user_id = '${base.user_id}'
         UNION ALL SELECT category, event_id FROM lake.events.assessment WHERE date = '${utcHourOf(now).date}' AND user_id = '${base.user_id}'
       ) GROUP BY category ORDER BY category`,
    );
    expect(mine.rows.map((r) => r.map(Number).slice(1))).toEqual([
      [2, 2],
      [4, 4],
      [3, 3],
    ]);
  });

  it('reads the at-risk rows as the batch wrote them (student_course_risk through the cassandra catalog)', async () => {
    const q = exampleQueries().find((e) => e.name === 'at_risk_students')!;
    const fromTrino = records(await query(trino, onSeeded(q.sql)));
    const written = [...(seeded.get('student_course_risk') ?? [])].sort(
      (a, b) =>
        Number(b['risk_score']) - Number(a['risk_score']) ||
        String(a['student_id']).localeCompare(String(b['student_id'])) ||
        String(a['course_id']).localeCompare(String(b['course_id'])),
    );
    expect(written.length).toBeGreaterThan(0);
    const columns = ['student_id', 'course_id', 'risk_score', 'risk_level', 'risk_reasons', 'days_inactive'];
    const pick = (r: Record<string, unknown>) => columns.map((c) => r[c] ?? null);
    expect(fromTrino.map(pick)).toEqual(written.slice(0, 50).map(pick));
  });

  it('orders video popularity by total view seconds', async () => {
    const q = exampleQueries().find((e) => e.name === 'video_popularity_by_view_seconds')!;
    const answer = await query(trino, onSeeded(q.sql));
    expect(answer.rows.length).toBeGreaterThan(0);
    const i = answer.columns.findIndex((c) => c.name === 'total_views_seconds');
    const seconds = answer.rows.map((r) => Number(r[i]));
    expect(seconds).toEqual([...seconds].sort((a, b) => b - a));
  });
});
