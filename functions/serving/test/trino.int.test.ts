/**
 * Every example query of trino/queries/examples.sql runs through trino-client against the real Trino,
 * after the merged views of trino/views/merged.sql are applied to lake.serving over the live keyspace and the
 * raw lake's tables and views (trino/lake/raw_tables.sql) to lake.raw / lake.events.
 */
import { randomUUID } from 'node:crypto';
import { S3Store } from '@ula/core/adapters/s3';
import type { LmsEvent } from '@ula/core/events/envelope';
import { utcHourOf } from '@ula/core/lake/paths';
import { writeRawGroup } from '@ula/core/lake/raw-lake';
import { ensureRawTables, trinoClient } from '@ula/core/lake/trino-tables';
import { afterAll, describe, expect, it } from 'vitest';
import {
  applyMergedViews,
  connect,
  exampleQueries,
  query,
  records,
  waitForTrino,
} from '../src/trino/views.ts';

const BUCKET = process.env['ULA_S3_BUCKET'] || 'lake';
process.env['AWS_ACCESS_KEY_ID'] ||= 'ula-local-access';
process.env['AWS_SECRET_ACCESS_KEY'] ||= 'ula-local-secret-key';
const trino = connect();
await waitForTrino(trino);
// The raw lake tables (partition projection) and the one-row-per-event views lake.events.<category>.
await ensureRawTables(trinoClient(process.env['ULA_TRINO_URL'] ?? 'http://127.0.0.1:8080'), {
  bucket: BUCKET,
});
const { applied, skipped } = await applyMergedViews(trino);
const store = new S3Store({
  bucket: BUCKET,
  endpoint: process.env['ULA_S3_ENDPOINT'] || 'http://127.0.0.1:9000',
});
/** Raw files this test writes (deleted after). */
const keys: string[] = [];
afterAll(async () => {
  for (const key of keys) await store.delete(key);
  store.close();
});
const missingViews = new Map(skipped.map((s) => [s.view, s.missing]));

describe('Trino merged views and example queries', () => {
  it('applies the merged views whose Cassandra tables exist', () => {
    expect(applied).toContain('lake.serving.daily_active_users');
    expect(applied).toContain('lake.serving.active_users');
  });

  for (const example of exampleQueries()) {
    const blockedBy = [...missingViews].find(([view]) => example.sql.includes(view));
    it.skipIf(blockedBy !== undefined)(
      `runs ${example.name}${blockedBy ? ` (skipped: ${blockedBy[0]} needs ${blockedBy[1].join(', ')})` : ''}`,
      async () => {
        const answer = await query(trino, example.sql);
        expect(answer.columns.length).toBeGreaterThan(0);
      },
    );
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

  it('orders video popularity by total view seconds', async () => {
    const q = exampleQueries().find((e) => e.name === 'video_popularity_by_view_seconds')!;
    const answer = await query(trino, q.sql);
    const i = answer.columns.findIndex((c) => c.name === 'total_views_seconds');
    const seconds = answer.rows.map((r) => Number(r[i]));
    expect(seconds).toEqual([...seconds].sort((a, b) => b - a));
  });
});
