/**
 * Every example query of trino/queries/examples.sql runs through trino-client against the real Trino,
 * after the merged views of trino/views/merged.sql are applied to lake.serving over the live keyspace.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { applyMergedViews, connect, exampleQueries, query, waitForTrino } from '../src/trino/views.ts';

const trino = connect();
await waitForTrino(trino);
// The raw lake tables (another engineer's trino/lake/raw_tables.sql) are idempotent CREATEs: make sure they exist.
const raw = readFileSync(
  fileURLToPath(new URL('../../../trino/lake/raw_tables.sql', import.meta.url)),
  'utf8',
);
for (const statement of raw.split(/;\s*\n/).map((s) =>
  s
    .split('\n')
    .filter((l) => !l.startsWith('--'))
    .join('\n')
    .trim(),
)) {
  if (statement.startsWith('CREATE')) await query(trino, statement);
}
const { applied, skipped } = await applyMergedViews(trino);
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

  it('orders video popularity by total view seconds', async () => {
    const q = exampleQueries().find((e) => e.name === 'video_popularity_by_view_seconds')!;
    const answer = await query(trino, q.sql);
    const i = answer.columns.findIndex((c) => c.name === 'total_views_seconds');
    const seconds = answer.rows.map((r) => Number(r[i]));
    expect(seconds).toEqual([...seconds].sort((a, b) => b - a));
  });
});
