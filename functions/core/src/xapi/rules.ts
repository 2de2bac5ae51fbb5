/**
 * THE mapping of xAPI statements onto the event catalogue, declared in one place: each rule names the verbs
 * and objects it takes, the catalogue event type it yields and how each data field is read. The first rule
 * whose verb and object match a statement decides; a statement no rule matches is unmapped (stored raw,
 * counted by verb and activity type). A rule that matches but cannot fill a field the catalogue requires
 * leaves the statement unmapped with that reason: values are read or derived as documented, never invented.
 * The catalogue's optional fields (those standard xAPI cannot carry) are left out when a statement does not
 * state them.
 * docs/events.md's mapping table is generated from these declarations (a test keeps it equal).
 */
import { z } from 'zod';
import { eventCatalogue } from '../events/catalogue.ts';
import type { EventTypeDefinition } from '../events/define.ts';
import type { Role } from '../events/envelope.ts';
import { roles } from '../events/envelope.ts';
import {
  courseIdOf,
  courseIdOfIri,
  type IdentityOptions,
  idOfIri,
  nameUuid,
  sessionUuidOf,
  userIdOf,
} from './identity.ts';
import type { Activity, Statement } from './statement.ts';
import { PlayedSegmentsError, type PlayPairs, parsePlayedSegments, playedSeconds } from './video.ts';
import {
  activityTypes,
  cmi5,
  openEdx,
  ula,
  ulaExtensions,
  ulaVerbPrefix,
  verbs,
  videoProfile,
  withheldFields,
} from './vocabulary.ts';

export interface MappingOptions extends IdentityOptions {
  /** Role of events whose statement has no role extension and whose type admits both roles. */
  defaultRole: Role;
}

/** A statement as the LRS hands it to the mapping: validated, with its id and timestamp set. */
export type StoredStatement = Statement & { id: string; timestamp: string };

/** What a rule reads from. */
export interface RuleInput {
  statement: StoredStatement;
  options: MappingOptions;
  /** The actor's user id (undefined for an anonymous group). */
  actorId: string | undefined;
  /** Video Profile pair memory of the mapper (per process, bounded). */
  pairs: PlayPairs;
}

/** One catalogue event a rule yields: its type, user and data fields (role is added by the mapper). */
export interface RuleEvent {
  eventType: string;
  userId: string;
  /** Data fields besides user_id and role (the mapper adds the role: roleOf). */
  fields: Record<string, unknown>;
}

export interface MappingRule {
  name: string;
  /** Verb IRIs the rule takes (the doc lists them). */
  verbs: readonly string[];
  /** Which objects, in words (for the doc). */
  objects: string;
  /** The catalogue event type yielded, or a description when it varies or there is none. */
  yields: string;
  /** How each data field is read, one line each (for the doc). */
  fields: Readonly<Record<string, string>>;
  /** Whether this rule decides the statement (verb and object). */
  matches(statement: StoredStatement, options: MappingOptions): boolean;
  /** The events (possibly none). Throws Unmappable for a missing or invalid field. */
  map(input: RuleInput): RuleEvent[];
}

/** Why a matched statement yields no event: counted unmapped with this reason. */
export class Unmappable extends Error {
  override readonly name = 'Unmappable';
}

// ------------------------------------------------------------------------------------------ readers

const typeOf = (activity: { definition?: { type?: string } }): string => activity.definition?.type ?? '';
const objectActivity = (s: Statement): Activity | undefined =>
  s.object.objectType === 'Activity' ? s.object : undefined;
const objectTypeIn = (s: Statement, types: readonly string[]) => {
  const activity = objectActivity(s);
  return activity !== undefined && types.includes(typeOf(activity));
};
const verbIn = (s: Statement, list: readonly string[]) => list.includes(s.verb.id);
const inCategory = (s: Statement, id: string) =>
  (s.context?.contextActivities?.category ?? []).some((a) => a.id === id);

const contextExtension = (s: Statement, key: string): unknown => s.context?.extensions?.[key];
const resultExtension = (s: Statement, key: string): unknown => s.result?.extensions?.[key];
const anyExtension = (s: Statement, key: string): unknown =>
  resultExtension(s, key) ?? contextExtension(s, key);

