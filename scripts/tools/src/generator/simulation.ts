/**
 * The behaviour of the university over time: a discrete-event simulation whose events follow state.
 *
 * - Sessions arrive as a non-homogeneous Poisson process that follows the day/night curve and the
 *   weekday pattern of the university's time zone; a session is LOGIN, activities, LOGOUT with one
 *   session id, and a user has at most one open session.
 * - A user's first session is their onboarding: SIGNUP, LOGIN, CREATE_PROFILE, then COURSE_CREATED for
 *   each course a teacher owns, or COURSE_ENROLLED in the courses a student wants.
 * - Students act only in courses they are enrolled in (until they drop them), on content that has been
 *   published; teachers grade what was submitted in their own courses; notifications are opened and
 *   clicked only after they were sent.
 * - The category of each free activity is steered by the MixController so the stream keeps the
 *   configured category weights.
 *
 * Memory is proportional to the university (users, enrolments, open sessions, pending follow-ups), not
 * to the simulated time span.
 */

import { type Category, categories, type LmsEvent } from '@ula/core/events/envelope';
import { v7 } from 'uuid';
import { Agenda } from './agenda.ts';
import {
  DAY,
  HOUR,
  isoTime,
  MINUTE,
  semesterOf,
  studentHourCurve,
  teacherHourCurve,
  weekdayFactor,
  ZoneClock,
} from './calendar.ts';
import { type CategoryWeights, MixController, referenceWeights } from './mix.ts';
import { AliasTable, formatUuid, Random } from './random.ts';
import { ASSIGNMENTS, MATERIALS, QUIZZES, ReleaseSchedule, VIDEOS } from './releases.ts';
import type { Course, Person, Student, University } from './university.ts';

/** Knobs of behaviour (the university itself comes from `createUniversity`). */
export interface BehaviourOptions {
  /** Category weights (any positive scale); default the older system's 15/25/35/18/3/4. */
  weights?: Partial<CategoryWeights>;
  /** Analytics time zone that drives the day/night curve. Default Asia/Ho_Chi_Minh. */
  timeZone?: string;
  /** Mean sessions per student per day (weekly average). Default 1.5. */
  sessionsPerStudentPerDay?: number;
  /** Mean sessions per teacher per day. Default 3. */
  sessionsPerTeacherPerDay?: number;
  /** Follow the day/night and weekday curves (default true); false gives a flat rate. */
  diurnal?: boolean;
  /** Day 0 of the semester (content release and due dates). Default: the simulation start. */
  semesterStart?: number | string | Date;
  /** Seed of the behaviour streams; default the university's seed. */
  seed?: string | number;
}

export const behaviourDefaults = {
  timeZone: 'Asia/Ho_Chi_Minh',
  sessionsPerStudentPerDay: 1.5,
  sessionsPerTeacherPerDay: 3,
  diurnal: true,
} as const;

export const toMillis = (value: number | string | Date): number => {
  const ms =
    typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : value.getTime();
  if (!Number.isFinite(ms)) throw new Error(`not a valid instant: ${String(value)}`);
  return Math.round(ms);
};

const AUTH = 0;
const ASSESSMENT = 1;
const VIDEO = 2;
const COURSE = 3;
const PROFILE = 4;
const NOTIFICATION = 5;

// Agenda item kinds.
const ARRIVAL = 0;
const STEP = 1;
const ONBOARD = 2;
const NOTIFY_OPEN = 3;
const NOTIFY_CLICK = 4;
const NOTIFY_GRADE = 5;

// Forced (onboarding) actions of a session.
const F_SIGNUP = 1;
const F_LOGIN = 2;
const F_PROFILE = 3;
const F_CREATE_COURSE = 4;
const F_ENROL = 5;

// Assignment state per enrolment.
const UNSEEN = 0;
const VIEWED = 1;
const SUBMITTED = 2;
const TEACHER_VIEWED = 3;
const GRADED = 4;

const MAX_STEPS = 80;
const MAX_SESSION_MS = 5 * HOUR;
const SUBMIT_GRACE_MS = 3 * DAY;

/** Events per `fill` when streaming: few, so that few are still alive (and copied) at each minor GC. */
const chunkEvents = 64;

interface CourseState {
  course: Course;
  /** The course's index, here so that looking up its releases need not load the course. */
  index: number;
  created: boolean;
  createdAt: number;
  deleted: boolean;
  active: number;
  roster: Enrolment[];
  assignmentDue: Float64Array;
  assignmentDueIso: string[];
}

/** A student in a course; what the assignment scan reads comes first. */
interface Enrolment {
  cs: CourseState;
  /** Assignments before this index are settled (graded, or missed and not reopened). */
  openFrom: number;
  /** Where the states of this enrolment's assignments start in `Simulation.assignmentStates`. */
  statesAt: number;
  reopenDue: Float64Array | null;
  student: number;
  videoNext: number;
  dropped: boolean;
  enrolledAt: number;
}

interface Submission {
  enrolment: Enrolment;
  assignment: number;
}

/**
 * A user and their open session (at most one). What a step reads is here, not spread over a session
 * object and the person: each object a step touches is a cache miss at the scale of a university. The
 * fields a step reads come first (V8 lays them out in the order the literal in the constructor gives).
 */
