import { percent, type Row, type TableDefinition } from '@ula/core';
import { scoreBands } from '@ula/core/categories/assessment/score';
import { withoutPii } from '@ula/core/serving/pii';
import { sources } from '@ula/core/serving/sources';
import { addDays } from '@ula/core/views/time';
import { HttpError, notFound } from '../http.ts';
import { paginate } from '../params.ts';
import { type Deps, type Route, route } from './route.ts';

/** Courses and students: the batch overview tables, their drill-downs, all read by partition key. */

const page = {
  limit: { kind: 'int', min: 1, max: 500, default: 50, doc: 'rows per page' },
  page: { kind: 'page', doc: 'next_page token of the previous answer' },
} as const;

const tableOf = (deps: Deps, name: string): TableDefinition => {
  const table = deps.reader.table(name);
  if (!table) throw new HttpError(503, 'view_unavailable', `view ${name} is not declared in this deployment`);
  return table;
};

/** The key column of an overview table (course_id, student_id...), as declared. */
const keyOf = (table: TableDefinition) => table.partitionKey[0] as string;

async function one(deps: Deps, tableName: string, id: string, what: string): Promise<Row> {
  const table = tableOf(deps, tableName);
  const row = (await deps.reader.partition(table, { [keyOf(table)]: id }))[0];
  if (!row) throw notFound(`no ${what} ${id}`);
  return row;
}

/** Rows of one partition of a drill-down table, paginated. */
async function partitionRows(deps: Deps, tableName: string, id: string, offset: number, limit: number) {
  const table = tableOf(deps, tableName);
  const rows = await deps.reader.partition(table, { [keyOf(table)]: id });
  return { view: tableName, ...paginate(rows.map(withoutPii), offset, limit) };
}

/** The last `days` local days the batch computed for a daily view (ending the day before its watermark). */
async function batchDays(deps: Deps, view: string, days: number) {
  const watermark = await deps.reader.watermark(view);
  if (watermark === undefined) return { watermark: null, dates: [] };
  const last = addDays(deps.reader.calendar.date(watermark), -1);
  return { watermark, dates: Array.from({ length: days }, (_, k) => addDays(last, k - days + 1)) };
}

/**
 * A course's row of each of `dates` in a daily view partitioned by date and clustered by course_id, zeros
 * for days without a row. Each day's partition is read whole through the reader's batch cache: it holds one
 * row per course active that day (bounded by the number of courses), and every course page of the next
 * seconds is answered from the same 28 cached partitions instead of 28 reads of its own.
 */
async function courseDays(deps: Deps, view: string, courseId: string, dates: string[], metrics: string[]) {
  const table = tableOf(deps, view);
  return Promise.all(
    dates.map(async (date) => {
      const own = (await deps.reader.partition(table, { date })).find((r) => r['course_id'] === courseId);
      return { date, ...Object.fromEntries(metrics.map((m) => [m, Number(own?.[m] ?? 0)])) };
    }),
  );
}

const courseDaysParam = {
  days: {
    kind: 'int',
    min: 1,
    max: 92,
    default: 28,
    doc: 'days ending with the last day the batch computed',
  },
} as const;

const timelinessMetrics = [
  'submissions',
  'on_time_submissions',
  'late_submissions',
  'no_due_date_submissions',
  'unique_students',
] as const;