const textOf = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;
const numberOf = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

function required<T>(value: T | undefined, reason: string): T {
  if (value === undefined) throw new Unmappable(reason);
  return value;
}

const courseOf = (input: RuleInput) =>
  required(
    courseIdOf(input.statement, input.options),
    'no course: no course activity in object, parent or grouping',
  );

const objectIdOf = (input: RuleInput) =>
  idOfIri(required(objectActivity(input.statement), 'the object is not an activity').id, input.options);

const actorOf = (input: RuleInput) =>
  required(input.actorId, 'the actor is an anonymous group: no single user');

/** An LMS session id: the platform's, cmi5's or Open edX's session extension, else the registration. */
function sessionOf(s: Statement): string | undefined {
  const session =
    textOf(contextExtension(s, ulaExtensions.sessionId)) ??
    textOf(contextExtension(s, cmi5.sessionId)) ??
    textOf(contextExtension(s, openEdx.sessionId)) ??
    s.context?.registration;
  return session === undefined ? undefined : sessionUuidOf(session);
}

/**
 * The score and maximum from result.score: raw − min of max − min (min 0 when absent); else scaled × (max −
 * min) of max − min when max is stated; else scaled of 1 (the percentage is exact, the scale is unknown).
 */
export function scoreOf(s: Statement): { score: number; max_score: number } {
  const score = required(s.result?.score, 'no result.score');
  const min = score.min ?? 0;
  if (score.raw !== undefined) {
    const max = required(score.max, 'result.score has raw but no max');
    return { score: score.raw - min, max_score: max - min };
  }
  if (score.scaled !== undefined) {
    if (score.scaled < 0) throw new Unmappable('result.score.scaled is negative: catalogue scores are >= 0');
    if (score.max === undefined) return { score: score.scaled, max_score: 1 };
    return { score: score.scaled * (score.max - min), max_score: score.max - min };
  }
  throw new Unmappable('result.score has neither raw nor scaled');
}

/** The first activity among the object and the context's parents whose type is in `types`. */
function activityOfType(s: Statement, types: readonly string[]): Activity | undefined {
  const object = objectActivity(s);
  if (object && types.includes(typeOf(object))) return object;
  return (s.context?.contextActivities?.parent ?? []).find((a) => types.includes(typeOf(a)));
}

/** An RFC 3339 date-time with any offset and precision (a real calendar date: no 30 February). */
const rfc3339 = z.iso.datetime({ offset: true });
/**
 * The optional catalogue fields a platform extension states: `{ [field]: value }`, or `{}` when the statement
 * does not state it (standard xAPI cannot). A stated value is passed as it is, so a wrong one is rejected by
 * the catalogue naming the field; an RFC 3339 instant is normalised to UTC milliseconds as event times are.
 */
function stated(field: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  const instant = rfc3339.safeParse(value);
  return { [field]: instant.success ? new Date(instant.data).toISOString() : value };
}
const ulaStated = (s: Statement, key: string, field: string) => stated(field, anyExtension(s, key));

/** Item types of ITEM_CLICK by activity type. */
const itemTypes = [
  ['lesson', activityTypes.lesson],
  ['module', activityTypes.module],
  ['quiz', activityTypes.quiz],
  ['assignment', activityTypes.assignment],
  ['discussion', activityTypes.discussion],
] as const;
const itemTypeOf = (type: string) =>
  itemTypes.find(([, list]) => (list as readonly string[]).includes(type))?.[0];

/** Material types by the file name's extension, when the statement has no material-type extension. */
export const materialTypeByFileExtension: Readonly<Record<string, string>> = {
  pdf: 'pdf',
  ppt: 'slides',
  pptx: 'slides',
  key: 'slides',
  odp: 'slides',
  txt: 'notes',
  md: 'notes',
  doc: 'notes',
  docx: 'notes',
  odt: 'notes',
  csv: 'dataset',
  json: 'dataset',
  parquet: 'dataset',
  xlsx: 'dataset',
  py: 'code',
  ipynb: 'code',
  zip: 'code',
  js: 'code',
  ts: 'code',
  java: 'code',
  c: 'code',
};