interface UserState {
  /** An activity under way (a video, a quiz) whose event is emitted when it ends, at the next step. */
  pendingData: Record<string, unknown> | null;
  pendingCategory: number;
  pendingType: string;
  /** What the session must do before free activities (LOGIN; onboarding), null once done. */
  forced: number[] | null;
  /** Free activities so far in the open session. */
  steps: number;
  sessionStartedAt: number;
  isStudent: boolean;
  /** Students: enrolments still active. */
  active: Enrolment[];
  /** Students: courses wanted this semester. */
  target: number;
  /** seatVersion at which no course was found to enrol in (nothing changes until it moves). */
  noSeatAt: number;
  /** The open session's id, null when the user is not logged in. */
  sessionId: string | null;
  /** The person's id and role. */
  id: string;
  role: Person['role'];
  /** Students: 0..1, drives quiz and assignment scores. */
  ability: number;
  person: Person;
  index: number;
  signedUp: boolean;
  email: string;
  phone: string;
  pictures: number;
  /** Students: indexes of courses ever enrolled in (no re-enrolment after a drop). */
  taken: number[];
  wishCursor: number;
  lastGraded: string | null;
  /** Teachers: submissions waiting for review, first in first out. */
  queue: Submission[];
  queueHead: number;
}

interface SentNotification {
  id: string;
  user: UserState;
  type: string;
  channel: string;
  related: string;
}

type Payload = SentNotification | UserState | Submission | null;

const channels = ['in_app', 'push', 'email', 'sms'] as const;
const channelWeights = [40, 30, 25, 5];
const openChance: Record<string, number> = { in_app: 0.7, push: 0.6, email: 0.45, sms: 0.5 };
const openDelayMean: Record<string, number> = {
  in_app: 2 * MINUTE,
  push: 15 * MINUTE,
  email: 5 * HOUR,
  sms: 30 * MINUTE,
};

function meanIntensity(curve: readonly number[]): number {
  let sum = 0;
  for (let d = 0; d < 7; d++) for (let h = 0; h < 24; h++) sum += curve[h]! * weekdayFactor[d]!;
  return sum / 168;
}

/** One run of the simulation from `start` (inclusive) to `end` (exclusive). */
export class Simulation {
  readonly mix: MixController;
  private readonly agenda = new Agenda<Payload>();
  private readonly random: Random;
  private readonly idRandom: Random;
  private readonly idBytes = new Uint8Array(16);
  private readonly uuidBytes = new Uint8Array(16);
  /** Bumped whenever a seat may have opened (course created or deleted, a drop). */
  private seatVersion = 0;
  private readonly zone: ZoneClock;
  private readonly users: UserState[];
  private readonly courses: CourseState[];
  private readonly releases: ReleaseSchedule;
  private readonly studentPicker: AliasTable;
  private readonly teacherPicker: AliasTable;
  private readonly studentRate: number;
  private readonly teacherRate: number;
  private readonly diurnal: boolean;
  private readonly semester: string;
  private readonly prefs = new Float64Array(categories.length);
  private readonly candidateWeights = new Float64Array(256);
  private readonly candidateKinds = new Uint8Array(256);
  private readonly candidateEnrolments: Enrolment[] = [];
  private readonly candidateAssignments = new Int32Array(256);
  /**
   * The state of every enrolment's assignments, a byte each: one array rather than one per enrolment,
   * so the states of a student's courses (enrolled in one after the other) share a cache line.
   */
  private assignmentStates = new Uint8Array(1 << 16);
  private assignmentStatesUsed = 0;
  private out: LmsEvent[] = [];
  private notificationCounter = 0;
  /**
   * Notification ids name the run's start instant: two runs (a backfill, then live traffic) would
   * otherwise both count from 1 and share ids, merging distinct notifications in the views.
   */
  private readonly notificationPrefix: string;
  private readonly semesterStart: number;
  /** Simulated time of the step being processed. */
  now: number;

