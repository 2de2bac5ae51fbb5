/**
 * Lists that find anything without scanning a table: students and courses by id prefix with cursor paging
 * (the bucketed listing copies student_directory and course_directory), the at-risk lists (risk_ranking
 * institution-wide, course_student_risk per course), a course's students with progress and risk, and the
 * batch layer's recent activity. See docs/serving.md, "Lists, search and sorting".
 */
import type { Row, TableDefinition } from '@ula/core';
import {
  listingBucket,
  listingBuckets,
  type RiskAssessment,
  riskRankBucket,
  riskRankRange,
} from '@ula/core/categories/student-course/risk';
import { pageOfSorted, pageSorted, readListing, readPartitionPage } from '@ula/core/serving/listing';
import { withoutPii } from '@ula/core/serving/pii';
import { sources } from '@ula/core/serving/sources';
import { addDays } from '@ula/core/views/time';
import { badRequest, HttpError, notFound } from '../http.ts';
import { type Deps, type Route, route } from './route.ts';

const tableOf = (deps: Deps, name: string): TableDefinition => {
  const table = deps.reader.table(name);
  if (!table) throw new HttpError(503, 'view_unavailable', `view ${name} is not declared in this deployment`);
  return table;
};

/** Cursor tokens: base64url JSON of the list they belong to and the position after which the next page starts. */
interface Cursor {
  list: string;
  after?: string;
  offset?: number;
}
const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');
function decodeCursor(token: string | undefined, list: string, name = 'cursor'): Cursor | undefined {
  if (token === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const c = parsed as Partial<Cursor> | undefined;
  const valid =
    typeof c === 'object' &&
    c !== null &&
    typeof c.list === 'string' &&
    (c.after === undefined || typeof c.after === 'string') &&
    (c.offset === undefined || (Number.isInteger(c.offset) && c.offset >= 0));
  if (!valid) throw badRequest(`${name} must be a token returned as next_cursor by a previous answer`);
  if (c.list !== list)
    throw badRequest('cursor belongs to another list (other q, sort, order or course): start without it');
  return c as Cursor;
}

const listParams = {
  q: { kind: 'id', doc: 'only ids starting with this prefix' },
  limit: { kind: 'int', min: 1, max: 500, default: 50, doc: 'rows per page' },
  cursor: { kind: 'token', doc: 'next_cursor of the previous answer' },
  page: { kind: 'token', doc: 'former name of cursor (next_page of the previous answer)' },
  order: { kind: 'enum', values: ['asc', 'desc'], doc: 'sort direction (default asc)' },
  format: { kind: 'enum', values: ['json', 'csv'], doc: 'csv: the rows as a CSV download' },
} as const;

/**
 * The non-empty partitions of a listing table, ascending: one row of each, read through the reader's
 * partition cache (batch TTL), so that a page never reads an empty partition on its way to the next rows.
 */
async function occupiedBuckets(deps: Deps, table: TableDefinition): Promise<number[]> {
  const firstRows = await Promise.all(
    Array.from({ length: listingBuckets }, (_, bucket) =>
      deps.reader.partition(table, { bucket }, { limit: 1 }),
    ),
  );
  return firstRows.flatMap((rows, bucket) => (rows.length > 0 ? [bucket] : []));
}

/**
 * A list derived from cached partitions, kept while they are: the reader hands out the same arrays for the
 * batch TTL, so joining and ordering a course's few hundred rows happens once per refresh, not per page.
 */
const derivedLists = new WeakMap<readonly Row[], Map<string, { inputs: readonly unknown[]; rows: Row[] }>>();
function derivedOnce(
  owner: readonly Row[],
  name: string,
  inputs: readonly unknown[],
  derive: () => Row[],
): Row[] {
  let byName = derivedLists.get(owner);
  if (!byName) {
    byName = new Map();
    derivedLists.set(owner, byName);
  }
  const kept = byName.get(name);
  if (kept && kept.inputs.length === inputs.length && kept.inputs.every((x, i) => x === inputs[i]))
    return kept.rows;
  const rows = derive();
  byName.set(name, { inputs, rows });
  return rows;
}

const withoutBucket = (row: Row): Row => {
  const { bucket: _bucket, ...rest } = row;
  return withoutPii(rest);
};

/** A page of a listing table ordered by its id, with the cursor of the next page. */
async function idPage(
  deps: Deps,
  tableName: string,
  idColumn: string,
  q: { q?: string | undefined; limit: number; cursor?: string | undefined; page?: string | undefined },
  descending: boolean,
  listKey: string,
) {
  const table = tableOf(deps, tableName);
  const cursor = decodeCursor(q.cursor ?? q.page, listKey, q.cursor === undefined ? 'page' : 'cursor');
  // Through the reader's batch cache: a page many users ask (the first one, a popular prefix) is read once
  // per refresh; a read costs the store 1-2 ms of CPU (docs/serving.md, "Benchmark").
  const page = await readListing(deps.reader.cached, table, {
    column: idColumn,
    bucketOf: listingBucket,
    occupied: await occupiedBuckets(deps, table),
    ...(q.q ? { prefix: q.q } : {}),
    ...(cursor?.after !== undefined ? { after: cursor.after } : {}),
    limit: q.limit,
    descending,
  });
  const next = page.next === undefined ? null : encodeCursor({ list: listKey, after: page.next });
  return { items: page.rows.map(withoutBucket), next_cursor: next, next_page: next };
}

/** Numeric and text columns a course list may be sorted by (every course_overview column). */
const courseSortable = (deps: Deps) =>
  (deps.reader.table(sources.courseDirectory)?.columns ?? [])
    .map((c) => c.name)
    .filter((n) => n !== 'bucket');

const compareValues = (a: Row[string] | undefined, b: Row[string] | undefined) => {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1; // nulls last in both directions
  if (b === null || b === undefined) return -1;
  return a < b ? -1 : 1;
};

/** Risk rows as served: the ranking helpers dropped, reasons as a list. */
const riskItem = (row: Row) => {
  const { bucket: _b, risk_rank: _r, ...rest } = row;
  const reasons =
    typeof row['risk_reasons'] === 'string' && row['risk_reasons'] ? row['risk_reasons'].split(', ') : [];
  return { ...withoutPii(rest), risk_reasons: reasons };
};

/** A course's risk rows ordered by risk (score descending, then student id), as the ranking orders them. */
const rankOf = (row: Row) =>
  `${String(100 - (typeof row['risk_score'] === 'number' ? row['risk_score'] : 0)).padStart(3, '0')}|${row['student_id']}|${row['course_id']}`;

/** The course's overview row (404 when there is none). */
async function courseExists(deps: Deps, courseId: string): Promise<Row> {
  const rows = await deps.reader.partition(tableOf(deps, sources.courseOverview), { course_id: courseId });
  if (rows.length === 0) throw notFound(`no course ${courseId}`);
  return rows[0]!;
}

export const listRoutes: Route[] = [
  route({
    path: '/api/v1/students',
    summary:
      'Students with every student_overview column, found by id prefix (q), in cursor pages ordered by student_id (asc or desc). Reads a slice of the student_directory partition (ids by first character) the page starts in, the next ones only when it ends first; other orders would need a scan and are refused (sort a page in the client).',
    tag: 'students',
    params: {
      ...listParams,
      sort: { kind: 'enum', values: ['student_id'], doc: 'student_id (the order the listing stores)' },
    },
    handler: async (q, _input, deps) => {
      const descending = q.order === 'desc';
      const key = JSON.stringify(['students', q.q ?? '', descending]);
      return {
        view: sources.studentDirectory,
        q: q.q ?? null,
        sort: 'student_id',
        order: descending ? 'desc' : 'asc',
        ...(await idPage(deps, sources.studentDirectory, 'student_id', q, descending, key)),
      };
    },
  }),
  route({
    path: '/api/v1/courses',
    summary:
      'Courses with every course_overview column, found by id prefix (q), in cursor pages. Ordered by course_id from course_directory (partitions in id order, a slice of the one the page starts in); sort=<any column> sorts the course list in memory (it reads every course: a few hundred rows, cached 10 s).',
    tag: 'courses',
    params: {
      ...listParams,
      sort: { kind: 'id', doc: 'course_id (default) or any column of the answer' },
    },
    handler: async (q, _input, deps) => {
      const descending = q.order === 'desc';
      const sort = q.sort ?? 'course_id';
      const key = JSON.stringify(['courses', q.q ?? '', sort, descending]);
      const base = {
        view: sources.courseDirectory,
        q: q.q ?? null,
        sort,
        order: descending ? 'desc' : 'asc',
      };
      if (sort === 'course_id')
        return { ...base, ...(await idPage(deps, sources.courseDirectory, 'course_id', q, descending, key)) };
      const sortable = courseSortable(deps);
      if (!sortable.includes(sort)) throw badRequest(`sort must be one of ${sortable.join(', ')}`);
      const table = tableOf(deps, sources.courseDirectory);
      const cursor = decodeCursor(q.cursor ?? q.page, key);
      const buckets = await occupiedBuckets(deps, table);
      const all = (await Promise.all(buckets.map((bucket) => deps.reader.partition(table, { bucket }))))
        .flat()
        .filter((r) => !q.q || String(r['course_id']).startsWith(q.q));
      const sign = descending ? -1 : 1;
      all.sort(
        (a, b) =>
          (a[sort] === null || b[sort] === null
            ? compareValues(a[sort], b[sort])
            : sign * compareValues(a[sort], b[sort])) || compareValues(a['course_id'], b['course_id']),
      );
      const offset = cursor?.offset ?? 0;
      const items = all.slice(offset, offset + q.limit).map(withoutBucket);
      const next =
        offset + q.limit < all.length ? encodeCursor({ list: key, offset: offset + q.limit }) : null;
      return { ...base, total: all.length, items, next_cursor: next, next_page: next };
    },
  }),
  route({
    path: '/api/v1/risk',
    summary:
      'Enrolled students by at-risk score (student_course_risk), highest first, with the reasons: institution-wide from risk_ranking (partitions of score bands, read in order; a level reads only its band), or for one course (course_id) from its partition of course_student_risk.',
    tag: 'students',
    params: {
      course_id: { kind: 'id', doc: 'one course (default: every course)' },
      level: { kind: 'enum', values: ['high', 'medium', 'low', 'none', 'dropped'], doc: 'only this level' },
      limit: listParams.limit,
      cursor: listParams.cursor,
      format: listParams.format,
    },
    handler: async (q, _input, deps) => {
      const key = JSON.stringify(['risk', q.course_id ?? '', q.level ?? '']);
      const cursor = decodeCursor(q.cursor, key);
      const levelOk = (r: Row) => q.level === undefined || r['risk_level'] === q.level;
      let page: { rows: Row[]; next?: string };
      if (q.course_id !== undefined) {
        await courseExists(deps, q.course_id);
        const rows = await deps.reader.partition(tableOf(deps, sources.courseRisk), {
          course_id: q.course_id,
        });
        const ranked = derivedOnce(
          rows,
          `risk:${q.level ?? ''}`,
          [],
          () =>
            pageSorted(
              rows.filter(levelOk).map((r) => ({ ...r, risk_rank: rankOf(r) })),
              'risk_rank',
              { limit: rows.length + 1 },
            ).rows,
        );
        page = pageOfSorted(ranked, 'risk_rank', {
          ...(cursor?.after !== undefined ? { after: cursor.after } : {}),
          limit: q.limit,
        });
      } else {
        // A level reads only its band of ranks (its scores); none and dropped share score 0, so those two
        // filter the band and read further pages until one is full (at most 50 rounds; the cursor resumes).
        const ranking = tableOf(deps, sources.riskRanking);
        const occupied = await occupiedBuckets(deps, ranking);
        const band = q.level === undefined ? {} : riskRankRange(q.level as RiskAssessment['level']);
        const rows: Row[] = [];
        let after = cursor?.after;
        let exhausted = false;
        for (let round = 0; round < 50 && rows.length < q.limit && !exhausted; round++) {
          const got = await readListing(deps.reader.cached, ranking, {
            column: 'risk_rank',
            bucketOf: riskRankBucket,
            occupied,
            ...band,
            ...(after !== undefined ? { after } : {}),
            limit: q.limit,
          });
          let consumed = 0;
          for (const r of got.rows) {
            if (rows.length === q.limit) break;
            consumed++;
            after = String(r['risk_rank']);
            if (levelOk(r)) rows.push(r);
          }
          exhausted = got.next === undefined && consumed === got.rows.length;
        }
        page = exhausted || after === undefined ? { rows } : { rows, next: after };
      }
      const nextCursor = page.next === undefined ? null : encodeCursor({ list: key, after: page.next });
      return {
        course_id: q.course_id ?? null,
        level: q.level ?? null,
        items: page.rows.map(riskItem),
        next_cursor: nextCursor,
      };
    },
  }),
  route({
    path: '/api/v1/courses/{courseId}/students',
    summary:
      "A course's enrolled students with progress (course_student_enrollment) and at-risk score and reasons (course_student_risk), one partition each; sort=student_id (default) or risk (highest first: a page of the course's partition of course_risk_ranking, which holds both); 404 for an unknown course.",
    tag: 'courses',
    params: {
      limit: listParams.limit,
      cursor: listParams.cursor,
      page: listParams.page,
      sort: {
        kind: 'enum',
        values: ['student_id', 'risk'],
        doc: 'student_id (default) or risk (highest first)',
      },
      format: listParams.format,
    },
    handler: async (q, { path }, deps) => {
      const id = path['courseId']!;
      const course = await courseExists(deps, id);
      const sort = q.sort ?? 'student_id';
      const key = JSON.stringify(['course-students', id, sort]);
      const cursor = decodeCursor(q.cursor ?? q.page, key);
      if (sort === 'risk') {
        // limit + 1 rows of the course's ranking partition (its cursor is the same rank as the join's below),
        // through the reader's batch cache: a course's first page is read once per refresh.
        const page = await readPartitionPage(
          deps.reader.cached,
          tableOf(deps, sources.courseRiskRanking),
          { course_id: id },
          { after: cursor?.after, limit: q.limit },
        );
        // An empty page of a course with enrolments: the ranking is not written yet (first batch run after
        // an upgrade); the join below answers meanwhile (a next page is only offered when rows follow).
        if (page.rows.length > 0 || course['total_enrolled_students'] === 0) {
          const next = page.next === undefined ? null : encodeCursor({ list: key, after: page.next });
          return {
            course_id: id,
            view: sources.courseRiskRanking,
            total: course['total_enrolled_students'] ?? null,
            items: page.rows.map(riskItem),
            next_cursor: next,
            next_page: next,
          };
        }
      }
      const [enrolled, risk] = await Promise.all([
        deps.reader.partition(tableOf(deps, sources.courseStudents), { course_id: id }),
        deps.reader.table(sources.courseRisk)
          ? deps.reader.partition(tableOf(deps, sources.courseRisk), { course_id: id })
          : Promise.resolve([]),
      ]);
      const joined = derivedOnce(enrolled, `students:${sort}`, [risk], () => {
        const riskOf = new Map(risk.map((r) => [r['student_id'], r]));
        const rows = enrolled.map((row) => {
          const r = riskOf.get(row['student_id']);
          const withRisk: Row = {
            ...row,
            quizzes_completed: row['quizzes_completed'] ?? null,
            video_coverage_percentage: r?.['video_coverage_percentage'] ?? null,
            days_inactive: r?.['days_inactive'] ?? null,
            risk_score: r?.['risk_score'] ?? null,
            risk_level: r?.['risk_level'] ?? null,
            risk_reasons: r?.['risk_reasons'] ?? null,
          };
          return { ...withRisk, rank: sort === 'risk' ? rankOf(withRisk) : String(row['student_id']) };
        });
        return pageSorted(rows, 'rank', { limit: rows.length + 1 }).rows;
      });
      const page = pageOfSorted(joined, 'rank', {
        ...(cursor?.after !== undefined ? { after: cursor.after } : {}),
        limit: q.limit,
      });
      const next = page.next === undefined ? null : encodeCursor({ list: key, after: page.next });
      return {
        course_id: id,
        view: sources.courseStudents,
        total: enrolled.length,
        items: page.rows.map(({ rank: _rank, ...row }) => riskItem(row)),
        next_cursor: next,
        next_page: next,
      };
    },
  }),
  route({
    path: '/api/v1/batch/recent-activity',
    summary:
      'Batch-layer activity per local day up to the batch watermark (the older system\'s batch "recent activity"): videos watched, watch hours and watchers (video_daily_engagement), materials downloaded (course_daily_engagement), per day and in total.',
    tag: 'students',
    params: {
      days: {
        kind: 'int',
        min: 1,
        max: 31,
        default: 7,
        doc: 'days ending with the last day the batch computed',
      },
      course_id: { kind: 'id', doc: 'only this course' },
      format: listParams.format,
    },
    handler: async (q, _input, deps) => {
      const videoTable = tableOf(deps, sources.batchRecent.videos);
      const courseTable = tableOf(deps, sources.batchRecent.downloads);
      const watermark = await deps.reader.watermark(sources.batchRecent.videos);
      if (watermark === undefined)
        return { watermark: null, days: [], totals: null, note: 'the batch has not computed any day yet' };
      const last = addDays(deps.reader.calendar.date(watermark), -1);
      const dates = Array.from({ length: q.days }, (_, k) => addDays(last, k - q.days + 1));
      const inCourse = (r: Row) => q.course_id === undefined || r['course_id'] === q.course_id;
      const days = await Promise.all(
        dates.map(async (date) => {
          const [videos, courses] = await Promise.all([
            deps.reader.partition(videoTable, { date }),
            deps.reader.partition(courseTable, { date }),
          ]);
          const v = videos.filter(inCourse);
          const sumOf = (rows: Row[], c: string) =>
            rows.reduce((n, r) => n + (typeof r[c] === 'number' ? (r[c] as number) : 0), 0);
          return {
            date,
            videos_watched: sumOf(v, 'total_watch_events'),
            watch_hours: Math.round((sumOf(v, 'total_watch_seconds') / 3600) * 100) / 100,
            materials_downloaded: sumOf(
              courses.filter((r) => inCourse(r) && r['event_type'] === 'DOWNLOAD_MATERIAL'),
              'event_count',
            ),
            courses_with_video_activity: v.length,
          };
        }),
      );
      const total = (c: 'videos_watched' | 'watch_hours' | 'materials_downloaded') =>
        Math.round(days.reduce((n, d) => n + d[c], 0) * 100) / 100;
      return {
        watermark: new Date(watermark).toISOString(),
        from: dates[0],
        to: last,
        course_id: q.course_id ?? null,
        days,
        totals: {
          videos_watched: total('videos_watched'),
          watch_hours: total('watch_hours'),
          materials_downloaded: total('materials_downloaded'),
        },
      };
    },
  }),
];
