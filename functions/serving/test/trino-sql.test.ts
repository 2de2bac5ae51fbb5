/**
 * trino/lake/serving_views.sql (applied by the Minikube deploy's Job trino-lake with the Trino CLI) is what
 * functions/serving/src/trino/views.ts generates from trino/views/merged.sql: regenerate it with
 * `npx tsx scripts/trino-lake.ts --write`.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  mergedViewStatements,
  servingViewsSqlFile,
  servingViewsTimeZonePlaceholder,
} from '../src/trino/views.ts';

describe('trino/lake/serving_views.sql', () => {
  it('is the merged views generated from merged.sql', async () => {
    const file = await readFile(new URL('../../../trino/lake/serving_views.sql', import.meta.url), 'utf8');
    expect(file).toBe(servingViewsSqlFile());
  });

  it('holds every merged view, over lake.serving and cassandra.lms_analytics, the time zone left to the deploy', () => {
    const file = servingViewsSqlFile();
    const views = mergedViewStatements()
      .map((s) => /VIEW\s+(\S+)/i.exec(s)?.[1])
      .filter((v) => v !== undefined);
    expect(views).toEqual([
      'lake.serving.daily_active_users',
      'lake.serving.course_popularity_daily',
      'lake.serving.video_engagement_daily',
      'lake.serving.active_users',
    ]);
    for (const view of views) expect(file).toContain(`CREATE OR REPLACE VIEW ${view}\n`);
    const sql = file
      .split('\n')
      .filter((l) => !l.startsWith('--'))
      .join('\n');
    expect(sql).not.toMatch(/\$\{(schema|cassandra|tz)\}/);
    expect(sql).toContain(`'${servingViewsTimeZonePlaceholder}'`);
    expect(servingViewsTimeZonePlaceholder).toBe('$' + '{ULA_TIMEZONE}');
    expect(sql).not.toContain('Asia/Ho_Chi_Minh');
  });
});