  constructor(
    private readonly university: University,
    readonly start: number,
    options: BehaviourOptions = {},
  ) {
    const seed = options.seed ?? university.seed;
    this.random = new Random(seed, 'behaviour');
    this.idRandom = new Random(seed, 'ids');
    this.zone = new ZoneClock(options.timeZone ?? behaviourDefaults.timeZone);
    this.diurnal = options.diurnal ?? behaviourDefaults.diurnal;
    this.mix = new MixController({ ...referenceWeights, ...options.weights });
    this.now = start;
    this.notificationPrefix = `NOTIF-${start.toString(36)}-`;
    const semesterStart =
      options.semesterStart !== undefined
        ? toMillis(options.semesterStart)
        : this.zone.localDayAt(start, 0, 0);
    this.semesterStart = semesterStart;
    this.semester = semesterOf(this.zone.local(semesterStart + 7 * DAY));

    const students = university.students;
    const teachers = university.teachers;
    const state = (person: Person, index: number): UserState => ({
      pendingData: null,
      pendingCategory: 0,
      pendingType: '',
      forced: null,
      steps: 0,
      sessionStartedAt: 0,
      isStudent: person.role === 'student',
      active: [],
      target: person.role === 'student' ? (person as Student).targetCourses : 0,
      noSeatAt: -1,
      sessionId: null,
      id: person.id,
      role: person.role,
      ability: person.role === 'student' ? (person as Student).ability : 0,
      person,
      index,
      signedUp: false,
      email: person.email,
      phone: person.phone,
      pictures: 0,
      taken: [],
      wishCursor: 0,
      lastGraded: null,
      queue: [],
      queueHead: 0,
    });
    this.users = [
      ...students.map((s, i) => state(s, i)),
      ...teachers.map((t, i) => state(t, students.length + i)),
    ];

    const at = (day: number) => semesterStart + day * DAY;
    const releases = (content: readonly { releaseDay: number }[]) =>
      Float64Array.from(content, (x) => at(x.releaseDay));
    this.releases = new ReleaseSchedule(
      university.courses.map((c) => {
        const kinds: Float64Array[] = [];
        kinds[VIDEOS] = releases(c.videos);
        kinds[QUIZZES] = releases(c.quizzes);
        kinds[ASSIGNMENTS] = releases(c.assignments);
        kinds[MATERIALS] = releases(c.materials);
        return kinds;
      }),
    );
    this.courses = university.courses.map((course) => {
      const due = Float64Array.from(course.assignments, (a) =>
        this.zone.localDayAt(at(a.dueDay) + 12 * HOUR, 23, 59),
      );
      return {
        course,
        index: course.index,
        created: false,
        createdAt: 0,
        deleted: false,
        active: 0,
        roster: [],
        assignmentDue: due,
        assignmentDueIso: Array.from(due, isoTime),
      };
    });

    this.studentPicker = new AliasTable(students.map((s) => s.activity));
    this.teacherPicker = new AliasTable(teachers.map((t) => t.activity));
    const sS = options.sessionsPerStudentPerDay ?? behaviourDefaults.sessionsPerStudentPerDay;
    const sT = options.sessionsPerTeacherPerDay ?? behaviourDefaults.sessionsPerTeacherPerDay;
    // Peak rates (per ms) so that the weekly mean matches sessions per day.
    const peak = (count: number, perDay: number, curve: readonly number[]) =>
      (count * perDay) / DAY / (this.diurnal ? meanIntensity(curve) : 1);
    this.studentRate = peak(students.length, sS, studentHourCurve);
    this.teacherRate = peak(teachers.length, sT, teacherHourCurve);

    this.scheduleArrival(start);
    // Teachers set up their courses in the first hours, before most students arrive.
    for (const teacher of this.users.slice(students.length)) {
      this.agenda.push(start + Math.round(this.random.uniform(0, 4 * HOUR)), ONBOARD, teacher);
    }
  }

  /** Expected events per second at the current settings, averaged over a week (for pacing and sizing). */
  static expectedEventsPerSession(weights: Partial<CategoryWeights> = {}): number {
    const w = { ...referenceWeights, ...weights };
    const total = categories.reduce((s, c) => s + w[c], 0);
    const auth = w.auth / total;
    return auth > 0 ? 2 / auth : MAX_STEPS;
  }

  /** Events in time order up to `end` (exclusive); `Infinity` runs forever. */
  *run(end: number): Generator<LmsEvent> {
    const chunk: LmsEvent[] = [];
    for (;;) {
      chunk.length = 0;
      const more = this.fill(end, chunk, chunkEvents);
      for (let i = 0; i < chunk.length; i++) yield chunk[i]!;
      if (!more) return;
    }
  }

  /**
   * Appends the next events before `end` to `out` until it holds at least `max` (the fast path for
   * bulk consumers). Returns false once the simulation has reached `end`.
   */
  fill(end: number, out: LmsEvent[], max: number): boolean {
    const agenda = this.agenda;
    this.out = out;
    while (out.length < max) {
      if (agenda.peekTime() >= end) return false;
      this.now = agenda.pop();
      const payload = agenda.payload;
      switch (agenda.kind) {
        case ARRIVAL:
          this.arrive(this.now);
          break;
        case STEP:
          this.step(payload as UserState, this.now);
          break;
        case ONBOARD: {
          const user = payload as UserState;
          if (user.sessionId === null && !user.signedUp) this.openSession(user, this.now);
          break;
        }
        case NOTIFY_OPEN:
          this.notificationFollowUp(payload as SentNotification, this.now, 'NOTIFICATION_OPENED');
          break;
        case NOTIFY_CLICK:
          this.notificationFollowUp(payload as SentNotification, this.now, 'NOTIFICATION_CLICKED');
          break;
        case NOTIFY_GRADE:
          this.gradePosted(payload as Submission, this.now);
          break;
      }
    }
    return true;
  }

  // ---- arrivals and sessions ---------------------------------------------------------------

  private scheduleArrival(after: number): void {
    const rate = this.studentRate + this.teacherRate;
    if (!(rate > 0)) return;
    this.agenda.push(after + Math.max(1, Math.round(this.random.exponential(1 / rate))), ARRIVAL, null);
  }

  private arrive(time: number): void {
    this.scheduleArrival(time);
    const r = this.random;
    const u = r.next() * (this.studentRate + this.teacherRate);
    let user: UserState;
    if (u < this.studentRate) {
      if (this.diurnal && r.next() >= this.zone.intensity(time, studentHourCurve)) return;
      user = this.users[this.studentPicker.draw(r)]!;
    } else {
      if (this.diurnal && r.next() >= this.zone.intensity(time, teacherHourCurve)) return;
      user = this.users[this.university.students.length + this.teacherPicker.draw(r)]!;
    }
    if (user.sessionId !== null) return;
    this.openSession(user, time);
  }

