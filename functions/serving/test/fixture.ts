/**
 * Test data for the serving layer: a small set of LMS events around "now" (yesterday and the last hour,
 * local calendar), written to a ViewStore the way the batch and speed layers would (through the view
 * engine of @ula/core, not through the serving code), plus the batch watermarks.
 *
 * The batch rows are computed from *every* event, today's included, as a batch run that also wrote a
 * partial today would: the serving layer must still take today from the speed layer only.
 */
import {
  addInput,
  allTables,
  batchViews,
  batchWatermarks,
  finishRows,
  type LmsEvent,
  type LocalCalendar,
  newAggregation,
  type Row,
  speedFacts,
  speedViews,
  type ViewStore,
} from '@ula/core';
import { tableNamed } from '@ula/core/views/catalogue';

let seq = 0;
const uuid = () => `0190f000-0000-7000-8000-${String(++seq).padStart(12, '0')}`;

/** PII that profile events carry; no serving response may contain any of it. */
export const pii = {
  email: 'hoa.nguyen.secret@example.edu',
  full_name: 'Nguyen Thi Secretname',
  phone_number: '+84-900-555-0199',
  date_of_birth: '2001-02-03',
};

export interface Scenario {
  events: LmsEvent[];
  today: string;
  yesterday: string;
  todayStart: number;
  now: number;
  /** Events of the last hour (all within [now - 50 min, now - 1 s]). */
  recentFrom: number;
}

/**
 * Builds the events. Prefix keeps ids apart when several runs share a keyspace. Today's events all lie
 * in the last 50 minutes and after local midnight; yesterday's at local noon-ish.
 */
export function scenario(calendar: LocalCalendar, prefix = 't'): Scenario {
  const now = Date.now();
  const today = calendar.date(now);
  const todayStart = calendar.startOfDate(today);
  const yesterday = calendar.date(todayStart - 1);
  const yesterdayNoon = calendar.startOfDate(yesterday) + 12 * 3_600_000;
  const recentFrom = Math.max(now - 50 * 60_000, todayStart + 1000);
  const span = now - 1000 - recentFrom;
  if (span < 60_000) throw new Error('too close to local midnight for this scenario: rerun in a minute');
  const at = (fraction: number) => new Date(recentFrom + Math.floor(span * fraction)).toISOString();
  const atYesterday = (minutes: number) => new Date(yesterdayNoon + minutes * 60_000).toISOString();
  const id = (s: string) => `${prefix}${s}`;
  const ev = (
    category: LmsEvent['category'],
    eventType: string,
    time: string,
    data: Record<string, unknown>,
  ) => ({ id: uuid(), category, eventType, time, data }) as unknown as LmsEvent;
  const login = (user: string, time: string, role = 'student') =>
    ev('auth', 'LOGIN', time, { user_id: id(user), role, session_id: uuid() });
  const watch = (user: string, course: string, video: string, seconds: number, time: string) =>
    ev('video', 'VIDEO_WATCHED', time, {
      user_id: id(user),
      role: 'student',
      course_id: id(course),
      video_id: id(video),
      watch_duration_seconds: seconds,
      video_duration_seconds: 600,
    });
  const enrol = (user: string, course: string, time: string) =>
    ev('course', 'COURSE_ENROLLED', time, { user_id: id(user), role: 'student', course_id: id(course) });
  const submit = (user: string, course: string, assignment: string, time: string) =>
    ev('assessment', 'SUBMIT_ASSIGNMENT', time, {
      user_id: id(user),
      role: 'student',
      course_id: id(course),
      assignment_id: id(assignment),
    });
  const profile = (user: string, time: string) =>
    ev('profile', 'CREATE_PROFILE', time, {
      user_id: id(user),
      role: 'student',
      ...pii,
      gender: 'female',
      major: 'CS',
      enrollment_year: 2022,
    });
  const update = (user: string, time: string) =>
    ev('profile', 'UPDATE_PROFILE', time, {
      user_id: id(user),
      role: 'student',
      updated_fields: ['email', 'phone_number'],
      old_email: pii.email,
      new_email: `new.${pii.email}`,
      old_phone: pii.phone_number,
      new_phone: '+84-900-555-0100',
    });

  const events: LmsEvent[] = [
    // yesterday: u1 (twice), u2, u3 log in; some course activity
    login('u1', atYesterday(0)),
    login('u1', atYesterday(30)),
    login('u2', atYesterday(5)),
    login('u3', atYesterday(10)),
    login('t1', atYesterday(12), 'teacher'),
    enrol('u1', 'C1', atYesterday(1)),
    enrol('u2', 'C1', atYesterday(2)),
    enrol('u3', 'C2', atYesterday(3)),
    watch('u1', 'C1', 'V1', 300, atYesterday(20)),
    watch('u2', 'C1', 'V1', 120, atYesterday(21)),
    watch('u3', 'C2', 'V3', 60, atYesterday(22)),
    profile('u1', atYesterday(40)),
    // today, last hour: u2, u4, u5 log in (u2 twice)
    login('u2', at(0.05)),
    login('u4', at(0.1)),
    login('u5', at(0.5)),
    login('u2', at(0.9)),
    enrol('u4', 'C2', at(0.12)),
    watch('u2', 'C1', 'V1', 200, at(0.2)),
    watch('u4', 'C2', 'V3', 100, at(0.3)),
    watch('u4', 'C2', 'V3', 50, at(0.35)),
    watch('u5', 'C1', 'V2', 400, at(0.6)),
    watch('u2', 'C1', 'V2', 30, at(0.7)),
    submit('u2', 'C1', 'A1', at(0.4)),
    submit('u5', 'C1', 'A1', at(0.8)),
    update('u1', at(0.45)),
  ];
  return { events, today, yesterday, todayStart, now, recentFrom };
}

