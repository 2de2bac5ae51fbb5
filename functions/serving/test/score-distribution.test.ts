// biome-ignore-all lint/suspicious/noExplicitAny: tests read untyped JSON answers
/**
 * Scores as percent of the maximum through the API: a course's score distributions
 * (GET /api/v1/courses/{id}/score-distribution) and the percentage columns of the course, student and
 * enrolment answers, from events graded on different scales (out of 10, of 100, xAPI fractions of 1).
 */
import { type LmsEvent, localCalendar } from '@ula/core';
import { openSqliteViewStore } from '@ula/core/adapters/sqlite';
import type { ViewStore } from '@ula/core/adapters/view-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeBatchViews } from './fixture.ts';
import { servingApp } from './serving-app.ts';

const calendar = localCalendar('Asia/Ho_Chi_Minh');
let seq = 0;
const ev = (category: string, eventType: string, user: string, data: Record<string, unknown>) =>
  ({
    id: `0190f000-0000-7000-8000-${String(++seq).padStart(12, '0')}`,
    category,
    eventType,
    time: new Date(Date.UTC(2026, 2, 2, 3, seq)).toISOString(),
    data: { user_id: user, role: eventType === 'GRADE_ASSIGNMENT' ? 'teacher' : 'student', ...data },
  }) as unknown as LmsEvent;
const quiz = (student: string, score: number, maxScore: number) =>
  ev('assessment', 'QUIZ_COMPLETED', student, { course_id: 'C1', quiz_id: 'Q1', score, max_score: maxScore });
const grade = (student: string, score: number, maxScore: number) =>
  ev('assessment', 'GRADE_ASSIGNMENT', 'T1', {
    student_id: student,
    course_id: 'C1',
    assignment_id: `A${maxScore}`,
    score,
    max_score: maxScore,
  });

/** Each result with the percentage and band it must land in, computed here by hand. */
const results = [
  { event: quiz('S1', 8, 10), percent: 80, band: 80 },
  { event: quiz('S1', 0.45, 1), percent: 45, band: 40 }, // a plain xAPI result: a fraction of 1
  { event: quiz('S2', 10, 10), percent: 100, band: 90 }, // a full score: the top band
  { event: quiz('S2', 0.81, 1), percent: 81, band: 80 },
  { event: grade('S1', 8.5, 10), percent: 85, band: 80 }, // the 8.5 out of 10 …
  { event: grade('S1', 92.8, 100), percent: 92.8, band: 90 }, // … beside 92.8 out of 100
  { event: grade('S2', 110, 100), percent: 110, band: 100 }, // extra credit: above the maximum
];
const events = [
  ev('course', 'COURSE_ENROLLED', 'S1', { course_id: 'C1' }),
  ev('course', 'COURSE_ENROLLED', 'S2', { course_id: 'C1' }),
  ...results.map((r) => r.event),
];
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const percentsOf = (type: string, student?: string) =>
  results
    .filter((r) => r.event.eventType === type)
    .filter((r) => student === undefined || (r.event.data['student_id'] ?? r.event.data.user_id) === student)
    .map((r) => r.percent);

describe('scores as percent of the maximum in the API', () => {
  let store: ViewStore;
  let get: ReturnType<typeof servingApp>['get'];

  beforeAll(async () => {
    store = openSqliteViewStore(':memory:');
    await storeBatchViews(store, events, calendar, [
      'course_overview',
      'student_overview',
      'student_course_enrollment',
      'assessment_score_distribution',
    ]);
    get = servingApp(store, calendar).get;
  });
  afterAll(() => store?.close());

  it("gives every band of a course's quiz and assignment distributions, zeros included", async () => {
    const r = await get('/api/v1/courses/C1/score-distribution');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ course_id: 'C1', unit: 'percent of max_score' });
    for (const [assessment, type] of [
      ['quiz', 'QUIZ_COMPLETED'],
      ['assignment', 'GRADE_ASSIGNMENT'],
    ] as const) {
      const own = results.filter((x) => x.event.eventType === type);
      const distribution = r.json[assessment];
      expect(distribution.results).toBe(own.length);
      expect(distribution.bands.map((b: any) => b.band)).toEqual([
        0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100,
      ]);
      for (const band of distribution.bands) {
        const inBand = own.filter((x) => x.band === band.band);
        const students = new Set(inBand.map((x) => x.event.data['student_id'] ?? x.event.data.user_id));
        expect(band, `${assessment} band ${band.band}`).toMatchObject({
          results: inBand.length,
          students: students.size,
          share_percentage: Math.round((inBand.length / own.length) * 10_000) / 100,
        });
      }
    }
    const top = r.json.assignment.bands.at(-2);
    expect(top).toMatchObject({ from: 90, to: 100, label: '90–100 %' });
    expect(r.json.assignment.bands.at(-1)).toMatchObject({ from: 100, to: null, label: 'above 100 %' });
  });

  it('answers 404 for an unknown course', async () => {
    const r = await get('/api/v1/courses/NOPE/score-distribution');
    expect(r.status).toBe(404);
  });

  it('serves course, student and enrolment scores as percentages, never a mean of raw scores', async () => {
    const course = (await get('/api/v1/courses/C1')).json.course;
    expect(course.avg_assignment_percentage).toBeCloseTo(mean(percentsOf('GRADE_ASSIGNMENT')), 9);
    expect(course.avg_quiz_percentage).toBeCloseTo(mean(percentsOf('QUIZ_COMPLETED')), 9);
    expect(course).not.toHaveProperty('avg_assignment_score');
    const student = (await get('/api/v1/students/S1')).json.student;
    expect(student.avg_assignment_percentage).toBeCloseTo(mean(percentsOf('GRADE_ASSIGNMENT', 'S1')), 9);
    const [enrolment] = (await get('/api/v1/students/S1/courses')).json.items;
    expect(enrolment).toMatchObject({ course_id: 'C1' });
    expect(enrolment.avg_assignment_percentage).toBeCloseTo(mean(percentsOf('GRADE_ASSIGNMENT', 'S1')), 9);
    expect(enrolment.avg_quiz_percentage).toBeCloseTo(mean(percentsOf('QUIZ_COMPLETED', 'S1')), 9);
    expect(enrolment).not.toHaveProperty('avg_score');
  });
});