  private openSession(user: UserState, time: number): void {
    const forced: number[] = [];
    if (!user.signedUp) {
      forced.push(F_SIGNUP, F_LOGIN, F_PROFILE);
      if (user.isStudent) {
        for (let i = 0; i < (user.person as Student).targetCourses; i++) forced.push(F_ENROL);
      } else {
        const teacher = this.university.teachers[user.index - this.university.students.length]!;
        for (const c of teacher.courses) forced.push(F_CREATE_COURSE, c);
      }
    } else {
      forced.push(F_LOGIN);
    }
    user.sessionId = this.random.uuid4();
    user.sessionStartedAt = time;
    user.steps = 0;
    user.forced = forced;
    user.pendingData = null;
    this.agenda.push(time, STEP, user);
  }

  private thinkTime(user: UserState): number {
    const r = this.random;
    return Math.round(user.isStudent ? 5000 + r.exponential(75_000) : 10_000 + r.exponential(120_000));
  }

  private step(user: UserState, time: number): void {
    if (user.pendingData !== null) {
      const data = user.pendingData;
      user.pendingData = null;
      this.emit(user.pendingCategory, user.pendingType, time, data, true);
      this.agenda.push(time + this.thinkTime(user), STEP, user);
      return;
    }
    if (user.forced !== null) {
      this.forcedAction(user, user.forced, time);
      const gap = Math.round(this.random.uniform(15_000, 90_000));
      this.agenda.push(time + gap, STEP, user);
      return;
    }
    user.steps++;
    if (user.steps > MAX_STEPS || time - user.sessionStartedAt > MAX_SESSION_MS) {
      this.logout(user, time);
      return;
    }
    const category = this.mix.choose(this.preferences(user), this.random.next());
    let delay = 0;
    switch (category) {
      case ASSESSMENT:
        delay = user.isStudent ? this.studentAssessment(user, time) : this.teacherAssessment(user, time);
        break;
      case VIDEO:
        delay = this.watchVideo(user, time);
        break;
      case COURSE:
        delay = user.isStudent ? this.studentCourse(user, time) : this.teacherCourse(user, time);
        break;
      case PROFILE:
        delay = this.profileActivity(user, time);
        break;
      case NOTIFICATION:
        delay = this.sendNotification(user, time);
        break;
      default:
        this.logout(user, time);
        return;
    }
    if (delay < 0) {
      // Nothing of that category was possible after all: the user browses their course page instead.
      if (!this.courseView(user, time)) {
        this.logout(user, time);
        return;
      }
      delay = 0;
    }
    this.agenda.push(time + delay + (delay > 0 ? 0 : this.thinkTime(user)), STEP, user);
  }

  private preferences(user: UserState): Float64Array {
    const p = this.prefs;
    p[AUTH] = user.steps <= 1 ? 0.3 : 1;
    p[PROFILE] = 1;
    p[NOTIFICATION] = 1;
    if (user.isStudent) {
      const enrolled = user.active.length > 0 ? 1 : 0;
      p[ASSESSMENT] = enrolled;
      p[VIDEO] = enrolled;
      p[COURSE] = this.nextEnrolable(user) !== null ? 3 : enrolled;
    } else {
      // A backlog of submissions keeps teachers grading (and their sessions longer).
      const pending = this.pendingReviews(user);
      p[ASSESSMENT] = pending > 0 ? 1 + Math.min(12, pending / 3) : 0.15;
      if (pending > 20) p[AUTH] *= 0.4;
      p[VIDEO] = 0;
      p[COURSE] = 1;
    }
    return p;
  }

  private logout(user: UserState, time: number): void {
    this.emit(AUTH, 'LOGOUT', time, { user_id: user.id, role: user.role, session_id: user.sessionId });
    user.sessionId = null;
  }

  /** Takes the next of the session's forced actions. */
  private forcedAction(user: UserState, forced: number[], time: number): void {
    const person = user.person;
    const code = forced.shift()!;
    if (forced.length === 0) user.forced = null;
    switch (code) {
      case F_SIGNUP:
        user.signedUp = true;
        this.emit(AUTH, 'SIGNUP', time, {
          user_id: person.id,
          role: person.role,
          email: user.email,
          registration_source: user.isStudent
            ? (['web', 'web', 'web', 'mobile', 'mobile', 'admin'] as const)[this.random.int(0, 5)]
            : this.random.chance(0.8)
              ? 'admin'
              : 'web',
        });
        break;
      case F_LOGIN:
        this.emit(AUTH, 'LOGIN', time, { user_id: user.id, role: user.role, session_id: user.sessionId });
        break;
      case F_PROFILE: {
        const student = user.isStudent ? (person as Student) : null;
        const year = Number(this.semester.slice(-4));
        this.emit(PROFILE, 'CREATE_PROFILE', time, {
          user_id: person.id,
          role: person.role,
          email: user.email,
          full_name: person.fullName,
          date_of_birth: person.dateOfBirth,
          gender: person.gender,
          phone_number: user.phone,
          major: student ? student.major : null,
          enrollment_year: student ? year - student.yearsEnrolled : null,
        });
        break;
      }
      case F_CREATE_COURSE: {
        const cs = this.courses[forced.shift()!]!;
        if (forced.length === 0) user.forced = null;
        const c = cs.course;
        cs.created = true;
        cs.createdAt = time;
        this.seatVersion++;
        this.emit(COURSE, 'COURSE_CREATED', time, {
          user_id: person.id,
          role: person.role,
          course_id: c.id,
          course_name: c.name,
          course_code: c.code,
          semester: this.semester,
          max_students: c.maxStudents,
        });
        break;
      }
      case F_ENROL: {
        const cs = this.nextEnrolable(user);
        if (cs !== null) this.enrol(user, cs, time);
        break;
      }
    }
  }