function materialTypeOf(s: Statement): string {
  const declared = textOf(anyExtension(s, ulaExtensions.materialType));
  if (declared) return declared;
  const iri = objectActivity(s)?.id ?? '';
  const extension = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(iri)?.[1]?.toLowerCase();
  return required(
    extension === undefined ? undefined : materialTypeByFileExtension[extension],
    'material type unknown: no material-type extension and no known file extension in the object IRI',
  );
}

const accessVerbs = [
  ...verbs.viewed,
  ...verbs.accessed,
  ...verbs.experienced,
  ...verbs.navigated,
  ...verbs.interacted,
];
const itemActivityTypes = itemTypes.flatMap(([, list]) => list);
const isVideo = (s: Statement) =>
  objectTypeIn(s, activityTypes.video) || inCategory(s, videoProfile.category);
/** The object is a course: typed as one, or its IRI names a course (Open edX key, Moodle URL, home page). */
const isCourseObject = (s: Statement, options: MappingOptions) => {
  const activity = objectActivity(s);
  if (!activity) return false;
  return (
    (activityTypes.course as readonly string[]).includes(typeOf(activity)) ||
    courseIdOfIri(activity.id, options) !== undefined
  );
};

// ------------------------------------------------------------------------------------------ video

const videoVerbs = [
  ...verbs.initialized,
  ...verbs.played,
  ...verbs.paused,
  ...verbs.seeked,
  ...verbs.completed,
  ...verbs.terminated,
];

const pairKey = (input: RuleInput) => {
  const s = input.statement;
  const session = s.context?.registration ?? textOf(contextExtension(s, videoProfile.sessionId)) ?? '';
  return `${input.actorId ?? ''}\u0000${objectActivity(s)?.id ?? ''}\u0000${session}`;
};

const timeOf = (s: Statement, key: string) => numberOf(resultExtension(s, key));

function watchedSeconds(input: RuleInput): number {
  const s = input.statement;
  const segments = anyExtension(s, videoProfile.playedSegments);
  const fromPairs = input.pairs.terminated(pairKey(input), timeOf(s, videoProfile.time));
  if (segments !== undefined) {
    if (typeof segments !== 'string') throw new Unmappable('played-segments is not a string');
    try {
      return playedSeconds(parsePlayedSegments(segments));
    } catch (error) {
      if (error instanceof PlayedSegmentsError) throw new Unmappable(`played-segments: ${error.message}`);
      throw error;
    }
  }
  return required(
    fromPairs,
    'no played-segments and no played → paused/terminated pairs remembered for this session',
  );
}

const videoSession: MappingRule = {
  name: 'video-session',
  verbs: videoVerbs,
  objects: 'a video (`…/video/activity-type/video`, or the Video Profile context category)',
  yields:
    'VIDEO_WATCHED on `terminated`, one per viewing session; the other verbs update the session and yield none',
  fields: {
    video_id: 'the object IRI (its last segment on the home page)',
    course_id: 'the course activity of the context (parent, grouping)',
    watch_duration_seconds:
      'sum of the lengths of `played-segments` (result, else context extension), rounded; without them, the remembered played → paused/seeked/terminated `time` pairs of the actor, video and registration',
    video_duration_seconds: 'context extension `length`, rounded, at least 1',
    session_id:
      'the LMS session: platform, cmi5 or Open edX session extension, else registration, else the Video Profile `session-id` (a non-UUID becomes its name-based UUID)',
  },
  matches: (s) => verbIn(s, videoVerbs) && isVideo(s),
  map(input) {
    const s = input.statement;
    const key = pairKey(input);
    const verb = s.verb.id;
    if (verbIn(s, verbs.initialized)) input.pairs.initialized(key);
    else if (verbIn(s, verbs.played)) {
      const time = timeOf(s, videoProfile.time);
      if (time !== undefined) input.pairs.played(key, time);
    } else if (verbIn(s, verbs.paused)) {
      const time = timeOf(s, videoProfile.time);
      if (time !== undefined) input.pairs.paused(key, time);
    } else if (verbIn(s, verbs.seeked)) {
      const from = timeOf(s, videoProfile.timeFrom);
      const to = timeOf(s, videoProfile.timeTo);
      if (from !== undefined && to !== undefined) input.pairs.seeked(key, from, to);
    }
    if (!(verbs.terminated as readonly string[]).includes(verb)) return [];
    const watched = watchedSeconds(input);
    const length = required(
      numberOf(contextExtension(s, videoProfile.length)),
      'no video length (context extension length)',
    );
    const session =
      sessionOf(s) ??
      (textOf(contextExtension(s, videoProfile.sessionId)) !== undefined
        ? sessionUuidOf(textOf(contextExtension(s, videoProfile.sessionId))!)
        : undefined);
    return [
      {
        eventType: 'VIDEO_WATCHED',
        userId: actorOf(input),
        fields: {
          video_id: objectIdOf(input),
          course_id: courseOf(input),
          watch_duration_seconds: Math.round(watched),
          video_duration_seconds: Math.max(1, Math.round(length)),
          session_id: required(session, 'no session id (session extension, registration or session-id)'),
        },
      },
    ];
  },
};

