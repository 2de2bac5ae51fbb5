import { type Category, categories, type LmsEvent, validateEvent } from '@ula/core';
import { describe, expect, it } from 'vitest';
import {
  attributesOf,
  backfill,
  createUniversity,
  type GeneratedItem,
  live,
  referenceWeights,
  simulate,
} from '../src/generator/index.ts';

const end = '2025-09-10T00:00:00.000Z';
const university = createUniversity({ seed: 'test', students: 300, teachers: 12, courses: 24 });
const items = [...backfill(university, { days: 2, end })];
const events = items.flatMap((i) => (i.kind === 'event' ? [i.event] : []));

const str = (e: LmsEvent, field: string): string => e.data[field] as string;
const num = (e: LmsEvent, field: string): number => e.data[field] as number;
const sessionFree = new Set(['SIGNUP', 'NOTIFICATION_SENT', 'NOTIFICATION_OPENED', 'NOTIFICATION_CLICKED']);

describe('generator: the simulated university', () => {
  it("has the requested population with the older system's id formats", () => {
    expect(university.students).toHaveLength(300);
    expect(university.students[0]!.id).toBe('SV00001');
    expect(university.teachers[11]!.id).toBe('GV012');
    expect(university.courses).toHaveLength(24);
    for (const c of university.courses) {
      expect(university.teachers[c.owner]!.courses).toContain(c.index);
      expect(c.videos.every((v) => v.durationSeconds > 0)).toBe(true);
      expect(c.quizzes.every((q) => q.totalQuestions > 0 && q.maxScore > 0)).toBe(true);
    }
    const defaults = createUniversity();
    expect([defaults.students.length, defaults.teachers.length, defaults.courses.length]).toEqual([
      3000, 60, 120,
    ]);
  });

  it('produces a few thousand events for 300 students over 2 days, all valid CloudEvents of the catalogue', () => {
    expect(events.length).toBeGreaterThan(5000);
    expect(items.every((i) => i.kind === 'event' && !i.duplicate && !i.late)).toBe(true);
    for (const e of events) {
      const parsed = validateEvent({ ...attributesOf(e), data: JSON.parse(JSON.stringify(e.data)) });
      expect(parsed).toEqual(e);
    }
  });

  it('uses all 26 event types over a few weeks of a semester', () => {
    const small = createUniversity({ seed: 'weeks', students: 80, teachers: 5, courses: 12 });
    const types = new Set<string>();
    for (const e of simulate(small, { start: '2025-09-01T00:00:00Z', end: '2025-09-29T00:00:00Z' })) {
      types.add(e.eventType);
    }
    expect([...types].sort()).toHaveLength(26);
  });

  it('emits events in time order inside the window, with unique UUID v7 ids', () => {
    const start = Date.parse(end) - 2 * 86_400_000;
    let last = start;
    for (const e of events) {
      const t = Date.parse(e.time);
      expect(t).toBeGreaterThanOrEqual(last);
      last = t;
      expect(e.id[14]).toBe('7');
      expect(parseInt(e.id.replace(/-/g, '').slice(0, 12), 16)).toBe(t);
    }
    expect(last).toBeLessThan(Date.parse(end));
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it('is deterministic: same seed, same events (ids included); another seed, other events', () => {
    const again = [
      ...backfill(createUniversity({ seed: 'test', students: 300, teachers: 12, courses: 24 }), {
        days: 2,
        end,
      }),
    ];
    expect(again).toEqual(items);
    const other = [
      ...backfill(createUniversity({ seed: 'other', students: 300, teachers: 12, courses: 24 }), {
        days: 2,
        end,
        limit: 500,
      }),
    ];
    const ids = new Set(events.map((e) => e.id));
    expect(other.some((i) => i.kind === 'event' && !ids.has(i.event.id))).toBe(true);
    expect(other.map((i) => (i.kind === 'event' ? i.event.data : null))).not.toEqual(
      items.slice(0, 500).map((i) => (i.kind === 'event' ? i.event.data : null)),
    );
  });

  it('keeps the category mix within 2 percentage points of the configured weights', () => {
    const check = (list: LmsEvent[], weights: Record<Category, number>) => {
      const total = categories.reduce((s, c) => s + weights[c], 0);
      for (const c of categories) {
        const share = list.filter((e) => e.category === c).length / list.length;
        expect(Math.abs(share - weights[c] / total), c).toBeLessThan(0.02);
      }
    };
    check(events, referenceWeights);
    const weights = { auth: 10, assessment: 30, video: 30, course: 20, profile: 4, notification: 6 };
    check([...simulate(university, { start: Date.parse(end) - 2 * 86_400_000, end, weights })], weights);
  });

  it('signs every user up exactly once, first, then creates their profile once', () => {
    const seen = new Map<string, string[]>();
    for (const e of events) {
      const list = seen.get(e.data.user_id) ?? [];
      list.push(e.eventType);
      seen.set(e.data.user_id, list);
    }
    for (const [user, types] of seen) {
      expect(types[0], user).toBe('SIGNUP');
      expect(
        types.filter((t) => t === 'SIGNUP'),
        user,
      ).toHaveLength(1);
      const firstActivity = types.findIndex((t) => !['SIGNUP', 'LOGIN'].includes(t));
      // (A user who signed up in the last minute of the window may not have a profile yet.)
      const profiles = types.filter((t) => t === 'CREATE_PROFILE');
      expect(profiles, user).toHaveLength(firstActivity < 0 ? 0 : 1);
      if (firstActivity >= 0) expect(types[firstActivity], user).toBe('CREATE_PROFILE');
    }
  });

  it('nests sessions: LOGIN, activity with that session, LOGOUT of the same session id', () => {
    const open = new Map<string, string>();
    let closed = 0;
    for (const e of events) {
      const user = e.data.user_id;
      if (e.eventType === 'LOGIN') {
        expect(open.has(user), `${user} logs in twice`).toBe(false);
        open.set(user, str(e, 'session_id'));
      } else if (e.eventType === 'LOGOUT') {
        expect(open.get(user), `orphan logout of ${user}`).toBe(str(e, 'session_id'));
        open.delete(user);
        closed++;
      } else if (!sessionFree.has(e.eventType)) {
        expect(open.has(user), `${e.eventType} of ${user} outside a session`).toBe(true);
        if (e.eventType === 'VIDEO_WATCHED') expect(str(e, 'session_id')).toBe(open.get(user));
      }
    }
    expect(closed).toBeGreaterThan(100);
  });

  it('creates each course once, by its owner, before anything happens in it', () => {
    const owner = new Map<string, string>();
    for (const e of events) {
      const course = e.data['course_id'] as string | undefined;
      if (e.eventType === 'COURSE_CREATED') {
        expect(owner.has(course!)).toBe(false);
        owner.set(course!, e.data.user_id);
      } else if (course !== undefined) {
        expect(owner.has(course), `${e.eventType} in ${course} before it was created`).toBe(true);
        if (e.data.role === 'teacher') expect(e.data.user_id).toBe(owner.get(course));
      }
    }
  });

  it('lets students act only in courses between their enrolment and their drop', () => {
    const enrolled = new Set<string>();
    const dropped = new Set<string>();
    let drops = 0;
    for (const e of events) {
      if (e.data.role !== 'student' || e.data['course_id'] === undefined) continue;
      const key = `${e.data.user_id}/${str(e, 'course_id')}`;
      if (e.eventType === 'COURSE_ENROLLED') {
        expect(enrolled.has(key) || dropped.has(key)).toBe(false);
        enrolled.add(key);
      } else {
        expect(enrolled.has(key), `${e.eventType} ${key} while not enrolled`).toBe(true);
        if (e.eventType === 'COURSE_DROPPED') {
          enrolled.delete(key);
          dropped.add(key);
          drops++;
        }
      }
    }
    expect(enrolled.size).toBeGreaterThan(300 * 3);
    expect(drops).toBeGreaterThanOrEqual(0);
  });

  it('grades and reviews only submitted work, by the course teacher, once per submission', () => {
    const submitted = new Set<string>();
    const graded = new Set<string>();
    let grades = 0;
    for (const e of events) {
      const key = `${e.data['student_id'] ?? e.data.user_id}/${str(e, 'assignment_id')}`;
      if (e.eventType === 'SUBMIT_ASSIGNMENT') {
        expect(graded.has(key)).toBe(false);
        submitted.add(key);
      } else if (e.eventType === 'DELETE_ASSIGNMENT') {
        expect(submitted.delete(key)).toBe(true);
      } else if (e.eventType === 'EDIT_ASSIGNMENT') {
        expect(submitted.has(key)).toBe(true);
      } else if (e.eventType === 'VIEW_STUDENT_WORK') {
        expect(submitted.has(key), `review of ${key} without submission`).toBe(true);
      } else if (e.eventType === 'GRADE_ASSIGNMENT') {
        expect(submitted.has(key), `grade of ${key} without submission`).toBe(true);
        expect(graded.has(key)).toBe(false);
        expect(num(e, 'score')).toBeLessThanOrEqual(num(e, 'max_score'));
        graded.add(key);
        submitted.delete(key);
        grades++;
      }
    }
    expect(grades).toBeGreaterThan(20);
  });

  it('opens and clicks notifications only after they were sent to the same user', () => {
    const sent = new Map<string, string>();
    const opened = new Set<string>();
    for (const e of events) {
      const id = str(e, 'notification_id');
      if (e.eventType === 'NOTIFICATION_SENT') {
        expect(sent.has(id)).toBe(false);
        sent.set(id, e.data.user_id);
      } else if (e.eventType === 'NOTIFICATION_OPENED') {
        expect(sent.get(id)).toBe(e.data.user_id);
        opened.add(id);
      } else if (e.eventType === 'NOTIFICATION_CLICKED') {
        expect(opened.has(id)).toBe(true);
      }
    }
    expect(opened.size).toBeLessThan(sent.size);
  });

  it('gives runs that start at different instants disjoint notification ids', () => {
    const notificationIds = (runEnd: string) =>
      new Set(
        [...backfill(university, { days: 1, end: runEnd })].flatMap((i) =>
          i.kind === 'event' && i.event.eventType === 'NOTIFICATION_SENT'
            ? [str(i.event, 'notification_id')]
            : [],
        ),
      );
    const first = notificationIds('2025-09-10T00:00:00.000Z');
    const second = notificationIds('2025-09-11T00:00:00.000Z');
    expect(first.size).toBeGreaterThan(10);
    expect(second.size).toBeGreaterThan(10);
    expect([...first].filter((id) => second.has(id))).toEqual([]);
  });

  it('scores quizzes as correct / total x max and watches videos mostly within their duration', () => {
    const quizzes = events.filter((e) => e.eventType === 'QUIZ_COMPLETED');
    expect(quizzes.length).toBeGreaterThan(100);
    for (const q of quizzes) {
      expect(num(q, 'correct_answers')).toBeLessThanOrEqual(num(q, 'total_questions'));
      const expected = (num(q, 'correct_answers') / num(q, 'total_questions')) * num(q, 'max_score');
      expect(Math.abs(num(q, 'score') - expected)).toBeLessThan(0.006);
    }
    const videos = events.filter((e) => e.eventType === 'VIDEO_WATCHED');
    const within = videos.filter((v) => num(v, 'watch_duration_seconds') <= num(v, 'video_duration_seconds'));
    expect(within.length / videos.length).toBeGreaterThan(0.9);
    expect(within.length).toBeLessThan(videos.length); // some rewatching
    for (const v of videos)
      expect(num(v, 'watch_duration_seconds')).toBeLessThanOrEqual(2 * num(v, 'video_duration_seconds'));
    // The same video always has the same duration and belongs to one course.
    const byVideo = new Map<string, string>();
    for (const v of videos) {
      const sig = `${str(v, 'course_id')}/${num(v, 'video_duration_seconds')}`;
      expect(byVideo.get(str(v, 'video_id')) ?? sig).toBe(sig);
      byVideo.set(str(v, 'video_id'), sig);
    }
  });

  it('follows the day in Asia/Ho_Chi_Minh: evenings are busy, nights are quiet', () => {
    const byHour = new Array(24).fill(0);
    for (const e of events) byHour[(new Date(e.time).getUTCHours() + 7) % 24]++;
    const evening = byHour[19] + byHour[20] + byHour[21];
    const night = byHour[2] + byHour[3] + byHour[4];
    expect(evening).toBeGreaterThan(5 * night);
  });
});

describe('generator: fault injection', () => {
  const faulty = [
    ...backfill(university, { days: 2, end, malformedRate: 0.05, duplicateRate: 0.02, lateRate: 0.01 }),
  ];
  const good = faulty.filter((i): i is Extract<GeneratedItem, { kind: 'event' }> => i.kind === 'event');

  it('injects malformed records at the requested rate, each one rejected by validation', () => {
    const malformed = faulty.filter((i) => i.kind === 'malformed');
    expect(Math.abs(malformed.length / faulty.length - 0.05)).toBeLessThan(0.01);
    const defects = new Set<string>();
    for (const m of malformed) {
      if (m.kind !== 'malformed') continue;
      defects.add(m.defect);
      expect(() => validateEvent({ ...m.record.attributes, data: m.record.body }), m.defect).toThrow();
      if (m.defect === 'bad_json') expect(() => JSON.parse(m.record.body)).toThrow();
    }
    expect(defects.size).toBe(5);
  });

  it('leaves the good events unchanged, adds duplicates with the same id and late events', () => {
    const originals = good.filter((i) => !i.duplicate).map((i) => i.event);
    expect(new Set(originals.map((e) => e.id))).toEqual(new Set(events.map((e) => e.id)));
    const duplicates = good.filter((i) => i.duplicate);
    expect(Math.abs(duplicates.length / events.length - 0.02)).toBeLessThan(0.006);
    const seen = new Set<string>();
    let maxTime = 0;
    const lags: number[] = [];
    for (const i of good) {
      if (i.duplicate) expect(seen.has(i.event.id)).toBe(true);
      seen.add(i.event.id);
      const t = Date.parse(i.event.time);
      if (i.late) {
        expect(t).toBeLessThan(maxTime);
        lags.push(maxTime - t);
      }
      maxTime = Math.max(maxTime, t);
    }
    expect(lags.length).toBeGreaterThan(events.length * 0.005);
    // Most are over an hour behind the stream (those still held at the window's end come out sooner).
    expect(lags.filter((l) => l >= 3_600_000).length / lags.length).toBeGreaterThan(0.5);
  });
});

describe('generator: live mode', () => {
  it('paces events at the target rate with event time = now', async () => {
    const started = Date.now();
    const out: GeneratedItem[] = [];
    for await (const item of live(university, { rate: 400, limit: 200 })) out.push(item);
    const seconds = (Date.now() - started) / 1000;
    expect(out).toHaveLength(200);
    expect(seconds).toBeGreaterThan(0.35);
    expect(seconds).toBeLessThan(3);
    for (const i of out) {
      if (i.kind !== 'event') continue;
      expect(Math.abs(Date.parse(i.event.time) - started)).toBeLessThan(5000);
      validateEvent({ ...attributesOf(i.event), data: i.event.data });
    }
  });
});
