// biome-ignore-all lint/suspicious/noExplicitAny: tests read untyped JSON answers
/**
 * Lists without scans: prefix search, cursor paging (stable, no duplicates or omissions), sorting, the risk
 * lists and CSV downloads, on a view store filled with 1,200 students, 30 courses and their risk rows
 * (rows written as the batch writes them: bucket and risk rank from the declarations' derived columns).
 * Run on SQLite here and on Cassandra in lists.int.test.ts (`listsBehaviour`).
 */

import { fileURLToPath } from 'node:url';
import type { Row } from '@ula/core';
import { openSqliteViewStore } from '@ula/core/adapters/sqlite';
import type { ViewStore } from '@ula/core/adapters/view-store';
import { listingBucket, riskRankBucket } from '@ula/core/categories/student-course/risk';
import { readListing } from '@ula/core/serving/listing';
import { ServingReader } from '@ula/core/serving/reader';
import { tableNamed } from '@ula/core/views/catalogue';
import { localCalendar } from '@ula/core/views/time';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { csvField, toCsv } from '../src/csv.ts';

const students = Array.from({ length: 1200 }, (_, i) => `SV${String(i + 1).padStart(5, '0')}`);
const courses = Array.from({ length: 30 }, (_, i) => `C${String(i + 1).padStart(3, '0')}`);
const calendar = localCalendar('Asia/Ho_Chi_Minh');

/** Deterministic per-student risk: score 0-100 in steps of 5, so many students tie on a score. */
const scoreOf = (i: number) => ((i * 37) % 21) * 5;
const rank = (score: number, s: string, c: string) => `${String(100 - score).padStart(3, '0')}|${s}|${c}`;
const riskRows: Row[] = students.map((s, i) => {
  const course = courses[i % courses.length]!;
  const score = scoreOf(i);
  return {
    student_id: s,
    course_id: course,
    risk_score: score,
    risk_level: score >= 50 ? 'high' : score >= 25 ? 'medium' : score > 0 ? 'low' : 'none',
    risk_reasons: score > 0 ? `inactive:${score}, low_quiz_score:12.5` : '',
    days_inactive: score,
    bucket: riskRankBucket(rank(score, s, course)),
    risk_rank: rank(score, s, course),
  };
});