// ------------------------------------------------------------------------------------------ sessions

const login: MappingRule = {
  name: 'session-login',
  verbs: [...verbs.loggedIn, ...verbs.launched],
  objects: 'any (`launched` only in a cmi5 statement: context category cmi5)',
  yields: 'LOGIN',
  fields: {
    session_id:
      'platform, cmi5 `sessionid` or Open edX session extension, else registration (a non-UUID becomes its name-based UUID); with none, a new session id derived from the statement id',
  },
  matches: (s) => verbIn(s, verbs.loggedIn) || (verbIn(s, verbs.launched) && inCategory(s, cmi5.category)),
  map: (input) => [
    {
      eventType: 'LOGIN',
      userId: actorOf(input),
      fields: { session_id: sessionOf(input.statement) ?? nameUuid(`login ${input.statement.id}`) },
    },
  ],
};

const logout: MappingRule = {
  name: 'session-logout',
  verbs: [...verbs.loggedOut, ...verbs.terminated],
  objects: "any (`terminated` only in a cmi5 statement; a video `terminated` is the video rule's)",
  yields: 'LOGOUT',
  fields: {
    session_id:
      'as for LOGIN; with none the statement is unmapped (a LOGOUT must close the LOGIN session it names)',
  },
  matches: (s) => verbIn(s, verbs.loggedOut) || (verbIn(s, verbs.terminated) && inCategory(s, cmi5.category)),
  map: (input) => [
    {
      eventType: 'LOGOUT',
      userId: actorOf(input),
      fields: {
        session_id: required(sessionOf(input.statement), 'no session id: a LOGOUT must name its session'),
      },
    },
  ],
};

// ------------------------------------------------------------------------------------------ courses

const enrolment: MappingRule = {
  name: 'enrolment',
  verbs: verbs.registered,
  objects: 'a course',
  yields: 'COURSE_ENROLLED',
  fields: { course_id: 'the object (Open edX course-v1 key, Moodle course URL, home-page course IRI)' },
  matches: (s, o) => verbIn(s, verbs.registered) && isCourseObject(s, o),
  map: (input) => [
    { eventType: 'COURSE_ENROLLED', userId: actorOf(input), fields: { course_id: courseOf(input) } },
  ],
};

const drop: MappingRule = {
  name: 'drop',
  verbs: verbs.unregistered,
  objects: 'a course',
  yields: 'COURSE_DROPPED',
  fields: { course_id: 'the object, as for COURSE_ENROLLED' },
  matches: (s, o) => verbIn(s, verbs.unregistered) && isCourseObject(s, o),
  map: (input) => [
    { eventType: 'COURSE_DROPPED', userId: actorOf(input), fields: { course_id: courseOf(input) } },
  ],
};

