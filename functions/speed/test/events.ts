/**
 * Test events for the speed function: valid LMS events of every category, with a seeded random mix
 * (the older system's pools and weights: docs/architecture.md#the-older-system), at chosen times. Independent of the view declarations.
 */
import type { Category, LmsEvent } from '@ula/core';

let counter = 0;
/** A fresh UUID (v7 layout) per call, unique within the test process. */
export const eventId = (): string => {
  counter++;
  const hex = (counter + Math.floor(Math.random() * 2 ** 20) * 2 ** 28)
    .toString(16)
    .padStart(12, '0')
    .slice(-12);
  const rand = Math.floor(Math.random() * 2 ** 32)
    .toString(16)
    .padStart(8, '0');
  return `0190${rand.slice(0, 4)}-${rand.slice(4, 8)}-7000-8000-${hex}`;
};
const uuid4 = (): string => eventId().replace('-7000-', '-4000-');

/** A small deterministic PRNG (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number) => String(n).padStart(3, '0');
const pick = <T>(rnd: () => number, items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;

const make = (category: Category, eventType: string, ms: number, data: LmsEvent['data']): LmsEvent => ({
  id: eventId(),
  category,
  eventType,
  time: new Date(ms).toISOString(),
  data,
});

type Maker = (rnd: () => number, ms: number) => LmsEvent;
let submissions = 0;
let quizzes = 0;
const student = (rnd: () => number) => `SV${pad(1 + Math.floor(rnd() * 50))}`;
const teacher = (rnd: () => number) => `GV${pad(1 + Math.floor(rnd() * 10))}`;
const anyone = (rnd: () => number) =>
  rnd() < 0.5
    ? { user_id: student(rnd), role: 'student' as const }
    : { user_id: teacher(rnd), role: 'teacher' as const };
const course = (rnd: () => number) => `COURSE${pad(1 + Math.floor(rnd() * 20))}`;

export const makers: Record<string, Maker> = {
  LOGIN: (r, ms) => make('auth', 'LOGIN', ms, { ...anyone(r), session_id: uuid4() }),
  LOGOUT: (r, ms) => make('auth', 'LOGOUT', ms, { ...anyone(r), session_id: uuid4() }),
  SIGNUP: (r, ms) => {
    const who = anyone(r);
    return make('auth', 'SIGNUP', ms, {
      ...who,
      email: `${who.user_id.toLowerCase()}@university.edu`,
      registration_source: pick(r, ['web', 'mobile', 'admin']),
    });
  },
  SUBMIT_ASSIGNMENT: (r, ms) => {
    const user = student(r);
    const assignment = `ASM${pad(1 + Math.floor(r() * 100))}`;
    // Every 10th as a plain xAPI submission maps: without the optional type, due date and file.
    const stated =
      submissions++ % 10 === 3
        ? {}
        : {
            assignment_type: 'homework',
            due_date: '2026-12-01T16:59:00.000Z',
            file_url: `s3://submissions/${user}_${assignment}.pdf`,
          };
    return make('assessment', 'SUBMIT_ASSIGNMENT', ms, {
      user_id: user,
      role: 'student',
      assignment_id: assignment,
      course_id: course(r),
      ...stated,
    });
  },
  QUIZ_COMPLETED: (r, ms) => {
    const total = 10;
    const correct = Math.floor(r() * (total + 1));
    // Every 10th as a plain xAPI quiz result maps: the score without the answer counts.
    const counts = quizzes++ % 10 === 3 ? {} : { correct_answers: correct, total_questions: total };
    return make('assessment', 'QUIZ_COMPLETED', ms, {
      user_id: student(r),
      role: 'student',
      quiz_id: `QUIZ${pad(1 + Math.floor(r() * 40))}`,
      course_id: course(r),
      ...counts,
      score: correct,
      max_score: total,
    });
  },
  EDIT_ASSIGNMENT: (r, ms) =>
    make('assessment', 'EDIT_ASSIGNMENT', ms, {
      user_id: student(r),
      role: 'student',
      assignment_id: `ASM${pad(1 + Math.floor(r() * 100))}`,
      course_id: course(r),
      file_url: 's3://submissions/x_v2.pdf',
    }),
  GRADE_ASSIGNMENT: (r, ms) =>
    make('assessment', 'GRADE_ASSIGNMENT', ms, {
      user_id: teacher(r),
      role: 'teacher',
      student_id: student(r),
      assignment_id: `ASM${pad(1 + Math.floor(r() * 100))}`,
      course_id: course(r),
      score: 40 + Math.floor(r() * 61),
      max_score: 100,
    }),
  VIDEO_WATCHED: (r, ms) =>
    make('video', 'VIDEO_WATCHED', ms, {
      user_id: student(r),
      role: 'student',
      video_id: `VID${pad(1 + Math.floor(r() * 20))}`,
      course_id: course(r),
      watch_duration_seconds: pick(r, [30, 60, 120, 300, 600, 1200, 1800]),
      video_duration_seconds: 1800,
      session_id: uuid4(),
    }),
  COURSE_VIEW: (r, ms) => make('course', 'COURSE_VIEW', ms, { ...anyone(r), course_id: course(r) }),
  COURSE_ENROLLED: (r, ms) =>
    make('course', 'COURSE_ENROLLED', ms, { user_id: student(r), role: 'student', course_id: course(r) }),
  COURSE_DROPPED: (r, ms) =>
    make('course', 'COURSE_DROPPED', ms, { user_id: student(r), role: 'student', course_id: course(r) }),
  UPDATE_PROFILE: (r, ms) =>
    make('profile', 'UPDATE_PROFILE', ms, { ...anyone(r), updated_fields: ['address'] }),
  PROFILE_PICTURE_UPDATED: (r, ms) =>
    make('profile', 'PROFILE_PICTURE_UPDATED', ms, {
      ...anyone(r),
      picture_url: 's3://profiles/x_avatar.jpg',
    }),
  PASSWORD_CHANGED: (r, ms) => make('profile', 'PASSWORD_CHANGED', ms, { ...anyone(r) }),
  CREATE_PROFILE: (r, ms) =>
    make('profile', 'CREATE_PROFILE', ms, {
      user_id: student(r),
      role: 'student',
      email: 'sv001@university.edu',
      full_name: 'Nguyen Van A',
      date_of_birth: '2004-01-02',
      gender: 'other',
      phone_number: '0900000000',
      major: 'Data Science',
      enrollment_year: 2022,
    }),
  ...Object.fromEntries(
    ['NOTIFICATION_SENT', 'NOTIFICATION_OPENED', 'NOTIFICATION_CLICKED'].map((type) => [
      type,
      (r: () => number, ms: number) =>
        make('notification', type, ms, {
          ...anyone(r),
          notification_id: `NOTIF${1 + Math.floor(r() * 10000)}`,
          notification_type: pick(r, ['assignment_reminder', 'grade_posted', 'course_announcement']),
          channel: pick(r, ['email', 'push']),
          related_object_id: course(r),
        }),
    ]),
  ),
};

/** Roughly the older system's category mix (video 35, assessment 25, course 18, auth 15, notification 4, profile 3). */
const weights: [string, number][] = [
  ['VIDEO_WATCHED', 35],
  ['SUBMIT_ASSIGNMENT', 7],
  ['QUIZ_COMPLETED', 3],
  ['EDIT_ASSIGNMENT', 8],
  ['GRADE_ASSIGNMENT', 7],
  ['COURSE_VIEW', 8],
  ['COURSE_ENROLLED', 6],
  ['COURSE_DROPPED', 4],
  ['LOGIN', 7],
  ['LOGOUT', 5],
  ['SIGNUP', 3],
  ['NOTIFICATION_SENT', 2],
  ['NOTIFICATION_OPENED', 1],
  ['NOTIFICATION_CLICKED', 1],
  ['UPDATE_PROFILE', 1],
  ['PROFILE_PICTURE_UPDATED', 1],
  ['PASSWORD_CHANGED', 0.5],
  ['CREATE_PROFILE', 0.5],
];
const totalWeight = weights.reduce((n, [, w]) => n + w, 0);

/** `count` events of the mix, with times spread uniformly over [fromMs, toMs). */
export function mixedEvents(count: number, fromMs: number, toMs: number, seed = 1): LmsEvent[] {
  const rnd = random(seed);
  const out: LmsEvent[] = [];
  for (let i = 0; i < count; i++) {
    let x = rnd() * totalWeight;
    let type = weights[0]![0];
    for (const [t, w] of weights) {
      x -= w;
      if (x < 0) {
        type = t;
        break;
      }
    }
    out.push(makers[type]!(rnd, Math.floor(fromMs + rnd() * (toMs - fromMs))));
  }
  return out;
}
