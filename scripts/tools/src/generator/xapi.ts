/**
 * The generator's xAPI form: each native catalogue event as the statement(s) a real LMS would send to an
 * LRS. Standard verbs where a mapping rule exists (sessions, enrolments, course/item/material access,
 * submissions, quiz results, grading; a VIDEO_WATCHED becomes a Video Profile session: initialized, played,
 * paused…, terminated with played-segments), the platform's catalogue form for the rest. Statement ids
 * derive from the native event id, so a generator duplicate stays a duplicate. Actors are accounts on
 * `xapiHomePage` named by the user id, so the mapper (with that home page) gives back the same user ids.
 */
import type { LmsEvent } from '@ula/core/events/envelope';
import { nameUuid } from '@ula/core/xapi/identity';
import { catalogueVerbOf, dataFieldsOf, definitionNamed } from '@ula/core/xapi/rules';
import type { Activity, Agent, Context, Extensions, Statement } from '@ula/core/xapi/statement';
import { formatPlayedSegments, type Segment } from '@ula/core/xapi/video';
import {
  activityTypes,
  ula,
  ulaExtensions,
  verbs,
  videoProfile,
  withheldFields,
} from '@ula/core/xapi/vocabulary';
import type { GeneratedItem } from './output.ts';

/** The simulated LMS's home page (ULA_XAPI_HOME_PAGE's default): accounts on it are named by the catalogue user id. */
export const xapiHomePage = 'https://lms.example.edu';

/** A statement as the generator sends it: id and timestamp always set. */
export type GeneratedStatement = Statement & { id: string; timestamp: string };

const agent = (userId: string): Agent => ({
  objectType: 'Agent',
  account: { homePage: xapiHomePage, name: userId },
});

const activity = (collection: string, id: string, type: string): Activity => ({
  objectType: 'Activity',
  id: `${xapiHomePage}/${collection}/${encodeURIComponent(id)}`,
  definition: { type },
});
const lms: Activity = {
  objectType: 'Activity',
  id: xapiHomePage,
  definition: { type: activityTypes.lms[0] },
};
const course = (id: string) => activity('courses', id, activityTypes.course[0]);
const verb = (id: string) => ({ id });

const str = (value: unknown): string => String(value);

/** Builds the statements of one native event, numbered from its id. */
class Builder {
  private count = 0;
  readonly statements: GeneratedStatement[] = [];

  constructor(readonly event: LmsEvent) {}

  add(statement: Omit<GeneratedStatement, 'id' | 'timestamp'>, timeMs = Date.parse(this.event.time)): void {
    this.statements.push({
      id: nameUuid(`xapi ${this.event.id} ${this.count++}`),
      timestamp: new Date(timeMs).toISOString(),
      ...statement,
    });
  }

  /** The context every statement of the event shares: role, course parent, extra extensions. */
  context(extensions: Extensions = {}, withRole = true): Context {
    const data = this.event.data;
    const context: Context = {
      extensions: { ...(withRole ? { [ulaExtensions.role]: data.role } : {}), ...extensions },
    };
    if (typeof data['course_id'] === 'string')
      context.contextActivities = { parent: [course(data['course_id'])] };
    return context;
  }
}

/** The segments of a watch: split in two around a pause, then whole rewatches when it exceeds the length. */
export function segmentsOf(watchSeconds: number, lengthSeconds: number): Segment[] {
  const segments: Segment[] = [];
  let remaining = watchSeconds;
  while (remaining > 0) {
    const part = Math.min(remaining, lengthSeconds);
    if (segments.length === 0 && part >= 2) {
      const half = Math.floor(part / 2);
      segments.push({ start: 0, end: half }, { start: half, end: part });
    } else segments.push({ start: 0, end: part });
    remaining -= part;
  }
  return segments;
}

function videoSession(b: Builder): void {
  const d = b.event.data;
  const length = Number(d['video_duration_seconds']);
  const segments = segmentsOf(Number(d['watch_duration_seconds']), length);
  const object = activity('videos', str(d['video_id']), activityTypes.video[0]);
  const end = Date.parse(b.event.time);
  const step = 500;
  const playedMs = segments.reduce((sum, s) => sum + (s.end - s.start) * 1000, 0);
  let at = end - playedMs - step * (segments.length + 1);
  const context = (): Context => ({
    ...b.context({
      [videoProfile.length]: length,
      [videoProfile.sessionId]: nameUuid(`video session ${b.event.id}`),
      [ulaExtensions.sessionId]: str(d['session_id']),
    }),
    registration: nameUuid(`registration ${b.event.id}`),
    contextActivities: {
      parent: [course(str(d['course_id']))],
      category: [{ objectType: 'Activity', id: videoProfile.category }],
    },
  });
  const progress = (time: number) => Math.min(1, Math.round((time / length) * 1000) / 1000);
  const played: Segment[] = [];
  b.add({ actor: agent(d.user_id), verb: verb(verbs.initialized[0]), object, context: context() }, at);
  at += step;
  let position = 0;
  for (const segment of segments) {
    if (segment.start !== position) {
      b.add(
        {
          actor: agent(d.user_id),
          verb: verb(verbs.seeked[0]),
          object,
          context: context(),
          result: { extensions: { [videoProfile.timeFrom]: position, [videoProfile.timeTo]: segment.start } },
        },
        at,
      );
    }
    b.add(
      {
        actor: agent(d.user_id),
        verb: verb(verbs.played[0]),
        object,
        context: context(),
        result: { extensions: { [videoProfile.time]: segment.start } },
      },
      at,
    );
    at += (segment.end - segment.start) * 1000;
    played.push(segment);
    position = segment.end;
    b.add(
      {
        actor: agent(d.user_id),
        verb: verb(verbs.paused[0]),
        object,
        context: context(),
        result: {
          extensions: {
            [videoProfile.time]: segment.end,
            [videoProfile.progress]: progress(segment.end),
            [videoProfile.playedSegments]: formatPlayedSegments(played),
          },
        },
      },
      at,
    );
    at += step;
  }
  b.add(
    {
      actor: agent(d.user_id),
      verb: verb(verbs.terminated[0]),
      object,
      context: context(),
      result: {
        extensions: {
          [videoProfile.time]: position,
          [videoProfile.progress]: progress(position),
          [videoProfile.playedSegments]: formatPlayedSegments(played),
        },
      },
    },
    end,
  );
}