const courseAccess: MappingRule = {
  name: 'course-access',
  verbs: accessVerbs,
  objects: 'a course',
  yields: 'COURSE_VIEW',
  fields: { course_id: 'the object, as for COURSE_ENROLLED' },
  matches: (s, o) => verbIn(s, accessVerbs) && isCourseObject(s, o),
  map: (input) => [
    { eventType: 'COURSE_VIEW', userId: actorOf(input), fields: { course_id: courseOf(input) } },
  ],
};

const materialVerbs = [...verbs.downloaded, ...accessVerbs];
const materialDownload: MappingRule = {
  name: 'material-download',
  verbs: materialVerbs,
  objects:
    '`downloaded`: any activity; the access verbs: a file or document (`…/activitytype/file`, `document`, `slide-deck`, `…/activities/file`, `media`)',
  yields: 'DOWNLOAD_MATERIAL',
  fields: {
    course_id: 'the course activity of the context',
    material_id: 'the object IRI',
    material_type:
      'platform extension `material-type`, else the file extension of the object IRI (pdf → pdf; ppt, pptx, key, odp → slides; txt, md, doc, docx, odt → notes; csv, json, parquet, xlsx → dataset; py, ipynb, zip, js, ts, java, c → code)',
  },
  matches: (s) =>
    objectActivity(s) !== undefined &&
    (verbIn(s, verbs.downloaded) || (verbIn(s, accessVerbs) && objectTypeIn(s, activityTypes.material))),
  map: (input) => [
    {
      eventType: 'DOWNLOAD_MATERIAL',
      userId: actorOf(input),
      fields: {
        course_id: courseOf(input),
        material_id: objectIdOf(input),
        material_type: materialTypeOf(input.statement),
      },
    },
  ],
};

const itemAccess: MappingRule = {
  name: 'item-access',
  verbs: accessVerbs,
  objects: 'a lesson, module or section, assessment (quiz), assignment or discussion',
  yields: 'ITEM_CLICK',
  fields: {
    course_id: 'the course activity of the context',
    item_id: 'the object IRI',
    item_type:
      'by activity type: `…/activities/lesson` → lesson; `…/activities/module`, `…/activitytype/section` → module; `…/activities/assessment` → quiz; assignment types → assignment; `…/activitytype/discussion`, `forum` → discussion',
  },
  matches: (s) => verbIn(s, accessVerbs) && objectTypeIn(s, itemActivityTypes),
  map: (input) => [
    {
      eventType: 'ITEM_CLICK',
      userId: actorOf(input),
      fields: {
        course_id: courseOf(input),
        item_id: objectIdOf(input),
        item_type: itemTypeOf(typeOf(objectActivity(input.statement)!)),
      },
    },
  ],
};

// ------------------------------------------------------------------------------------------ assessment

const assignmentAndSubmission = [...activityTypes.assignment, ...activityTypes.submission];
const assignmentIdOf = (input: RuleInput) =>
  idOfIri(
    required(
      activityOfType(input.statement, activityTypes.assignment),
      'no assignment activity (object or parent)',
    ).id,
    input.options,
  );

const submission: MappingRule = {
  name: 'submission',
  verbs: verbs.submitted,
  objects: 'an assignment, or a submission whose parent is the assignment (Moodle)',
  yields: 'SUBMIT_ASSIGNMENT',
  fields: {
    assignment_id: 'the assignment activity (object, else parent)',
    course_id: 'the course activity of the context',
    assignment_type:
      'platform extension `assignment-type`; absent without it (standard xAPI has no kind of assignment: views group it as `not_stated`)',
    due_date:
      'platform extension `due-date` (an RFC 3339 instant, normalised to UTC ms); absent without it (Moodle and Open edX send none: neither late nor on time)',
    file_url: "platform extension `file-url`, else the first attachment's `fileUrl`; absent without either",
  },
  matches: (s) => verbIn(s, verbs.submitted) && objectTypeIn(s, assignmentAndSubmission),
  map(input) {
    const s = input.statement;
    const fileUrl = anyExtension(s, ulaExtensions.fileUrl) ?? s.attachments?.find((a) => a.fileUrl)?.fileUrl;
    return [
      {
        eventType: 'SUBMIT_ASSIGNMENT',
        userId: actorOf(input),
        fields: {
          assignment_id: assignmentIdOf(input),
          course_id: courseOf(input),
          ...ulaStated(s, ulaExtensions.assignmentType, 'assignment_type'),
          ...ulaStated(s, ulaExtensions.dueDate, 'due_date'),
          ...stated('file_url', fileUrl),
        },
      },
    ];
  },
};