  // ---- students -----------------------------------------------------------------------------

  private nextEnrolable(user: UserState): CourseState | null {
    const student = user.person as Student;
    if (user.active.length >= user.target || user.noSeatAt === this.seatVersion) return null;
    const wish = student.wishList;
    for (let i = user.wishCursor; i < wish.length; i++) {
      const cs = this.courses[wish[i]!]!;
      if (cs.created && !cs.deleted && !cs.course.cancelled && cs.active < cs.course.maxStudents) {
        // Skip courses the student already took (enrolled or dropped): no re-enrolment.
        if (!user.taken.includes(cs.course.index)) return cs;
      }
    }
    user.noSeatAt = this.seatVersion;
    return null;
  }

  private enrol(user: UserState, cs: CourseState, time: number): void {
    const enrolment: Enrolment = {
      cs,
      openFrom: 0,
      statesAt: this.allocateStates(cs.course.assignments.length),
      reopenDue: null,
      student: user.index,
      videoNext: 0,
      dropped: false,
      enrolledAt: time,
    };
    user.active.push(enrolment);
    user.taken.push(cs.course.index);
    cs.roster.push(enrolment);
    cs.active++;
    // Advance the wish-list cursor past courses already taken.
    const wish = (user.person as Student).wishList;
    while (user.wishCursor < wish.length && user.taken.includes(wish[user.wishCursor]!)) user.wishCursor++;
    this.emit(COURSE, 'COURSE_ENROLLED', time, {
      user_id: user.id,
      role: 'student',
      course_id: cs.course.id,
    });
  }

  /** Room for `count` assignment states (all UNSEEN); returns its offset. */
  private allocateStates(count: number): number {
    const at = this.assignmentStatesUsed;
    if (at + count > this.assignmentStates.length) {
      const grown = new Uint8Array(this.assignmentStates.length * 2);
      grown.set(this.assignmentStates);
      this.assignmentStates = grown;
    }
    this.assignmentStatesUsed = at + count;
    return at;
  }

  private pickEnrolment(user: UserState): Enrolment {
    return user.active[Math.floor(this.random.next() * user.active.length)]!;
  }

  private studentCourse(user: UserState, time: number): number {
    const r = this.random;
    const next = this.nextEnrolable(user);
    if (next !== null && (user.active.length === 0 || r.chance(0.7))) {
      this.enrol(user, next, time);
      return 0;
    }
    if (user.active.length === 0) return -1;
    const e = this.pickEnrolment(user);
    const c = e.cs.course;
    const canDrop =
      user.active.length > 3 && time - e.enrolledAt > DAY && time - this.semesterStart < 35 * DAY;
    const released = this.releases.released(e.cs.index, MATERIALS, time);
    const choice = r.weightedIndex([5, 4, released > 0 ? 2 : 0, canDrop ? 0.01 : 0]);
    const id = user.id;
    switch (choice) {
      case 0:
        this.emit(COURSE, 'COURSE_VIEW', time, { user_id: id, role: 'student', course_id: c.id });
        return 0;
      case 1: {
        const item = r.pick(c.items);
        this.emit(COURSE, 'ITEM_CLICK', time, {
          user_id: id,
          role: 'student',
          course_id: c.id,
          item_id: item.id,
          item_type: item.type,
        });
        return 0;
      }
      case 2: {
        const m = c.materials[r.int(0, released - 1)]!;
        this.emit(COURSE, 'DOWNLOAD_MATERIAL', time, {
          user_id: id,
          role: 'student',
          course_id: c.id,
          material_id: m.id,
          material_type: m.type,
        });
        return 0;
      }
      default: {
        e.dropped = true;
        e.cs.active--;
        this.seatVersion++;
        user.active.splice(user.active.indexOf(e), 1);
        this.emit(COURSE, 'COURSE_DROPPED', time, { user_id: id, role: 'student', course_id: c.id });
        return 0;
      }
    }
  }