/** The list tests on the empty view store `open` gives (its tables are ensured here). */
export function listsBehaviour(label: string, open: () => Promise<ViewStore>) {
  describe(`lists on ${label}`, () => {
    let store: ViewStore;
    let app: ReturnType<typeof createApp>;
    const get = async (path: string, headers: Record<string, string> = {}) => {
      const [p, query = ''] = path.split('?');
      const res = await app.handle({
        method: 'GET',
        path: p!,
        query: Object.fromEntries(new URLSearchParams(query)),
        headers,
      });
      return {
        ...res,
        json: res.headers['content-type']?.startsWith('application/json') ? JSON.parse(res.body) : undefined,
      } as any;
    };

    beforeAll(async () => {
      store = await open();
      const reader = new ServingReader(store, {
        calendar,
        thresholds: {
          speedStaleSeconds: 300,
          speedDownSeconds: 900,
          batchStaleHours: 30,
          batchDownHours: 54,
        },
        batchTtlMs: 0,
      });
      app = createApp({ reader, corsOrigins: [], cacheMs: 0 });
      const names = [
        'student_directory',
        'course_directory',
        'course_overview',
        'risk_ranking',
        'course_student_risk',
        'course_student_enrollment',
        'course_risk_ranking',
      ];
      await store.ensureTables(names.map(tableNamed));
      await store.upsert(
        tableNamed('student_directory'),
        students.map((s, i) => ({ student_id: s, bucket: listingBucket(s), total_logins: i % 17 })),
      );
      const courseRows = courses.map((c, i) => ({
        course_id: c,
        bucket: listingBucket(c),
        total_enrolled_students: (i * 7) % 13,
        avg_quiz_percentage: i === 3 ? null : i * 2.5,
      }));
      await store.upsert(tableNamed('course_directory'), courseRows);
      await store.upsert(
        tableNamed('course_overview'),
        courseRows.map(({ bucket: _b, ...r }) => r),
      );
      await store.upsert(tableNamed('risk_ranking'), riskRows);
      await store.upsert(
        tableNamed('course_student_risk'),
        riskRows.map(({ bucket: _b, risk_rank: _r, ...r }) => r),
      );
      await store.upsert(
        tableNamed('course_student_enrollment'),
        riskRows.map((r) => ({
          course_id: r['course_id']!,
          student_id: r['student_id']!,
          videos_watched: 1,
        })),
      );
      // The per-course ranking the batch writes (enrolment columns with the risk columns), for every course
      // but C003: that one is answered by the join, as before the batch first wrote the ranking.
      await store.upsert(
        tableNamed('course_risk_ranking'),
        riskRows
          .filter((r) => r['course_id'] !== 'C003')
          .map(({ bucket: _b, ...r }) => ({ ...r, videos_watched: 1 })),
      );
    });
    afterAll(() => store?.close());

    /** Follows next_cursor to the end; fails on a page larger than the limit. */
    async function everyPage(path: string, limit: number) {
      const seen: any[] = [];
      let cursor: string | null = null;
      for (let n = 0; n < 10_000; n++) {
        const sep = path.includes('?') ? '&' : '?';
        const r = await get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(r.statusCode, r.body).toBe(200);
        expect(r.json.items.length).toBeLessThanOrEqual(limit);
        seen.push(...r.json.items);
        cursor = r.json.next_cursor;
        if (!cursor) return seen;
      }
      throw new Error('paging did not end');
    }

    describe('student and course lists', () => {
      it('pages through every student once, in id order, for several page sizes and both orders', async () => {
        for (const limit of [1, 7, 50, 500]) {
          if (limit === 1) continue; // 1,200 requests: covered by the listing test below
          const ids = (await everyPage('/api/v1/students', limit)).map((r) => r.student_id);
          expect(ids).toEqual(students);
        }
        const desc = (await everyPage('/api/v1/students?order=desc', 64)).map((r) => r.student_id);
        expect(desc).toEqual([...students].reverse());
      });

      it('finds a student beyond the first 500 by id prefix, and pages within the prefix', async () => {
        const r = await get('/api/v1/students?q=SV0099&limit=50');
        expect(r.json.items.map((x: any) => x.student_id)).toEqual(
          students.filter((s) => s.startsWith('SV0099')),
        );
        expect(r.json.items[0].total_logins).toBe(989 % 17); // SV00990 is the 990th student (index 989)
        expect(r.json.items[0].bucket).toBeUndefined();
        const within = (await everyPage('/api/v1/students?q=SV01', 13)).map((x) => x.student_id);
        expect(within).toEqual(students.filter((s) => s.startsWith('SV01')));
        expect((await get('/api/v1/students?q=XX')).json.items).toEqual([]);
      });

      it('keeps later pages stable when students are added before the cursor', async () => {
        const first = await get('/api/v1/students?limit=100');
        const table = tableNamed('student_directory');
        const bucket = { bucket: listingBucket('SV00000') };
        const before = await store.readPartition(table, bucket);
        await store.upsert(table, [{ ...bucket, student_id: 'SV00000', total_logins: 0 }]);
        try {
          const rest = await everyPage(`/api/v1/students?cursor=${first.json.next_cursor}`, 250);
          expect(rest.map((r) => r.student_id)).toEqual(students.slice(100));
          expect((await get('/api/v1/students?limit=1')).json.items[0].student_id).toBe('SV00000');
        } finally {
          await store.replacePartitions(table, [bucket], before);
        }
      });

      it('rejects a cursor of another list and a malformed one', async () => {
        const first = await get('/api/v1/students?limit=10');
        const other = await get(`/api/v1/students?q=SV0&cursor=${first.json.next_cursor}`);
        expect(other.statusCode).toBe(400);
        expect(other.json.message).toMatch(/another list/);
        expect((await get('/api/v1/students?cursor=%24%24')).json.message).toMatch(/cursor must be a token/);
        expect((await get('/api/v1/students?sort=total_logins')).json.message).toMatch(/sort must be one of/);
      });

      it('sorts courses by any column, nulls last, ties by id, paging over the sorted list', async () => {
        const all = await everyPage('/api/v1/courses?sort=avg_quiz_percentage&order=desc', 7);
        const scores = all.map((r) => r.avg_quiz_percentage);
        expect(scores.at(-1)).toBeNull();
        const numbers = scores.slice(0, -1) as number[];
        expect(numbers).toEqual([...numbers].sort((a, b) => b - a));
        expect(all.map((r) => r.course_id).sort()).toEqual(courses);
        const byId = await everyPage('/api/v1/courses', 4);
        expect(byId.map((r) => r.course_id)).toEqual(courses);
        expect((await get('/api/v1/courses?sort=nope')).statusCode).toBe(400);
      });
    });

    describe('readListing (the store-level read)', () => {
      it('returns each row once across pages, reading one slice of limit + 1 rows per page', async () => {
        const table = tableNamed('student_directory');
        const reads: number[] = [];
        let pages = 0;
        const counting = new Proxy(store, {
          get: (target, name) =>
            name === 'readPartition'
              ? (...args: Parameters<typeof store.readPartition>) => {
                  reads.push(args[2]?.limit ?? -1);
                  return target.readPartition(...args);
                }
              : Reflect.get(target, name),
        });
        for (const [limit, descending] of [
          [1, false],
          [3, true],
          [40, false],
        ] as const) {
          const seen: string[] = [];
          let after: string | undefined;
          for (let n = 0; n < 200; n++) {
            pages++;
            const page = await readListing(counting, table, {
              column: 'student_id',
              bucketOf: listingBucket,
              prefix: 'SV001',
              limit,
              descending,
              ...(after ? { after } : {}),
            });
            expect(page.rows.length).toBeLessThanOrEqual(limit);
            seen.push(...page.rows.map((r) => String(r['student_id'])));
            if (!page.next) break;
            after = page.next;
          }
          const expected = students.filter((s) => s.startsWith('SV001'));
          expect(seen).toEqual(descending ? expected.reverse() : expected);
        }
        // Every id shares its first character, so a page reads one partition: limit + 1 rows (+ the cursor's).
        expect(reads).toHaveLength(pages);
        expect(Math.max(...reads)).toBeLessThanOrEqual(42);
      });
    });

    describe('risk lists', () => {
      it('lists every enrolled student once, by score then student, institution-wide and per course', async () => {
        const expected = [...riskRows].sort((a, b) =>
          String(a['risk_rank']).localeCompare(String(b['risk_rank'])),
        );
        const all = await everyPage('/api/v1/risk', 97);
        expect(all.map((r) => `${r.student_id}/${r.course_id}`)).toEqual(
          expected.map((r) => `${r['student_id']}/${r['course_id']}`),
        );
        expect(all[0].risk_reasons).toEqual(['inactive:100', 'low_quiz_score:12.5']);
        const course = await everyPage('/api/v1/risk?course_id=C007', 5);
        expect(course.map((r) => r.student_id)).toEqual(
          expected.filter((r) => r['course_id'] === 'C007').map((r) => r['student_id']),
        );
        const high = await everyPage('/api/v1/risk?level=high', 40);
        expect(high.length).toBe(riskRows.filter((r) => r['risk_level'] === 'high').length);
        expect(high.every((r) => r.risk_level === 'high')).toBe(true);
        expect((await get('/api/v1/risk?course_id=NOPE')).statusCode).toBe(404);
      });

      it("serves a course's students with progress and risk, by id or by risk", async () => {
        const byId = await everyPage('/api/v1/courses/C002/students', 9);
        const enrolled = riskRows.filter((r) => r['course_id'] === 'C002');
        expect(byId.map((r) => r.student_id)).toEqual(enrolled.map((r) => r['student_id']));
        expect(byId[0]).toMatchObject({ videos_watched: 1, risk_score: enrolled[0]!['risk_score'] });
        const byRisk = await everyPage('/api/v1/courses/C002/students?sort=risk', 9);
        const scores = byRisk.map((r) => r.risk_score as number);
        expect(scores).toEqual([...scores].sort((a, b) => b - a));
      });

      it("pages a course's students by risk from its ranking partition, as the join orders them", async () => {
        const ranked = (course: string) =>
          riskRows
            .filter((r) => r['course_id'] === course)
            .sort((a, b) => String(a['risk_rank']).localeCompare(String(b['risk_rank'])))
            .map((r) => r['student_id']);
        const first = await get('/api/v1/courses/C002/students?sort=risk&limit=7');
        expect(first.json.view).toBe('course_risk_ranking');
        expect(first.json.total).toBe(7); // course_overview's enrolled students
        const byRisk = await everyPage('/api/v1/courses/C002/students?sort=risk', 7);
        expect(byRisk.map((r) => r.student_id)).toEqual(ranked('C002'));
        const top = riskRows.find((r) => r['student_id'] === byRisk[0].student_id)!;
        expect(byRisk[0]).toMatchObject({
          videos_watched: 1,
          risk_score: top['risk_score'],
          risk_level: top['risk_level'],
          days_inactive: top['days_inactive'],
        });
        expect(byRisk[0]).not.toHaveProperty('risk_rank');
        expect(Array.isArray(byRisk[0].risk_reasons)).toBe(true);
        // C003 has no ranking rows yet: the join answers, in the same order.
        const joined = await get('/api/v1/courses/C003/students?sort=risk&limit=5');
        expect(joined.json.view).toBe('course_student_enrollment');
        expect(
          (await everyPage('/api/v1/courses/C003/students?sort=risk', 5)).map((r) => r.student_id),
        ).toEqual(ranked('C003'));
      });
    });

    describe('CSV downloads', () => {
      it('downloads a list as CSV with format=csv or Accept: text/csv, the same rows as the JSON page', async () => {
        const json = await get('/api/v1/risk?limit=20');
        const csv = await get('/api/v1/risk?limit=20&format=csv');
        expect(csv.statusCode).toBe(200);
        expect(csv.headers['content-type']).toMatch(/^text\/csv/);
        expect(csv.headers['content-disposition']).toMatch(/attachment; filename=risk\.csv/);
        const lines = csv.body.trimEnd().split('\r\n');
        expect(lines).toHaveLength(21);
        expect(lines[0]!.split(',')).toEqual(Object.keys(json.json.items[0]));
        expect(lines[1]).toContain('"[""inactive:100"",""low_quiz_score:12.5""]"');
        const accepted = await get('/api/v1/students?q=SV0012', { accept: 'text/csv' });
        expect(accepted.body.split('\r\n')[1]).toMatch(/^SV00120,/);
        expect((await get('/api/v1/students?format=xml')).statusCode).toBe(400);
      });
    });
  });
}

const runningThisFile = expect.getState().testPath === fileURLToPath(import.meta.url);

if (runningThisFile) {
  listsBehaviour('SQLite', async () => openSqliteViewStore(':memory:'));

  describe('CSV fields', () => {
    it('escapes quotes, separators, line breaks and formula starts (RFC 4180)', () => {
      expect(csvField('plain')).toBe('plain');
      expect(csvField('a,b')).toBe('"a,b"');
      expect(csvField('say "hi"')).toBe('"say ""hi"""');
      expect(csvField('two\nlines')).toBe('"two\nlines"');
      expect(csvField('=SUM(A1)')).toBe("'=SUM(A1)");
      expect(csvField('-12.5')).toBe('-12.5');
      expect(csvField(-3)).toBe('-3');
      expect(csvField(null)).toBe('');
      expect(csvField(['a', 'b'])).toBe('"[""a"",""b""]"');
      expect(
        toCsv([
          { a: 1, b: 'x' },
          { b: 'y', c: true },
        ]),
      ).toBe('a,b,c\r\n1,x,\r\n,y,true\r\n');
    });
  });
}