const gradingVerbs = [...verbs.scored, ...verbs.evaluated];
const grading: MappingRule = {
  name: 'grading',
  verbs: gradingVerbs,
  objects: 'an assignment or submission, with `context.instructor` (the grader)',
  yields: 'GRADE_ASSIGNMENT',
  fields: {
    user_id: 'the instructor (the teacher who graded); role teacher',
    student_id: 'the actor (the graded student)',
    assignment_id: 'the assignment activity (object, else parent)',
    course_id: 'the course activity of the context',
    score:
      '`result.score`: raw − min (min 0 when absent), else scaled × (max − min) when max is stated, else scaled',
    max_score: '`result.score`: max − min, else 1 with scaled and no max',
  },
  matches: (s) =>
    verbIn(s, gradingVerbs) &&
    objectTypeIn(s, assignmentAndSubmission) &&
    s.context?.instructor !== undefined,
  map(input) {
    const s = input.statement;
    const teacher = required(
      userIdOf(s.context!.instructor!, input.options),
      'the instructor is an anonymous group',
    );
    return [
      {
        eventType: 'GRADE_ASSIGNMENT',
        userId: teacher,
        fields: {
          student_id: actorOf(input),
          assignment_id: assignmentIdOf(input),
          course_id: courseOf(input),
          ...scoreOf(s),
        },
      },
    ];
  },
};

const quizVerbs = [
  ...verbs.completed,
  ...verbs.passed,
  ...verbs.failed,
  ...verbs.scored,
  ...verbs.evaluated,
  ...verbs.answered,
];
const quizActivityTypes = [...activityTypes.quiz, ...activityTypes.attempt];
const quizResult: MappingRule = {
  name: 'quiz-result',
  verbs: quizVerbs,
  objects: 'an assessment (quiz) or a quiz attempt whose parent is the assessment (Moodle)',
  yields: 'QUIZ_COMPLETED',
  fields: {
    quiz_id: 'the assessment activity (object, else parent)',
    course_id: 'the course activity of the context',
    correct_answers:
      'platform extension `correct-answers`; absent without it (a score does not say how many answers were right)',
    total_questions: 'platform extension `total-questions`; absent without it',
    score:
      '`result.score` (required: without it the statement is unmapped): raw − min (min 0 when absent), else scaled × (max − min) when max is stated, else scaled; a negative scaled is unmapped',
    max_score:
      '`result.score`: max − min, else 1 with scaled and no max (the percentage is exact, the scale unknown)',
  },
  matches: (s) => verbIn(s, quizVerbs) && objectTypeIn(s, quizActivityTypes),
  map(input) {
    const s = input.statement;
    const quiz = required(activityOfType(s, activityTypes.quiz), 'no assessment activity (object or parent)');
    return [
      {
        eventType: 'QUIZ_COMPLETED',
        userId: actorOf(input),
        fields: {
          quiz_id: idOfIri(quiz.id, input.options),
          course_id: courseOf(input),
          ...ulaStated(s, ulaExtensions.correctAnswers, 'correct_answers'),
          ...ulaStated(s, ulaExtensions.totalQuestions, 'total_questions'),
          ...scoreOf(s),
        },
      },
    ];
  },
};

const questionVerbs = [
  ...verbs.answered,
  ...verbs.completed,
  ...verbs.passed,
  ...verbs.failed,
  ...verbs.scored,
];
const questionAnswer: MappingRule = {
  name: 'question-answer',
  verbs: questionVerbs,
  objects: 'one question or interaction (`…/activities/question`, `cmi.interaction`)',
  yields: 'none: a question is part of a quiz, whose result statement yields QUIZ_COMPLETED',
  fields: {},
  matches: (s) => verbIn(s, questionVerbs) && objectTypeIn(s, activityTypes.question),
  map: () => [],
};

