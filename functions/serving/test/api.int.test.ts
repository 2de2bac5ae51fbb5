// biome-ignore-all lint/suspicious/noExplicitAny: tests read untyped JSON answers
/**
 * The API against the real stack: Cassandra (a scratch keyspace with the declared schema, so other
 * engineers' data cannot disturb the oracle) and Trino (the merged views over that keyspace must agree
 * with the API).
 */

import { localCalendar, openViewStore } from '@ula/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recreateKeyspace } from '../../../scripts/e2e/stack-run.ts';
import { stackTrinoAccess } from '../../../scripts/stack/trino-credentials.ts';
import { applyMergedViews, connect, query, records, waitForTrino } from '../src/trino/views.ts';
import { apiBehaviour } from './api.test.ts';
import { type Running, startServing } from './server.ts';

const contactPoints = process.env['ULA_CASSANDRA_CONTACT_POINTS'] ?? '127.0.0.1';
const keyspace = 'ula_serving_test';
const env = {
  ULA_CASSANDRA_CONTACT_POINTS: contactPoints,
  ULA_CASSANDRA_KEYSPACE: keyspace,
  ULA_DATA_DIR: undefined,
};
const calendar = localCalendar('Asia/Ho_Chi_Minh');

apiBehaviour(
  'Cassandra',
  async () => {
    await recreateKeyspace(contactPoints, keyspace);
    const store = openViewStore({
      cassandra: { contactPoints: contactPoints.split(','), localDataCenter: 'datacenter1', keyspace },
      dataDir: '',
    });
    return { env, store, cleanup: async () => undefined };
  },
  'c',
);

describe('Trino merged views agree with the API (same Cassandra keyspace)', () => {
  const trino = connect(stackTrinoAccess('ula_admin'));
  const schema = 'lake.serving_test';
  let api: Running;
  let applied: string[] = [];
  beforeAll(async () => {
    await waitForTrino(trino);
    ({ applied } = await applyMergedViews(trino, {
      schema,
      cassandra: `cassandra.${keyspace}`,
      timeZone: 'Asia/Ho_Chi_Minh',
    }));
    api = await startServing({ ...env, ULA_API_TOKEN: undefined, ULA_CORS_ORIGINS: undefined });
  });
  afterAll(async () => api?.close());

  it('daily active users: same days, same numbers, same layer per day', async () => {
    expect(applied).toContain(`${schema}.daily_active_users`);
    const today = calendar.date(Date.now());
    const yesterday = calendar.date(calendar.startOfDate(today) - 1);
    const fromApi = (await api.get(`/api/v1/daily-active-users?from=${yesterday}&to=${today}`)).body.days;
    const fromTrino = records(
      await query(
        trino,
        `SELECT CAST(date AS varchar) AS date, daily_active_users, total_sessions, source FROM ${schema}.daily_active_users WHERE date >= DATE '${yesterday}' ORDER BY date`,
      ),
    );
    expect(fromTrino.map((r) => ({ ...r }))).toEqual(
      fromApi.map((d: any) => ({
        date: d.date,
        daily_active_users: d.daily_active_users,
        total_sessions: d.total_sessions,
        source: d.source,
      })),
    );
    expect(fromTrino.find((r) => r['date'] === today)?.['daily_active_users']).toBe(3);
  });

  it('course popularity: per-course totals over both days match', async () => {
    if (!applied.includes(`${schema}.course_popularity_daily`)) {
      // The batch view course_daily_interactions is not declared yet: compare the speed-only part.
      const rows = records(
        await query(
          trino,
          `SELECT course_id, count(*) AS interactions FROM cassandra.${keyspace}.course_popularity WHERE metric = 'interactions' AND course_id LIKE 'c%' GROUP BY course_id`,
        ),
      );
      const today = calendar.date(Date.now());
      const yesterday = calendar.date(calendar.startOfDate(today) - 1);
      const fromApi = (await api.get(`/api/v1/course-popularity?from=${yesterday}&to=${today}&limit=100`))
        .body.courses;
      expect(Object.fromEntries(rows.map((r) => [r['course_id'], r['interactions']]))).toEqual(
        Object.fromEntries(fromApi.map((c: any) => [c.course_id, c.interactions])),
      );
      return;
    }
    const rows = records(
      await query(
        trino,
        `SELECT course_id, sum(interactions) AS interactions FROM ${schema}.course_popularity_daily GROUP BY course_id`,
      ),
    );
    const fromApi = (await api.get('/api/v1/course-popularity?limit=100')).body.courses;
    expect(Object.fromEntries(rows.map((r) => [r['course_id'], r['interactions']]))).toEqual(
      Object.fromEntries(fromApi.map((c: any) => [c.course_id, c.interactions])),
    );
  });
});
