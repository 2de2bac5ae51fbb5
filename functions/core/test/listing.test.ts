/**
 * The ordered listing partitions (issue 21's lists): bucket functions keep the list's order across
 * partitions, a risk level's band of ranks holds exactly its scores, a ranking written whole replaces every
 * score band (so a band its rows all left is emptied), and pages of an ordered list found by binary search.
 */
import { describe, expect, it } from 'vitest';
import { openSqliteViewStore } from '../src/adapters/sqlite.ts';
import { partitionsToReplace, replacesWhole } from '../src/batch/job.ts';
import {
  assessRisk,
  defaultRiskThresholds,
  listingBucket,
  listingBuckets,
  riskRank,
  riskRankBucket,
  riskRankRange,
} from '../src/categories/student-course/risk.ts';
import { pageOfSorted, pageSorted, readListing } from '../src/serving/listing.ts';
import { batchViews } from '../src/views/batch-catalogue.ts';
import { allTables, tableNamed } from '../src/views/catalogue.ts';

/** Deterministic ids of the API's form: varied first characters and lengths. */
const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_.:+-@';
const ids = [
  ...new Set(
    Array.from({ length: 3000 }, (_, i) => {
      let id = alphabet[(i * 7) % 62]!;
      for (let k = 0; k < 1 + (i % 9); k++) id += alphabet[(i * 31 + k * 17) % alphabet.length];
      return id;
    }),
  ),
].sort();

describe('ordered listing partitions', () => {
  it('never puts a later id in an earlier partition, and uses the whole range', () => {
    const buckets = ids.map(listingBucket);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]).toBeGreaterThanOrEqual(buckets[i - 1]!);
    expect(Math.min(...buckets)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...buckets)).toBeLessThan(listingBuckets);
    expect(new Set(buckets).size).toBeGreaterThan(10);
  });

  it('orders the ranking partitions by score, highest first, over every score 0-100', () => {
    const ranks = Array.from({ length: 101 }, (_, score) => riskRank(score, 'SV1', 'C1')).sort();
    const buckets = ranks.map(riskRankBucket);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]).toBeGreaterThanOrEqual(buckets[i - 1]!);
    expect(buckets[0]).toBe(0);
    expect(buckets.at(-1)).toBe(listingBuckets - 1);
    expect(() => riskRankBucket('abc|SV1|C1')).toThrow(/not a risk rank/);
  });

  it("a level's band of ranks holds exactly the scores assessRisk gives that level", () => {
    for (let score = 0; score <= 100; score++) {
      const rank = riskRank(score, 'SV1', 'C1');
      const inBand = (['high', 'medium', 'low', 'none'] as const).filter((level) => {
        const { from, to } = riskRankRange(level);
        return rank >= from && rank < to;
      });
      // Level of a score as the rules give it: weights that add up to `score` exactly are not needed,
      // the level depends on the score alone.
      const level = score >= 50 ? 'high' : score >= 25 ? 'medium' : score > 0 ? 'low' : 'none';
      expect(inBand, `score ${score}`).toEqual([level]);
    }
    const dropped = assessRisk(
      {
        dropped: true,
        daysInactive: 40,
        quizzes: 0,
        avgQuizPercentage: null,
        quizTrendPerWeek: null,
        missedAssignments: 0,
        lateSubmissions: 0,
        videoCoveragePercentage: null,
      },
      defaultRiskThresholds,
    );
    const { from, to } = riskRankRange('dropped');
    const rank = riskRank(dropped.score, 'SV1', 'C1');
    expect(rank >= from && rank < to).toBe(true);
  });

  it('a ranking written whole replaces every score band, those its rows left included', () => {
    const view = batchViews.find((v) => v.name === 'risk_ranking')!;
    const table = tableNamed('risk_ranking');
    expect(replacesWhole(view)).toBe(true);
    const rows = [{ bucket: 19, risk_rank: '030|SV1|C1', student_id: 'SV1', course_id: 'C1' }];
    const partitions = partitionsToReplace(view, table, rows).map((p) => p['bucket']);
    expect(partitions.sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: listingBuckets }, (_, b) => b),
    );
    // A view without a bounded partition key replaces only the partitions of its rows.
    const risk = batchViews.find((v) => v.name === 'student_course_risk')!;
    expect(
      partitionsToReplace(risk, tableNamed('student_course_risk'), [
        { student_id: 'SV1', course_id: 'C1' },
        { student_id: 'SV2', course_id: 'C1' },
      ]),
    ).toEqual([{ student_id: 'SV1' }, { student_id: 'SV2' }]);
  });
});