// ------------------------------------------------------------------------------------------ catalogue form

const byEventType = new Map(eventCatalogue.map((d) => [d.eventType, d]));
const kebab = (eventType: string) => eventType.toLowerCase().replaceAll('_', '-');
const byVerb = new Map(eventCatalogue.map((d) => [ulaVerbPrefix + kebab(d.eventType), d]));

/** The catalogue form's verb of an event type. */
export const catalogueVerbOf = (eventType: string): string => ula.verb(eventType);

/** The data fields of a type besides user_id and role. */
export const dataFieldsOf = (definition: EventTypeDefinition): string[] =>
  Object.keys((definition.schema as unknown as { shape: Record<string, unknown> }).shape).filter(
    (f) => f !== 'user_id' && f !== 'role',
  );

/** A catalogue-form field: the context extension, else the result extension (a null value is kept: major may be null). */
function catalogueExtension(s: Statement, field: string): { value: unknown } | undefined {
  const key = ula.extension(field);
  for (const extensions of [s.context?.extensions, s.result?.extensions]) {
    if (extensions && Object.hasOwn(extensions, key)) return { value: extensions[key] };
  }
  return undefined;
}

const catalogueForm: MappingRule = {
  name: 'catalogue-form',
  verbs: eventCatalogue.map((d) => catalogueVerbOf(d.eventType)),
  objects: "any (the platform's own form, for the types standard xAPI cannot express)",
  yields: 'the event type the verb names',
  fields: {
    '(each field)':
      'the context (else result) extension `https://ula.example/xapi/extensions/<field, with - for _>`; `course_id` else the course activity of the context; withheld contact fields get their placeholder',
  },
  matches: (s) => byVerb.has(s.verb.id),
  map(input) {
    const s = input.statement;
    const definition = byVerb.get(s.verb.id)!;
    const fields: Record<string, unknown> = {};
    for (const field of dataFieldsOf(definition)) {
      if (field in withheldFields) {
        const placeholder = withheldFields[field as keyof typeof withheldFields];
        if (placeholder !== undefined) fields[field] = placeholder;
        continue;
      }
      const found = catalogueExtension(s, field);
      if (found !== undefined) fields[field] = found.value;
      else if (field === 'course_id') {
        const course = courseIdOf(s, input.options);
        if (course !== undefined) fields[field] = course;
      }
    }
    return [{ eventType: definition.eventType, userId: actorOf(input), fields }];
  },
};

/** Every rule, in the order they are tried: the first that matches decides. */
export const mappingRules: readonly MappingRule[] = [
  catalogueForm,
  videoSession,
  login,
  logout,
  enrolment,
  drop,
  courseAccess,
  materialDownload,
  itemAccess,
  submission,
  grading,
  quizResult,
  questionAnswer,
];

export const ruleNamed = (name: string): MappingRule => {
  const rule = mappingRules.find((r) => r.name === name);
  if (!rule) throw new Error(`no mapping rule "${name}"`);
  return rule;
};

/** The definition of a catalogue event type (throws for an unknown name: a rule's bug). */
export const definitionNamed = (eventType: string): EventTypeDefinition => {
  const definition = byEventType.get(eventType);
  if (!definition) throw new Error(`no event type "${eventType}" in the catalogue`);
  return definition;
};

/** The role of an event: the role extension, else the type's only role, else the default. */
export function roleOf(statement: Statement, definition: EventTypeDefinition, defaultRole: Role): Role {
  const declared = contextExtension(statement, ulaExtensions.role);
  if (declared !== undefined) {
    if (typeof declared !== 'string' || !(roles as readonly string[]).includes(declared)) {
      throw new Unmappable(`role extension must be one of ${roles.join(', ')}`);
    }
    return declared as Role;
  }
  return definition.roles.length === 1 ? definition.roles[0]! : defaultRole;
}