/** Rows of every stored batch view computed from the events (views over views fed in order). */
export function batchRows(events: readonly LmsEvent[], calendar: LocalCalendar): Map<string, Row[]> {
  const context = { calendar };
  const rows = new Map<string, Row[]>();
  for (const view of batchViews) {
    const aggregation = newAggregation(view);
    const inputs: readonly unknown[] = view.from ? (rows.get(view.from) ?? []) : events;
    for (const input of inputs) addInput(aggregation, input, context);
    const lookup = (name: string, key: Row) =>
      (rows.get(name) ?? []).find((r) => Object.entries(key).every(([k, v]) => r[k] === v));
    rows.set(view.name, finishRows(aggregation, { lookup }));
  }
  return rows;
}

/** Creates the tables of the batch views `names` in the store and writes their rows computed from `events`. */
export async function storeBatchViews(
  store: ViewStore,
  events: readonly LmsEvent[],
  calendar: LocalCalendar,
  names: readonly string[],
): Promise<void> {
  await store.ensureTables(names.map(tableNamed));
  const rows = batchRows(events, calendar);
  for (const name of names) await store.upsert(tableNamed(name), rows.get(name) ?? []);
}

/** Speed fact rows per speed view. */
export function speedFactRows(events: readonly LmsEvent[], calendar: LocalCalendar): Map<string, Row[]> {
  const context = { calendar };
  return new Map(speedViews.map((v) => [v.name, events.flatMap((e) => speedFacts(v, e, context))]));
}

/**
 * Writes batch rows, speed facts and watermarks (every batch view exact up to `watermark`, by default the
 * start of today) to the store.
 */
export async function seed(store: ViewStore, s: Scenario, calendar: LocalCalendar, watermark = s.todayStart) {
  const stored = new Set(allTables.map((t) => t.name));
  const batch = batchRows(s.events, calendar);
  for (const view of batchViews) {
    if (view.intermediate || !stored.has(view.name)) continue;
    const table = allTables.find((t) => t.name === view.name)!;
    await store.upsert(table, batch.get(view.name) ?? []);
  }
  for (const [name, facts] of speedFactRows(s.events, calendar)) {
    await store.upsert(allTables.find((t) => t.name === name)!, facts);
  }
  await store.upsert(
    batchWatermarks,
    batchViews
      .filter((v) => !v.intermediate)
      .map((v) => ({ view_name: v.name, watermark, run_id: 'test-run', updated_at: Date.now() })),
  );
  return { batch };
}

/**
 * A livelier data set for the dashboard: `students` students in `courses` courses over the last 7 days
 * and, densely, the last 6 hours (deterministic pseudo-random).
 */
export function richScenario(
  calendar: LocalCalendar,
  students = 60,
  courses = 8,
  perPeriod = 1500,
): Scenario {
  const base = scenario(calendar, 'r');
  let state = 42;
  const rand = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)] as T;
  const now = base.now;
  const events: LmsEvent[] = [...base.events];
  const studentIds = Array.from({ length: students }, (_, i) => `S${String(i + 1).padStart(3, '0')}`);
  const courseIds = Array.from({ length: courses }, (_, i) => `CS${101 + i}`);
  const enrolled = new Map(studentIds.map((s) => [s, [pick(courseIds), pick(courseIds)]]));
  const ev = (category: LmsEvent['category'], eventType: string, ms: number, data: Record<string, unknown>) =>
    events.push({
      id: uuid(),
      category,
      eventType,
      time: new Date(ms).toISOString(),
      data,
    } as unknown as LmsEvent);
  for (const s of studentIds)
    for (const c of new Set(enrolled.get(s)))
      ev('course', 'COURSE_ENROLLED', now - 7 * 86_400_000 + rand() * 3_600_000, {
        user_id: s,
        role: 'student',
        course_id: c,
      });
  const activity = (ms: number) => {
    const s = pick(studentIds);
    const c = pick(enrolled.get(s)!);
    const r = rand();
    if (r < 0.25) ev('auth', 'LOGIN', ms, { user_id: s, role: 'student', session_id: uuid() });
    else if (r < 0.7)
      ev('video', 'VIDEO_WATCHED', ms, {
        user_id: s,
        role: 'student',
        course_id: c,
        video_id: `${c}-V${1 + Math.floor(rand() * 4)}`,
        watch_duration_seconds: 30 + Math.floor(rand() * 500),
        video_duration_seconds: 600,
      });
    else if (r < 0.85)
      ev('assessment', 'SUBMIT_ASSIGNMENT', ms, {
        user_id: s,
        role: 'student',
        course_id: c,
        assignment_id: `${c}-A1`,
      });
    else if (r < 0.95)
      ev('course', 'DOWNLOAD_MATERIAL', ms, {
        user_id: s,
        role: 'student',
        course_id: c,
        material_id: `${c}-M1`,
      });
    else
      ev('assessment', 'QUIZ_COMPLETED', ms, {
        user_id: s,
        role: 'student',
        course_id: c,
        quiz_id: `${c}-Q1`,
        score: Math.floor(rand() * 10),
        max_score: 10,
      });
  };
  for (let i = 0; i < perPeriod; i++) activity(now - rand() * 7 * 86_400_000);
  for (let i = 0; i < perPeriod; i++) activity(now - 1000 - rand() * 6 * 3_600_000);
  return { ...base, events: events.filter((e) => Date.parse(e.time) < now) };
}