export const entityRoutes: Route[] = [
  route({
    path: '/api/v1/courses/{courseId}',
    summary: 'One course (course_overview); 404 when unknown.',
    tag: 'courses',
    params: {},
    handler: async (_q, { path }, deps) => ({
      course: withoutPii(await one(deps, sources.courseOverview, path['courseId']!, 'course')),
    }),
  }),
  route({
    path: '/api/v1/courses/{courseId}/score-distribution',
    summary:
      "A course's quiz and assignment score distributions as percent of the maximum (assessment_score_distribution, one partition): for quizzes (students' completions) and assignments (grades received), every band of 10 points, 0-10 % … 90-100 % (a full score in the top band) and above 100 % (extra credit), with results, distinct students and the band's share of the results (zeros where no result fell); 404 for an unknown course.",
    tag: 'courses',
    params: {},
    handler: async (_q, { path }, deps) => {
      const id = path['courseId']!;
      await one(deps, sources.courseOverview, id, 'course');
      const rows = await deps.reader.cached.readPartition(tableOf(deps, sources.scoreDistribution), {
        course_id: id,
      });
      const distribution = (assessment: 'quiz' | 'assignment') => {
        const own = rows.filter((r) => r['assessment'] === assessment);
        const total = own.reduce((n, r) => n + Number(r['results'] ?? 0), 0);
        const bands = scoreBands.map(({ band, from, to, label }) => {
          const row = own.find((r) => r['score_band'] === band);
          const results = Number(row?.['results'] ?? 0);
          return {
            band,
            from,
            to,
            label,
            results,
            students: Number(row?.['students'] ?? 0),
            share_percentage: percent(results, total) ?? 0,
          };
        });
        return { results: total, bands };
      };
      return {
        course_id: id,
        view: sources.scoreDistribution,
        unit: 'percent of max_score',
        quiz: distribution('quiz'),
        assignment: distribution('assignment'),
      };
    },
  }),
  route({
    path: '/api/v1/courses/{courseId}/timeliness',
    summary:
      "A course's submission timeliness for each of the last `days` local days the batch computed (assessment_course_timeliness): students' submissions, on time (at or before the stated due date), late, without a due date, distinct students submitting; zeros on days without submissions; totals of the counts over the days. One partition per day (the day's courses, cached for the batch TTL), no scan; 404 for an unknown course.",
    tag: 'courses',
    params: courseDaysParam,
    handler: async (q, { path }, deps) => {
      const id = path['courseId']!;
      await one(deps, sources.courseOverview, id, 'course');
      const { watermark, dates } = await batchDays(deps, sources.courseTimeliness, q.days);
      const days = await courseDays(deps, sources.courseTimeliness, id, dates, [...timelinessMetrics]);
      // Distinct students do not add up over days: the totals hold the counts only.
      const totals = Object.fromEntries(
        timelinessMetrics
          .filter((m) => m !== 'unique_students')
          .map((m) => [m, days.reduce((n, d) => n + ((d as Record<string, unknown>)[m] as number), 0)]),
      );
      return { course_id: id, view: sources.courseTimeliness, watermark, totals, days };
    },
  }),
  route({
    path: '/api/v1/courses/{courseId}/active-learners',
    summary:
      "A course's daily active learners for each of the last `days` local days the batch computed (course_daily_active_students): distinct students with any own course, video or assessment event in the course, and their events; zeros on quiet days. One partition per day (the day's courses, cached for the batch TTL), no scan; 404 for an unknown course.",
    tag: 'courses',
    params: courseDaysParam,
    handler: async (q, { path }, deps) => {
      const id = path['courseId']!;
      await one(deps, sources.courseOverview, id, 'course');
      const { watermark, dates } = await batchDays(deps, sources.courseActiveStudents, q.days);
      const days = await courseDays(deps, sources.courseActiveStudents, id, dates, [
        'active_students',
        'student_events',
      ]);
      return { course_id: id, view: sources.courseActiveStudents, watermark, days };
    },
  }),
  route({
    path: '/api/v1/courses/{courseId}/videos',
    summary:
      "A course's videos with their drop-off indicators (video_course_drop_off, one partition = the course): views, viewers, watch durations, mean completion and drop-off risk, lowest mean completion first, and how many videos are at each drop-off risk; 404 for an unknown course.",
    tag: 'courses',
    params: {},
    handler: async (_q, { path }, deps) => {
      const id = path['courseId']!;
      await one(deps, sources.courseOverview, id, 'course');
      const rows = await deps.reader.partition(tableOf(deps, sources.courseVideos), { course_id: id });
      const completion = (r: Row) => Number(r['avg_completion_percentage'] ?? Number.POSITIVE_INFINITY);
      const items = rows
        .map(withoutPii)
        .sort(
          (a, b) =>
            completion(a) - completion(b) || String(a['video_id']).localeCompare(String(b['video_id'])),
        );
      const drop_off: Record<string, number> = {};
      for (const r of items) {
        const risk = String(r['potential_drop_off'] ?? 'unknown');
        drop_off[risk] = (drop_off[risk] ?? 0) + 1;
      }
      return { course_id: id, view: sources.courseVideos, videos: items.length, drop_off, items };
    },
  }),
  route({
    path: '/api/v1/students/{studentId}',
    summary: 'One student (student_overview); 404 when unknown.',
    tag: 'students',
    params: {},
    handler: async (_q, { path }, deps) => ({
      student: withoutPii(await one(deps, sources.studentOverview, path['studentId']!, 'student')),
    }),
  }),
  route({
    path: '/api/v1/students/{studentId}/courses',
    summary:
      "A student's courses (student_course_enrollment, partition = student); 404 for an unknown student.",
    tag: 'students',
    params: page,
    handler: async (q, { path }, deps) => {
      const id = path['studentId']!;
      await one(deps, sources.studentOverview, id, 'student');
      return { student_id: id, ...(await partitionRows(deps, sources.studentCourses, id, q.page, q.limit)) };
    },
  }),
  route({
    path: '/api/v1/students/{studentId}/courses/{courseId}',
    summary:
      'A student in one course (student_course_detailed); 404 when the student has no row for the course.',
    tag: 'students',
    params: {},
    handler: async (_q, { path }, deps) => {
      const studentId = path['studentId']!;
      const courseId = path['courseId']!;
      const table = tableOf(deps, sources.studentCourseDetail);
      const rows = await deps.reader.partition(table, { [keyOf(table)]: studentId });
      const row = rows.find((r) => r['course_id'] === courseId);
      if (!row) throw notFound(`student ${studentId} has no activity in course ${courseId}`);
      return { student_id: studentId, course_id: courseId, detail: withoutPii(row) };
    },
  }),
  route({
    path: '/api/v1/students/{studentId}/activity',
    summary:
      "A student's activity over the 7 local days ending at each of the last `days` days the batch computed (student_activity_history, student_activity_7d per student: interactions, videos watched, assignments submitted, logins; zeros where the student had no row, i.e. no activity in those 7 days); one read of the student's partition, newest date first; 404 for an unknown student.",
    tag: 'students',
    params: {
      days: {
        kind: 'int',
        min: 1,
        max: 92,
        default: 14,
        doc: 'days ending with the last day the batch computed',
      },
    },
    handler: async (q, { path }, deps) => {
      const id = path['studentId']!;
      await one(deps, sources.studentOverview, id, 'student');
      const table = tableOf(deps, sources.studentActivity);
      const watermark = await deps.reader.watermark(sources.studentActivity);
      if (watermark === undefined)
        return { student_id: id, watermark: null, days: [], note: 'the batch has not computed any day yet' };
      const last = addDays(deps.reader.calendar.date(watermark), -1);
      const dates = Array.from({ length: q.days }, (_, k) => addDays(last, k - q.days + 1));
      const metrics = ['interactions', 'videos_watched', 'assignments_submitted', 'logins'];
      // The student's partition holds one row per day with activity in the 7 days ending there.
      const rows = await deps.reader.partition(
        table,
        { student_id: id },
        { from: dates[0], to: addDays(last, 1), limit: q.days },
      );
      const byDate = new Map(rows.map((r) => [String(r['date']), r]));
      const days = dates.map((date) => {
        const own = byDate.get(date);
        return {
          date,
          ...Object.fromEntries(metrics.map((m) => [m, (own?.[m] as number | undefined) ?? 0])),
        };
      });
      return { student_id: id, view: sources.studentActivity, watermark, days };
    },
  }),
];