  private studentAssessment(user: UserState, time: number): number {
    const r = this.random;
    const weights = this.candidateWeights;
    const kinds = this.candidateKinds;
    const enrolments = this.candidateEnrolments;
    const assignments = this.candidateAssignments;
    const states = this.assignmentStates;
    let n = 0;
    for (const e of user.active) {
      const cs = e.cs;
      const released = this.releases.released(cs.index, ASSIGNMENTS, time);
      let from = e.openFrom;
      while (from < released && settled(e, from, states[e.statesAt + from]!, time)) from++;
      e.openFrom = from;
      for (let a = from; a < released; a++) {
        const state = states[e.statesAt + a]!;
        let w = 0;
        let kind = 0;
        if (state === UNSEEN) w = 2;
        else if (state === VIEWED) {
          const reopened = e.reopenDue?.[a];
          // Some students (more of the weaker ones) never hand some work in, unless it is reopened.
          if (!reopened && skips(e, a, user.ability)) continue;
          const due = reopened || cs.assignmentDue[a]!;
          if (time > due + SUBMIT_GRACE_MS) continue;
          w = 0.4 + 4 * Math.min(1, Math.max(0, 1 - (due - time) / (7 * DAY)));
          kind = 1;
        } else if (state === SUBMITTED) {
          // Edit (or, rarely, withdraw) a submission not yet reviewed.
          w = 0.15;
          kind = r.next() < 0.2 ? 3 : 2;
        } else if (state === TEACHER_VIEWED) {
          w = 0.06;
          kind = 2;
        } else continue;
        if (n >= 254) break;
        weights[n] = w;
        kinds[n] = kind;
        enrolments[n] = e;
        assignments[n] = a;
        n++;
      }
    }
    weights[n] = 3;
    kinds[n] = 4;
    n++;
    let total = 0;
    for (let i = 0; i < n; i++) total += weights[i]!;
    let u = r.next() * total;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      u -= weights[i]!;
      if (u < 0) {
        pick = i;
        break;
      }
    }
    const kind = kinds[pick]!;
    if (kind === 4) return this.takeQuiz(user, time);
    const e = enrolments[pick]!;
    const a = assignments[pick]!;
    const c = e.cs.course;
    const assignment = c.assignments[a]!;
    const id = user.id;
    switch (kind) {
      case 0:
        states[e.statesAt + a] = VIEWED;
        this.emit(ASSESSMENT, 'VIEW_ASSIGNMENT_FIRST_TIME', time, {
          user_id: id,
          role: 'student',
          assignment_id: assignment.id,
          course_id: c.id,
          assignment_type: assignment.type,
          due_date: e.cs.assignmentDueIso[a],
        });
        return 0;
      case 1: {
        states[e.statesAt + a] = SUBMITTED;
        const reopened = e.reopenDue?.[a];
        this.emit(ASSESSMENT, 'SUBMIT_ASSIGNMENT', time, {
          user_id: id,
          role: 'student',
          assignment_id: assignment.id,
          course_id: c.id,
          assignment_type: assignment.type,
          due_date: reopened ? isoTime(reopened) : e.cs.assignmentDueIso[a],
          file_url: `s3://submissions/${id}_${assignment.id}.pdf`,
        });
        const teacher = this.users[this.university.students.length + c.owner]!;
        teacher.queue.push({ enrolment: e, assignment: a });
        return 0;
      }
      case 2:
        this.emit(ASSESSMENT, 'EDIT_ASSIGNMENT', time, {
          user_id: id,
          role: 'student',
          assignment_id: assignment.id,
          course_id: c.id,
          file_url: `s3://submissions/${id}_${assignment.id}_v${r.int(2, 4)}.pdf`,
        });
        return 0;
      default:
        states[e.statesAt + a] = VIEWED;
        this.emit(ASSESSMENT, 'DELETE_ASSIGNMENT', time, {
          user_id: id,
          role: 'student',
          assignment_id: assignment.id,
          course_id: c.id,
        });
        return 0;
    }
  }

  private takeQuiz(user: UserState, time: number): number {
    const r = this.random;
    const e = this.pickEnrolment(user);
    const c = e.cs.course;
    const released = this.releases.released(e.cs.index, QUIZZES, time);
    if (released === 0) return -1;
    const quiz = c.quizzes[r.int(0, released - 1)]!;
    const n = quiz.totalQuestions;
    const p = Math.min(0.99, Math.max(0.05, user.ability + r.normal(0, 0.08)));
    const correct = Math.min(n, Math.max(0, Math.round(r.normal(n * p, Math.sqrt(n * p * (1 - p))))));
    const score = Math.round((correct / n) * quiz.maxScore * 100) / 100;
    const took = Math.round(n * r.uniform(20_000, 60_000));
    this.pend(user, ASSESSMENT, 'QUIZ_COMPLETED', {
      user_id: user.id,
      role: 'student',
      quiz_id: quiz.id,
      course_id: c.id,
      correct_answers: correct,
      total_questions: n,
      score,
      max_score: quiz.maxScore,
    });
    return took;
  }

  private watchVideo(user: UserState, time: number): number {
    if (user.active.length === 0) return -1;
    const r = this.random;
    const e = this.pickEnrolment(user);
    const c = e.cs.course;
    const released = this.releases.released(e.cs.index, VIDEOS, time);
    if (released === 0) return -1;
    let index: number;
    if (e.videoNext < released && r.chance(0.7)) index = e.videoNext++;
    else index = r.int(0, Math.max(released, e.videoNext) - 1);
    const video = c.videos[index]!;
    const u = r.next();
    const fraction =
      u < 0.45
        ? r.uniform(0.9, 1)
        : u < 0.8
          ? r.uniform(0.15, 0.9)
          : u < 0.94
            ? r.uniform(0.01, 0.15)
            : r.uniform(1, 1.8);
    const watched = Math.max(1, Math.round(video.durationSeconds * fraction));
    this.pend(user, VIDEO, 'VIDEO_WATCHED', {
      user_id: user.id,
      role: 'student',
      video_id: video.id,
      course_id: c.id,
      watch_duration_seconds: watched,
      video_duration_seconds: video.durationSeconds,
      session_id: user.sessionId,
    });
    return watched * 1000;
  }

  // ---- teachers -----------------------------------------------------------------------------

  private pendingReviews(teacher: UserState): number {
    const q = teacher.queue;
    while (teacher.queueHead < q.length) {
      const s = q[teacher.queueHead]!;
      const state = this.assignmentStates[s.enrolment.statesAt + s.assignment]!;
      if ((state === SUBMITTED || state === TEACHER_VIEWED) && !s.enrolment.dropped) break;
      teacher.queueHead++;
    }
    if (teacher.queueHead > 1024 && teacher.queueHead * 2 > q.length) {
      q.splice(0, teacher.queueHead);
      teacher.queueHead = 0;
    }
    return q.length - teacher.queueHead;
  }

  private teacherAssessment(user: UserState, time: number): number {
    const r = this.random;
    if (this.pendingReviews(user) > 0 && !r.chance(0.03)) {
      const s = user.queue[user.queueHead]!;
      const e = s.enrolment;
      const c = e.cs.course;
      const assignment = c.assignments[s.assignment]!;
      const student = this.users[e.student]!;
      const states = this.assignmentStates;
      const at = e.statesAt + s.assignment;
      if (states[at] === SUBMITTED && r.chance(0.6)) {
        states[at] = TEACHER_VIEWED;
        this.emit(ASSESSMENT, 'VIEW_STUDENT_WORK', time, {
          user_id: user.id,
          role: 'teacher',
          student_id: student.id,
          assignment_id: assignment.id,
          course_id: c.id,
        });
        return 0;
      }
      states[at] = GRADED;
      user.queueHead++;
      const quality = Math.min(1, Math.max(0.2, r.normal(student.ability + 0.05, 0.12)));
      const score = Math.round(quality * assignment.maxScore * 10) / 10;
      this.emit(ASSESSMENT, 'GRADE_ASSIGNMENT', time, {
        user_id: user.id,
        role: 'teacher',
        student_id: student.id,
        assignment_id: assignment.id,
        course_id: c.id,
        score,
        max_score: assignment.maxScore,
      });
      if (r.chance(0.75)) {
        this.agenda.push(time + Math.round(r.uniform(1000, 60_000)), NOTIFY_GRADE, s);
      }
      return 0;
    }
    return this.reopen(user, time);
  }

  /** Reopens an assignment for a student who missed its due date. */
  private reopen(user: UserState, time: number): number {
    const r = this.random;
    const teacher = this.university.teachers[user.index - this.university.students.length]!;
    if (teacher.courses.length === 0) return -1;
    for (let attempt = 0; attempt < 8; attempt++) {
      const cs = this.courses[r.pick(teacher.courses)]!;
      if (cs.roster.length === 0) continue;
      const e = r.pick(cs.roster);
      if (e.dropped) continue;
      const count = cs.course.assignments.length;
      const a = r.int(0, count - 1);
      if (
        this.assignmentStates[e.statesAt + a]! >= SUBMITTED ||
        cs.assignmentDue[a]! >= time ||
        e.reopenDue?.[a]
      )
        continue;
      e.reopenDue ??= new Float64Array(count);
      const newDue = this.zone.localDayAt(time + r.int(2, 7) * DAY, 23, 59);
      e.reopenDue[a] = newDue;
      e.openFrom = Math.min(e.openFrom, a);
      this.emit(ASSESSMENT, 'ASSIGNMENT_REOPENED', time, {
        user_id: user.id,
        role: 'teacher',
        student_id: this.users[e.student]!.id,
        assignment_id: cs.course.assignments[a]!.id,
        course_id: cs.course.id,
        new_due_date: isoTime(newDue),
      });
      return 0;
    }
    return -1;
  }

  private teacherCourse(user: UserState, time: number): number {
    const teacher = this.university.teachers[user.index - this.university.students.length]!;
    for (const c of teacher.courses) {
      const cs = this.courses[c]!;
      if (
        cs.course.cancelled &&
        cs.created &&
        !cs.deleted &&
        time - cs.createdAt > 2 * HOUR &&
        this.random.chance(0.5)
      ) {
        cs.deleted = true;
        this.seatVersion++;
        this.emit(COURSE, 'COURSE_DELETED', time, {
          user_id: user.id,
          role: 'teacher',
          course_id: cs.course.id,
        });
        return 0;
      }
    }
    return this.courseView(user, time) ? 0 : -1;
  }

  /** A course page view in one of the user's live courses; false when they have none. */
  private courseView(user: UserState, time: number): boolean {
    let course: Course | undefined;
    if (user.isStudent) {
      if (user.active.length === 0) return false;
      course = this.pickEnrolment(user).cs.course;
    } else {
      const teacher = this.university.teachers[user.index - this.university.students.length]!;
      const live = teacher.courses.filter((c) => this.courses[c]!.created && !this.courses[c]!.deleted);
      if (live.length === 0) return false;
      course = this.courses[this.random.pick(live)]!.course;
    }
    this.emit(COURSE, 'COURSE_VIEW', time, {
      user_id: user.id,
      role: user.role,
      course_id: course.id,
    });
    return true;
  }

  // ---- profile and notifications --------------------------------------------------------------

  private profileActivity(user: UserState, time: number): number {
    const r = this.random;
    // Literals rather than `{ ...base, key }`, whose objects V8 gives a map each (slow to stringify).
    const id = user.id;
    const role = user.role;
    const choice = r.weightedIndex([5, 2.5, 2.5]);
    if (choice === 0) {
      const fields = ['phone_number', 'email', 'address', 'emergency_contact'] as const;
      const first = r.int(0, 3);
      const updated = r.chance(0.35)
        ? [fields[first]!, fields[(first + r.int(1, 3)) % 4]!]
        : [fields[first]!];
      const data: Record<string, unknown> = { user_id: id, role, updated_fields: updated };
      if (updated.includes('email')) {
        const next = `${id.toLowerCase()}.${r.int(1, 99)}@university.edu`;
        data['old_email'] = user.email;
        data['new_email'] = next;
        user.email = next;
      }
      if (updated.includes('phone_number')) {
        const next = `+84 ${r.pick(['90', '91', '93', '97', '98'])} ${r.int(100, 999)} ${r.int(1000, 9999)}`;
        data['old_phone'] = user.phone;
        data['new_phone'] = next;
        user.phone = next;
      }
      this.emit(PROFILE, 'UPDATE_PROFILE', time, data);
    } else if (choice === 1) {
      user.pictures++;
      this.emit(PROFILE, 'PROFILE_PICTURE_UPDATED', time, {
        user_id: id,
        role,
        picture_url: `s3://profiles/${id}_avatar_${user.pictures}.jpg`,
      });
    } else {
      const reason = r.weightedIndex([80, 12, 8]);
      this.emit(PROFILE, 'PASSWORD_CHANGED', time, {
        user_id: id,
        role,
        change_reason: (['user_initiated', 'expired', 'reset'] as const)[reason],
      });
    }
    return 0;
  }

  private sendNotification(user: UserState, time: number): number {
    const r = this.random;
    let type: string;
    let related: string;
    if (user.isStudent && user.active.length > 0) {
      const e = this.pickEnrolment(user);
      const c = e.cs.course;
      const kind = r.weightedIndex([3, 2, 3, 2, user.lastGraded !== null ? 1.5 : 0]);
      type = (
        [
          'assignment_reminder',
          'deadline_approaching',
          'course_announcement',
          'new_message',
          'grade_posted',
        ] as const
      )[kind]!;
      related =
        kind <= 1
          ? c.assignments[r.int(0, c.assignments.length - 1)]!.id
          : kind === 4
            ? user.lastGraded!
            : c.id;
    } else {
      type = r.chance(0.5) ? 'course_announcement' : 'new_message';
      const own = user.isStudent
        ? []
        : this.university.teachers[user.index - this.university.students.length]!.courses;
      related = own.length > 0 ? this.courses[r.pick(own)]!.course.id : user.id;
    }
    this.notify(user, time, type, related);
    return 0;
  }

  private notify(user: UserState, time: number, type: string, related: string): void {
    const r = this.random;
    const n: SentNotification = {
      id: `${this.notificationPrefix}${String(++this.notificationCounter).padStart(7, '0')}`,
      user,
      type,
      channel: channels[r.weightedIndex(channelWeights)]!,
      related,
    };
    this.notificationEvent(n, time, 'NOTIFICATION_SENT');
    if (r.chance(openChance[n.channel]!)) {
      this.agenda.push(time + 2000 + Math.round(r.exponential(openDelayMean[n.channel]!)), NOTIFY_OPEN, n);
    }
  }

  private notificationFollowUp(n: SentNotification, time: number, eventType: string): void {
    this.notificationEvent(n, time, eventType);
    if (eventType === 'NOTIFICATION_OPENED' && this.random.chance(0.4)) {
      this.agenda.push(time + 2000 + Math.round(this.random.exponential(MINUTE)), NOTIFY_CLICK, n);
    }
  }

  private notificationEvent(n: SentNotification, time: number, eventType: string): void {
    this.emit(NOTIFICATION, eventType, time, {
      user_id: n.user.id,
      role: n.user.role,
      notification_id: n.id,
      notification_type: n.type,
      channel: n.channel,
      related_object_id: n.related,
    });
  }

  private gradePosted(s: Submission, time: number): void {
    const student = this.users[s.enrolment.student]!;
    const assignmentId = s.enrolment.cs.course.assignments[s.assignment]!.id;
    student.lastGraded = assignmentId;
    this.notify(student, time, 'grade_posted', assignmentId);
  }

  // ---- emission -------------------------------------------------------------------------------

  private pend(user: UserState, category: number, eventType: string, data: Record<string, unknown>): void {
    user.pendingData = data;
    user.pendingCategory = category;
    user.pendingType = eventType;
    // Counted when decided so the mix controller sees it at once.
    this.mix.record(category);
  }

  private emit(
    category: number,
    eventType: string,
    time: number,
    data: Record<string, unknown>,
    counted = false,
  ): void {
    if (!counted) this.mix.record(category);
    this.out.push({
      id: formatUuid(v7({ msecs: time, random: this.idRandom.fill(this.idBytes) }, this.uuidBytes)),
      category: categories[category] as Category,
      eventType,
      time: isoTime(time),
      data: data as LmsEvent['data'],
    });
  }
}

/** Nothing more will happen to this assignment for this student (unless a teacher reopens it). */
function settled(e: Enrolment, a: number, state: number, time: number): boolean {
  if (state === GRADED) return true;
  if (state >= SUBMITTED) return false;
  const due = e.reopenDue?.[a] || e.cs.assignmentDue[a]!;
  return time > due + SUBMIT_GRACE_MS;
}

/** Whether a student skips an assignment (deterministic per student, course and assignment). */
function skips(e: Enrolment, a: number, ability: number): boolean {
  const h =
    Math.imul(e.student + 1, 0x9e3779b1) ^
    Math.imul(e.cs.index + 1, 0x85ebca6b) ^
    Math.imul(a + 1, 0xc2b2ae35);
  return ((h >>> 0) % 1000) / 1000 < 0.3 * (1 - ability);
}