/** The catalogue form: the type's own verb, each data field as the platform's context extension. */
function catalogueForm(b: Builder): void {
  const { event } = b;
  const definition = definitionNamed(event.eventType);
  const extensions: Extensions = {};
  for (const field of dataFieldsOf(definition)) {
    // Contact data never travels over xAPI (the mapping fills its documented placeholder).
    if (field in withheldFields) continue;
    const value = event.data[field];
    if (value !== undefined) extensions[ula.extension(field)] = value;
  }
  const d = event.data;
  const object =
    typeof d['assignment_id'] === 'string'
      ? activity('assignments', d['assignment_id'], activityTypes.assignment[0])
      : typeof d['notification_id'] === 'string'
        ? activity('notifications', d['notification_id'], ula.activityType('notification'))
        : typeof d['course_id'] === 'string'
          ? course(d['course_id'])
          : lms;
  b.add({
    actor: agent(d.user_id),
    verb: verb(catalogueVerbOf(event.eventType)),
    object,
    context: b.context(extensions),
  });
}

/** The statements a real LMS would send for one native event (ids derived from the event's id). */
export function toXapiStatements(event: LmsEvent): GeneratedStatement[] {
  const b = new Builder(event);
  const d = event.data;
  const actor = agent(d.user_id);
  switch (event.eventType) {
    case 'LOGIN':
    case 'LOGOUT':
      b.add({
        actor,
        verb: verb(event.eventType === 'LOGIN' ? verbs.loggedIn[0] : verbs.loggedOut[0]),
        object: lms,
        context: b.context({ [ulaExtensions.sessionId]: d['session_id'] }),
      });
      break;
    case 'COURSE_ENROLLED':
    case 'COURSE_DROPPED':
    case 'COURSE_VIEW':
      b.add({
        actor,
        verb: verb(
          event.eventType === 'COURSE_ENROLLED'
            ? verbs.registered[0]
            : event.eventType === 'COURSE_DROPPED'
              ? verbs.unregistered[0]
              : verbs.viewed[0],
        ),
        object: course(str(d['course_id'])),
        context: b.context(),
      });
      break;
    case 'ITEM_CLICK':
      b.add({
        actor,
        verb: verb(verbs.experienced[0]),
        object: activity('items', str(d['item_id']), ula.activityType(str(d['item_type']))),
        context: b.context(),
      });
      break;
    case 'DOWNLOAD_MATERIAL':
      b.add({
        actor,
        verb: verb(verbs.downloaded[0]),
        object: activity('materials', str(d['material_id']), ula.activityType('material')),
        context: b.context({ [ulaExtensions.materialType]: d['material_type'] }),
      });
      break;
    case 'SUBMIT_ASSIGNMENT':
      b.add({
        actor,
        verb: verb(verbs.submitted[0]),
        object: activity('assignments', str(d['assignment_id']), activityTypes.assignment[0]),
        context: b.context({
          [ulaExtensions.assignmentType]: d['assignment_type'],
          [ulaExtensions.dueDate]: d['due_date'],
          [ulaExtensions.fileUrl]: d['file_url'],
        }),
      });
      break;
    case 'QUIZ_COMPLETED': {
      const score = Number(d['score']);
      const max = Number(d['max_score']);
      b.add({
        actor,
        verb: verb(verbs.completed[0]),
        object: activity('quizzes', str(d['quiz_id']), activityTypes.quiz[0]),
        context: b.context({
          [ulaExtensions.correctAnswers]: d['correct_answers'],
          [ulaExtensions.totalQuestions]: d['total_questions'],
        }),
        result: { score: { raw: score, max, scaled: score / max }, completion: true },
      });
      break;
    }
    case 'GRADE_ASSIGNMENT': {
      const score = Number(d['score']);
      const max = Number(d['max_score']);
      // As Moodle sends a grade: the graded student is the actor, the grader the instructor.
      b.add({
        actor: agent(str(d['student_id'])),
        verb: verb(verbs.scored[0]),
        object: activity('assignments', str(d['assignment_id']), activityTypes.assignment[0]),
        context: { ...b.context({}, false), instructor: actor },
        result: { score: { raw: score, max, scaled: score / max } },
      });
      break;
    }
    case 'VIDEO_WATCHED':
      videoSession(b);
      break;
    default:
      catalogueForm(b);
  }
  return b.statements;
}

/**
 * The statements of a generated item: an event's, or for a malformed record one statement without a verb
 * (invalid, so the LRS must answer 400), whose id derives from the record's.
 */
export function xapiStatementsOf(item: GeneratedItem): (GeneratedStatement | Record<string, unknown>)[] {
  if (item.kind === 'event') return toXapiStatements(item.event);
  const key = item.record.attributes['id'] ?? item.record.body;
  return [
    {
      id: nameUuid(`xapi malformed ${key}`),
      actor: agent(item.record.key),
      object: lms,
      timestamp: new Date().toISOString(),
    },
  ];
}