describe('pages of a list ordered in memory', () => {
  const rows = ids.map((id) => ({ id }));
  it('pages by binary search on the cursor, each row once, in both orders', () => {
    for (const descending of [false, true]) {
      const sorted = pageSorted(rows, 'id', { limit: rows.length + 1, descending }).rows;
      const seen: string[] = [];
      let after: string | undefined;
      for (let n = 0; n < 100; n++) {
        const page = pageOfSorted(sorted, 'id', { limit: 37, descending, ...(after ? { after } : {}) });
        seen.push(...page.rows.map((r) => String(r['id'])));
        if (!page.next) break;
        after = page.next;
      }
      expect(seen).toEqual(descending ? [...ids].reverse() : ids);
    }
  });

  it('starts after a cursor that is not in the list', () => {
    const sorted = rows;
    const page = pageOfSorted(sorted, 'id', { after: 'M', limit: 3 });
    expect(page.rows.map((r) => r['id'])).toEqual(ids.filter((id) => id > 'M').slice(0, 3));
  });
});

describe('readListing across ordered partitions (SQLite)', () => {
  it('pages through ids of many first characters once, in order, both ways, reading only occupied partitions', async () => {
    const store = openSqliteViewStore(':memory:');
    const table = tableNamed('student_directory');
    await store.ensureTables(allTables);
    await store.upsert(
      table,
      ids.map((id) => ({ student_id: id, bucket: listingBucket(id) })),
    );
    const occupied = [...new Set(ids.map(listingBucket))].sort((a, b) => a - b);
    const partitionsRead: number[] = [];
    const counting = new Proxy(store, {
      get: (target, name) =>
        name === 'readPartition'
          ? (...args: Parameters<typeof store.readPartition>) => {
              partitionsRead.push(Number(args[1]['bucket']));
              return target.readPartition(...args);
            }
          : Reflect.get(target, name),
    });
    try {
      for (const [limit, descending, prefix] of [
        [7, false, undefined],
        [50, true, undefined],
        [3, false, 'a'],
        [4, true, 'Q'],
      ] as const) {
        const seen: string[] = [];
        let after: string | undefined;
        let pages = 0;
        partitionsRead.length = 0;
        for (; pages < 2000; pages++) {
          const page = await readListing(counting, table, {
            column: 'student_id',
            bucketOf: listingBucket,
            occupied,
            limit,
            descending,
            ...(prefix ? { prefix } : {}),
            ...(after ? { after } : {}),
          });
          seen.push(...page.rows.map((r) => String(r['student_id'])));
          if (!page.next) break;
          after = page.next;
        }
        const expected = ids.filter((id) => prefix === undefined || id.startsWith(prefix));
        expect(seen).toEqual(descending ? [...expected].reverse() : expected);
        expect(partitionsRead.every((b) => occupied.includes(b))).toBe(true);
        // One partition per page, plus at each partition edge the next one (a page crossing it) and the one a
        // cursor ends (the page after it starts there): at most pages + 2 × partitions, not pages × partitions.
        expect(partitionsRead.length).toBeLessThanOrEqual(pages + 1 + 2 * occupied.length);
        expect(occupied.length).toBeGreaterThan(10);
      }
    } finally {
      await store.close();
    }
  });
});
