/**
 * Mapping tests per rule, from statements written after the xAPI specification and the published examples
 * of real systems: Open edX event-routing-backends (event_routing_backends/processors/xapi/tests/fixtures/
 * expected/*.json), Moodle logstore_xapi (tests/<event>/<case>/statements.json) and the xAPI Video Profile
 * (adlnet/xapi-authored-profiles video/v1.0.3). Each mapped event must pass validateEvent, and near misses
 * must stay unmapped with a reason.
 */
import { describe, expect, it } from 'vitest';
import { validateEvent } from '../../src/events/catalogue.ts';
import { cloudEventSource, cloudEventType, type LmsEvent } from '../../src/events/envelope.ts';
import { eventIdOf, nameUuid } from '../../src/xapi/identity.ts';
import { type MappedStatement, StatementMapper } from '../../src/xapi/mapping.ts';
import { catalogueVerbOf, mappingRules, type StoredStatement } from '../../src/xapi/rules.ts';
import type { Activity, Agent, Statement } from '../../src/xapi/statement.ts';
import { ula, ulaExtensions, videoProfile } from '../../src/xapi/vocabulary.ts';

const edx = 'http://localhost:18000';
const moodle = 'http://www.example.org';
const home = 'https://lms.test';
const options = { homePage: home, defaultRole: 'student' as const };

let n = 0;
const stored = (s: Statement, timestamp = '2026-03-02T03:04:05.678Z'): StoredStatement => ({
  id: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  timestamp,
  ...s,
});
const account = (homePage: string, name: string): Agent => ({
  objectType: 'Agent',
  account: { homePage, name },
});
const act = (id: string, type?: string): Activity => ({
  objectType: 'Activity',
  id,
  ...(type ? { definition: { type } } : {}),
});
const edxCourse = act(
  `${edx}/course/course-v1:edX+DemoX+Demo_Course`,
  'http://adlnet.gov/expapi/activities/course',
);
const moodleCourse = act(`${moodle}/course/view.php?id=2`, 'https://w3id.org/xapi/cmi5/activitytype/course');
const edxUser = account(edx, '32e08e30-f8ae-4ce2-94a8-c2bfe38a70cb');

/** Asserts every event re-validates as a CloudEvent (the mapper already ran validateEvent; this checks the shape). */
function expectValid(result: MappedStatement): LmsEvent[] {
  for (const event of result.events) {
    expect(
      validateEvent({
        id: event.id,
        type: cloudEventType(event.category, event.eventType),
        source: cloudEventSource(event.category),
        time: event.time,
        data: event.data,
      }),
    ).toEqual(event);
  }
  return result.events;
}

const map = (s: Statement, mapper = new StatementMapper(options), timestamp?: string) => {
  const result = mapper.map(stored(s, timestamp));
  expectValid(result);
  return result;
};

describe('sessions', () => {
  it('logged-in and logged-out (w3id ADL verbs) with a cmi5 session id give LOGIN and LOGOUT of the same session', () => {
    const session = '1b2c3d4e-0000-4000-8000-000000000001';
    const context = { extensions: { 'https://w3id.org/xapi/cmi5/context/extensions/sessionid': session } };
    const actor = account(home, 'SV00001');
    const inn = map({
      actor,
      verb: { id: 'https://w3id.org/xapi/adl/verbs/logged-in' },
      object: act(home),
      context,
    });
    const out = map({
      actor,
      verb: { id: 'http://adlnet.gov/expapi/verbs/logged-out' },
      object: act(home),
      context,
    });
    expect(inn.rule).toBe('session-login');
    expect(inn.events.map((e) => [e.eventType, e.data])).toEqual([
      ['LOGIN', { user_id: 'SV00001', role: 'student', session_id: session }],
    ]);
    expect(out.events.map((e) => [e.eventType, e.data['session_id']])).toEqual([['LOGOUT', session]]);
  });

  it('Moodle user_loggedin (edlm login verb, no session id): LOGIN with a session derived from the statement; its logout stays unmapped', () => {
    // Moodle logstore_xapi tests/core/user_loggedin/existing_user_loggedin/statements.json
    const actor: Agent = {
      objectType: 'Agent',
      account: { homePage: moodle, name: '1' },
      name: 'test_fullname',
    };
    const lms = act(moodle, 'http://id.tincanapi.com/activitytype/lms');
    const inn = map({
      actor,
      verb: { id: 'https://xapi.edlm/profiles/edlm-lms/concepts/verbs/login' },
      object: lms,
    });
    expect(inn.events[0]?.eventType).toBe('LOGIN');
    expect(inn.events[0]?.data['session_id']).toMatch(/^[0-9a-f-]{36}$/);
    const out = map({
      actor,
      verb: { id: 'https://xapi.edlm/profiles/edlm-lms/concepts/verbs/logout' },
      object: lms,
    });
    expect(out.rule).toBeUndefined();
    expect(out.reason).toContain('no session id');
  });

  it('cmi5 launched / terminated give LOGIN / LOGOUT only in cmi5 statements (the cmi5 category)', () => {
    const cmi5 = {
      contextActivities: { category: [act('https://w3id.org/xapi/cmi5/context/categories/cmi5')] },
      extensions: { 'https://w3id.org/xapi/cmi5/context/extensions/sessionid': 'launch-42' },
    };
    const actor = account(home, 'SV00002');
    const au = act('https://example.com/au/1');
    const launched = map({
      actor,
      verb: { id: 'http://adlnet.gov/expapi/verbs/launched' },
      object: au,
      context: cmi5,
    });
    const terminated = map({
      actor,
      verb: { id: 'http://adlnet.gov/expapi/verbs/terminated' },
      object: au,
      context: cmi5,
    });
    expect([launched.events[0]?.eventType, terminated.events[0]?.eventType]).toEqual(['LOGIN', 'LOGOUT']);
    // A non-UUID session id becomes one name-based UUID, the same on both.
    expect(launched.events[0]?.data['session_id']).toBe(terminated.events[0]?.data['session_id']);
    // Near miss: launched without the cmi5 category is not a session.
    const plain = map({ actor, verb: { id: 'http://adlnet.gov/expapi/verbs/launched' }, object: au });
    expect(plain.rule).toBeUndefined();
  });
});

describe('registration and access', () => {
  it('Open edX enrollment activated / deactivated give COURSE_ENROLLED / COURSE_DROPPED on the course-v1 key', () => {
    // event-routing-backends fixtures edx.course.enrollment.activated.json and .deactivated.json
    const enrolled = map({
      actor: edxUser,
      verb: { id: 'http://adlnet.gov/expapi/verbs/registered' },
      object: edxCourse,
    });
    const dropped = map({
      actor: edxUser,
      verb: { id: 'http://id.tincanapi.com/verb/unregistered' },
      object: edxCourse,
    });
    expect(enrolled.events.map((e) => [e.eventType, e.data['course_id']])).toEqual([
      ['COURSE_ENROLLED', 'course-v1:edX+DemoX+Demo_Course'],
    ]);
    expect(dropped.events.map((e) => e.eventType)).toEqual(['COURSE_DROPPED']);
    // A foreign account becomes a stable hashed id, the same for both statements.
    expect(enrolled.userId).toMatch(/^acct-[0-9a-f]{40}$/);
    expect(dropped.userId).toBe(enrolled.userId);
  });

  it('Moodle enrolled / left on a course URL give COURSE_ENROLLED / COURSE_DROPPED of <host>:course:<id>', () => {
    // Moodle logstore_xapi tests/core/user_enrolment_created and user_enrolment_deleted
    const actor = account(moodle, '2');
    const inn = map({
      actor,
      verb: { id: 'https://xapi.edlm/profiles/edlm-lms/concepts/verbs/enrolled' },
      object: moodleCourse,
    });
    const out = map({ actor, verb: { id: 'http://activitystrea.ms/leave' }, object: moodleCourse });
    expect([inn.events[0]?.data['course_id'], out.events[0]?.eventType]).toEqual([
      'www.example.org:course:2',
      'COURSE_DROPPED',
    ]);
  });

  it('registered on something that is not a course stays unmapped', () => {
    const result = map({
      actor: edxUser,
      verb: { id: 'http://adlnet.gov/expapi/verbs/registered' },
      object: act('https://example.com/event/1'),
    });
    expect(result).toMatchObject({ rule: undefined, events: [], activityType: '' });
  });

  it('Moodle course_viewed gives COURSE_VIEW; a teacher role extension makes it a teacher view', () => {
    // Moodle logstore_xapi tests/core/course_viewed/viewing_existing_course/statements.json
    const actor = account(moodle, '1');
    const viewed = map({ actor, verb: { id: 'http://id.tincanapi.com/verb/viewed' }, object: moodleCourse });
    expect(viewed.events.map((e) => [e.eventType, e.data['role']])).toEqual([['COURSE_VIEW', 'student']]);
    const teacher = map({
      actor,
      verb: { id: 'http://id.tincanapi.com/verb/viewed' },
      object: moodleCourse,
      context: { extensions: { [ulaExtensions.role]: 'teacher' } },
    });
    expect(teacher.events[0]?.data['role']).toBe('teacher');
    const badRole = map({
      actor,
      verb: { id: 'http://id.tincanapi.com/verb/viewed' },
      object: moodleCourse,
      context: { extensions: { [ulaExtensions.role]: 'dean' } },
    });
    expect(badRole.reason).toContain('role extension');
  });

  it('Open edX outline navigated (module) and forum thread viewed (discussion) give ITEM_CLICK with the item type of the activity type', () => {
    // event-routing-backends fixtures edx.ui.lms.outline.selected.json and edx.forum.thread.viewed.json
    const parent = { contextActivities: { parent: [edxCourse] } };
    const module = map({
      actor: edxUser,
      verb: { id: 'https://w3id.org/xapi/dod-isd/verbs/navigated' },
      object: act(
        `${edx}/courses/course-v1:edX+DemoX+Demo_Course/jump_to/block-v1:edX+DemoX+Demo_Course+type@sequential+block@48ecb924d7fe4b66a230137626bfa93e`,
        'http://adlnet.gov/expapi/activities/module',
      ),
      context: parent,
    });
    const thread = map({
      actor: edxUser,
      verb: { id: 'http://id.tincanapi.com/verb/viewed' },
      object: act(
        `${edx}/api/discussion/v1/comments/64a817fce68f35002fd013c3`,
        'http://id.tincanapi.com/activitytype/discussion',
      ),
      context: parent,
    });
    expect(module.events.map((e) => [e.eventType, e.data['item_type'], e.data['course_id']])).toEqual([
      ['ITEM_CLICK', 'module', 'course-v1:edX+DemoX+Demo_Course'],
    ]);
    // An IRI longer than 64 characters becomes a stable hashed id.
    expect(module.events[0]?.data['item_id']).toMatch(/^iri-[0-9a-f]{40}$/);
    expect(thread.events.map((e) => e.data['item_type'])).toEqual(['discussion']);
  });

  it('an item without any course in its context stays unmapped with the reason', () => {
    const result = map({
      actor: edxUser,
      verb: { id: 'http://id.tincanapi.com/verb/viewed' },
      object: act('https://example.com/lesson/1', 'http://adlnet.gov/expapi/activities/lesson'),
    });
    expect(result.reason).toContain('no course');
  });

  it('downloaded a file gives DOWNLOAD_MATERIAL, its type from the extension or the file name; unknown kinds stay unmapped', () => {
    const parent = { contextActivities: { parent: [moodleCourse] } };
    const actor = account(moodle, '5');
    const pdf = map({
      actor,
      verb: { id: 'http://id.tincanapi.com/verb/downloaded' },
      object: act(`${moodle}/pluginfile.php/12/week1.pdf`),
      context: parent,
    });
    expect(pdf.events.map((e) => [e.eventType, e.data['material_type']])).toEqual([
      ['DOWNLOAD_MATERIAL', 'pdf'],
    ]);
    const viewedSlides = map({
      actor,
      verb: { id: 'http://id.tincanapi.com/verb/viewed' },
      object: act(`${moodle}/mod/resource/view.php?id=9`, 'http://id.tincanapi.com/activitytype/document'),
      context: { ...parent, extensions: { [ulaExtensions.materialType]: 'slides' } },
    });
    expect(viewedSlides.events[0]?.data['material_type']).toBe('slides');
    const unknown = map({
      actor,
      verb: { id: 'http://id.tincanapi.com/verb/downloaded' },
      object: act(`${moodle}/file/7`),
      context: parent,
    });
    expect(unknown.reason).toContain('material type unknown');
  });
});

describe('assessment', () => {
  const assignment = act(
    `${moodle}/mod/assign/view.php?id=1`,
    'https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/assignment',
  );
  const submissionObject = act(
    `${moodle}/mod/assign/view.php?id=1#submission`,
    'https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/submission',
  );
  const moodleParents = {
    parent: [
      assignment,
      act(`${moodle}/course/section.php?id=1`, 'http://id.tincanapi.com/activitytype/section'),
      moodleCourse,
    ],
  };

  it('Moodle assignment_submitted as published is SUBMIT_ASSIGNMENT without type, due date or file; the platform extensions add them', () => {
    // Moodle logstore_xapi tests/mod_assign/assignment_submitted/existing_assignment_submitted/statements.json
    const statement: Statement = {
      actor: account(moodle, '1'),
      verb: { id: 'http://activitystrea.ms/schema/1.0/submit' },
      object: submissionObject,
      context: { contextActivities: moodleParents },
    };
    const bare = map(statement);
    expect(bare.rule).toBe('submission');
    expect(bare.events.map((e) => [e.eventType, e.data])).toEqual([
      [
        'SUBMIT_ASSIGNMENT',
        {
          user_id: expect.stringMatching(/^acct-[0-9a-f]{40}$/),
          role: 'student',
          assignment_id: 'www.example.org:assign:1',
          course_id: 'www.example.org:course:2',
        },
      ],
    ]);
    const full = map({
      ...statement,
      context: {
        contextActivities: moodleParents,
        extensions: {
          [ulaExtensions.assignmentType]: 'essay',
          // An offset is normalised to UTC milliseconds, as event times are.
          [ulaExtensions.dueDate]: '2026-03-09T23:59:00+07:00',
        },
      },
      attachments: [
        {
          usageType: 'http://id.tincanapi.com/attachment/supporting_media',
          display: { en: 'essay' },
          contentType: 'application/pdf',
          length: 10,
          sha2: 'ab',
          fileUrl: 's3://submissions/1.pdf',
        },
      ],
    });
    expect(full.events.map((e) => e.data)).toEqual([
      {
        user_id: expect.stringMatching(/^acct-[0-9a-f]{40}$/),
        role: 'student',
        assignment_id: 'www.example.org:assign:1',
        course_id: 'www.example.org:course:2',
        assignment_type: 'essay',
        due_date: '2026-03-09T16:59:00.000Z',
        file_url: 's3://submissions/1.pdf',
      },
    ]);
  });

  it('submission near misses stay unmapped with the reason: no course, a due date or type that is stated but wrong', () => {
    const actor = account(moodle, '1');
    const submit = { id: 'http://activitystrea.ms/schema/1.0/submit' };
    const noCourse = map({
      actor,
      verb: submit,
      object: submissionObject,
      context: { contextActivities: { parent: [assignment] } },
    });
    expect([noCourse.rule, noCourse.reason]).toEqual([undefined, expect.stringContaining('no course')]);
    for (const [extension, value, field] of [
      [ulaExtensions.dueDate, 'next friday', 'due_date'],
      [ulaExtensions.dueDate, '2026-02-30T16:59:00Z', 'due_date'],
      [ulaExtensions.assignmentType, 'exam', 'assignment_type'],
      [ulaExtensions.fileUrl, 42, 'file_url'],
    ] as const) {
      const wrong = map({
        actor,
        verb: submit,
        object: submissionObject,
        context: { contextActivities: moodleParents, extensions: { [extension]: value } },
      });
      expect(wrong.rule, field).toBeUndefined();
      expect(wrong.reason, field).toContain(`submission: data.${field}`);
    }
  });

  it('Moodle assignment_graded (tla scored, instructor) gives GRADE_ASSIGNMENT by the instructor of the actor, score raw − min of max − min', () => {
    // Moodle logstore_xapi tests/mod_assign/assignment_graded/existing_assignment_graded_comment/statements.json
    const result = map({
      actor: { objectType: 'Agent', account: { homePage: moodle, name: '2' }, name: 'test2_fullname' },
      verb: { id: 'https://w3id.org/xapi/tla/verbs/scored' },
      object: submissionObject,
      context: {
        contextActivities: moodleParents,
        instructor: { objectType: 'Agent', account: { homePage: moodle, name: '1' } },
      },
      result: {
        response: 'test_comment_text',
        score: { max: 2.0, min: 0.0, raw: 1.0, scaled: 0.0 },
        success: true,
      },
    });
    const [grade] = result.events;
    expect(grade?.eventType).toBe('GRADE_ASSIGNMENT');
    expect(grade?.data).toMatchObject({
      role: 'teacher',
      score: 1,
      max_score: 2,
      course_id: 'www.example.org:course:2',
    });
    expect(grade?.data['user_id']).not.toBe(grade?.data['student_id']);
    expect(result.userId).toBe(grade?.data['student_id']);
  });

  it('a score only scaled gives scaled × max when max is stated, else scaled of 1; min shifts raw and max', () => {
    const quiz = act(`${home}/quizzes/QUIZ7`, 'http://adlnet.gov/expapi/activities/assessment');
    const context = {
      contextActivities: { parent: [act(`${home}/courses/COURSE3`)] },
      extensions: { [ulaExtensions.correctAnswers]: 3, [ulaExtensions.totalQuestions]: 4 },
    };
    const actor = account(home, 'SV00009');
    const scaled = map({
      actor,
      verb: { id: 'http://adlnet.gov/expapi/verbs/passed' },
      object: quiz,
      context,
      result: { score: { scaled: 0.75 } },
    });
    expect(scaled.events[0]?.data).toMatchObject({
      quiz_id: 'QUIZ7',
      course_id: 'COURSE3',
      score: 0.75,
      max_score: 1,
      correct_answers: 3,
      total_questions: 4,
    });
    const scaledOfMax = map({
      actor,
      verb: { id: 'http://adlnet.gov/expapi/verbs/passed' },
      object: quiz,
      context,
      result: { score: { scaled: 0.75, max: 40 } },
    });
    expect(scaledOfMax.events[0]?.data).toMatchObject({ score: 30, max_score: 40 });
    const negative = map({
      actor,
      verb: { id: 'http://adlnet.gov/expapi/verbs/failed' },
      object: quiz,
      context,
      result: { score: { scaled: -0.5 } },
    });
    expect(negative.reason).toContain('scaled is negative');
    const shifted = map({
      actor,
      verb: { id: 'http://adlnet.gov/expapi/verbs/completed' },
      object: quiz,
      context,
      result: { score: { raw: 15, min: 5, max: 25 } },
    });
    expect(shifted.events[0]?.data).toMatchObject({ score: 10, max_score: 20 });
    const noScore = map({
      actor,
      verb: { id: 'http://adlnet.gov/expapi/verbs/failed' },
      object: quiz,
      context,
    });
    expect(noScore.reason).toContain('no result.score');
  });

  it('Moodle quiz attempt completed (attempt object, quiz as parent) is QUIZ_COMPLETED from result.score, with the counts when stated; its answered questions map to nothing', () => {
    // Moodle logstore_xapi tests/mod_quiz/attempt_submitted/match/statements.json
    const parents = {
      parent: [
        act(`${moodle}/mod/quiz/view.php?id=1`, 'http://adlnet.gov/expapi/activities/assessment'),
        moodleCourse,
      ],
    };
    const attempt = {
      actor: account(moodle, '1'),
      verb: { id: 'http://adlnet.gov/expapi/verbs/completed' },
      object: act(
        `${moodle}/mod/quiz/attempt.php?attempt=1&cmid=1`,
        'http://adlnet.gov/expapi/activities/attempt',
      ),
      result: {
        completion: true,
        duration: 'PT1S',
        score: { max: 100, min: 0, raw: 50, scaled: 0.0 },
        success: true,
      },
    } satisfies Statement;
    const published = map({ ...attempt, context: { contextActivities: parents } });
    expect(published.events.map((e) => [e.eventType, e.data])).toEqual([
      [
        'QUIZ_COMPLETED',
        {
          user_id: expect.stringMatching(/^acct-[0-9a-f]{40}$/),
          role: 'student',
          quiz_id: 'www.example.org:quiz:1',
          course_id: 'www.example.org:course:2',
          score: 50,
          max_score: 100,
        },
      ],
    ]);
    // Near misses: no score at all, no course.
    const { result: _, ...unscored } = attempt;
    expect(map({ ...unscored, context: { contextActivities: parents } }).reason).toBe(
      'quiz-result: no result.score',
    );
    expect(
      map({ ...attempt, context: { contextActivities: { parent: parents.parent.slice(0, 1) } } }).reason,
    ).toContain('no course');
    const counted = map({
      ...attempt,
      context: {
        contextActivities: parents,
        extensions: { [ulaExtensions.correctAnswers]: 5, [ulaExtensions.totalQuestions]: 10 },
      },
    });
    expect(counted.events[0]?.data).toMatchObject({
      quiz_id: 'www.example.org:quiz:1',
      correct_answers: 5,
      total_questions: 10,
      score: 50,
      max_score: 100,
    });
    const badCount = map({
      ...attempt,
      context: { contextActivities: parents, extensions: { [ulaExtensions.totalQuestions]: 0 } },
    });
    expect(badCount.reason).toContain('data.total_questions');
    const answered = map({
      actor: account(moodle, '1'),
      verb: { id: 'http://adlnet.gov/expapi/verbs/answered' },
      object: act(
        `${moodle}/question/question.php?cmid=1&id=1`,
        'http://adlnet.gov/expapi/activities/cmi.interaction',
      ),
    });
    expect(answered).toMatchObject({ rule: 'question-answer', events: [] });
  });

  it('Open edX problem attempted (a question, verb attempted) stays unmapped: no rule for it', () => {
    // event-routing-backends fixture edx.grades.problem.submitted.json
    const result = map({
      actor: edxUser,
      verb: { id: 'http://adlnet.gov/expapi/verbs/attempted' },
      object: act(
        `${edx}/xblock/block-v1:edX+DemoX+Demo_Course+type@problem+block@3fc5461f86764ad7bdbdf6cbdde61e66`,
        'http://adlnet.gov/expapi/activities/question',
      ),
      context: { contextActivities: { parent: [edxCourse] } },
      result: { score: { max: 1, min: 0, raw: 0, scaled: 0 }, success: false },
    });
    expect(result).toMatchObject({
      rule: undefined,
      verb: 'http://adlnet.gov/expapi/verbs/attempted',
      activityType: 'http://adlnet.gov/expapi/activities/question',
    });
  });
});

describe('xAPI Video Profile', () => {
  const video = act(
    `${edx}/xblock/block-v1:edX+DemoX+Demo_Course+type@video+block@0b9e39477cf34507a7a48f74be381fdd`,
    'https://w3id.org/xapi/video/activity-type/video',
  );
  const context = {
    contextActivities: { parent: [edxCourse] },
    extensions: {
      'https://w3id.org/xapi/openedx/extensions/session-id': '993110e9c27848a545da74a74114158d',
      [videoProfile.length]: 195.0,
    },
  };
  const statement = (verb: string, extensions: Record<string, unknown>): Statement => ({
    actor: edxUser,
    verb: { id: verb },
    object: video,
    context,
    result: { extensions },
  });
  const played = (time: number) =>
    statement('https://w3id.org/xapi/video/verbs/played', { [videoProfile.time]: time });
  const paused = (time: number) =>
    statement('https://w3id.org/xapi/video/verbs/paused', { [videoProfile.time]: time });

  it('a session maps to ONE VIDEO_WATCHED on terminated, watch = sum of played-segments (not merged)', () => {
    const mapper = new StatementMapper(options);
    const lifecycle = [
      map(statement('http://adlnet.gov/expapi/verbs/initialized', {}), mapper),
      map(played(0), mapper),
      map(paused(100), mapper),
      map(statement('http://adlnet.gov/expapi/verbs/completed', { [videoProfile.time]: 195 }), mapper),
    ];
    for (const r of lifecycle) expect(r).toMatchObject({ rule: 'video-session', events: [] });
    const terminated = map(
      statement('http://adlnet.gov/expapi/verbs/terminated', {
        [videoProfile.time]: 60,
        // 0–120 then a rewatch of 30–90: 180 s watched (the union would be 120).
        [videoProfile.playedSegments]: '0.000[.]120.000[,]30.000[.]90.000',
      }),
      mapper,
    );
    expect(
      terminated.events.map((e) => [
        e.eventType,
        e.data['watch_duration_seconds'],
        e.data['video_duration_seconds'],
      ]),
    ).toEqual([['VIDEO_WATCHED', 180, 195]]);
    expect(terminated.events[0]?.data['course_id']).toBe('course-v1:edX+DemoX+Demo_Course');
    expect(terminated.events[0]?.data['session_id']).toBe(
      nameUuid('session 993110e9c27848a545da74a74114158d'),
    );
  });

  it('without played-segments, the played → paused / terminated time pairs of the session are summed', () => {
    const mapper = new StatementMapper(options);
    map(played(0.033), mapper); // event-routing-backends play_video.json
    map(paused(100.033), mapper);
    map(played(150), mapper);
    map(
      statement('https://w3id.org/xapi/video/verbs/seeked', {
        [videoProfile.timeFrom]: 160,
        [videoProfile.timeTo]: 10,
      }),
      mapper,
    );
    const result = map(
      statement('http://adlnet.gov/expapi/verbs/terminated', { [videoProfile.time]: 40 }),
      mapper,
    );
    // 100 + (160 − 150) + (40 − 10) = 140
    expect(result.events[0]?.data['watch_duration_seconds']).toBe(140);
    expect(mapper.openVideoSessions).toBe(0);
  });

  it('a terminated with no segments and no remembered pairs is unmapped; so is a malformed played-segments', () => {
    const none = map(statement('http://adlnet.gov/expapi/verbs/terminated', { [videoProfile.time]: 40 }));
    expect(none.reason).toContain('no played-segments');
    const malformed = map(
      statement('http://adlnet.gov/expapi/verbs/terminated', {
        [videoProfile.playedSegments]: '0[.]12[,]oops',
      }),
    );
    expect(malformed.rule).toBeUndefined();
    expect(malformed.reason).toContain('segment 2');
  });

  it('the pair memory is bounded: the least recently used session is forgotten', () => {
    const mapper = new StatementMapper(options, { maxOpenVideoSessions: 2 });
    for (const name of ['a', 'b', 'c']) {
      map({ ...played(0), actor: account(home, name) }, mapper);
    }
    expect(mapper.openVideoSessions).toBe(2);
    const forgotten = map(
      {
        ...statement('http://adlnet.gov/expapi/verbs/terminated', { [videoProfile.time]: 5 }),
        actor: account(home, 'a'),
      },
      mapper,
    );
    expect(forgotten.rule).toBeUndefined();
    const kept = map(
      {
        ...statement('http://adlnet.gov/expapi/verbs/terminated', { [videoProfile.time]: 5 }),
        actor: account(home, 'c'),
      },
      mapper,
    );
    expect(kept.events[0]?.data['watch_duration_seconds']).toBe(5);
  });
});

describe('catalogue form', () => {
  it('carries types standard xAPI cannot express, fields as extensions; contact data gets its placeholder', () => {
    const actor = account(home, 'SV00003');
    const signup = map({
      actor,
      verb: { id: catalogueVerbOf('SIGNUP') },
      object: act(home),
      context: {
        extensions: { [ula.extension('registration_source')]: 'mobile', [ula.extension('email')]: 'x@y.edu' },
      },
    });
    expect(signup.events.map((e) => [e.eventType, e.data])).toEqual([
      [
        'SIGNUP',
        {
          user_id: 'SV00003',
          role: 'student',
          registration_source: 'mobile',
          email: 'withheld@withheld.invalid',
        },
      ],
    ]);
    const reopened = map({
      actor: account(home, 'GV001'),
      verb: { id: 'https://ula.example/xapi/verbs/assignment-reopened' },
      object: act(`${home}/assignments/ASM1`),
      context: {
        contextActivities: { parent: [act(`${home}/courses/COURSE1`)] },
        extensions: {
          [ula.extension('student_id')]: 'SV00003',
          [ula.extension('assignment_id')]: 'ASM1',
          [ula.extension('new_due_date')]: '2026-03-10T16:59:00.000Z',
        },
      },
    });
    expect(reopened.events[0]?.data).toEqual({
      user_id: 'GV001',
      role: 'teacher',
      student_id: 'SV00003',
      assignment_id: 'ASM1',
      course_id: 'COURSE1',
      new_due_date: '2026-03-10T16:59:00.000Z',
    });
  });

  it('a catalogue-form statement whose fields fail the schema is unmapped naming the field', () => {
    const result = map({
      actor: account(home, 'SV00003'),
      verb: { id: catalogueVerbOf('NOTIFICATION_SENT') },
      object: act(home),
      context: {
        extensions: { [ula.extension('notification_id')]: 'N1', [ula.extension('channel')]: 'pigeon' },
      },
    });
    expect(result.rule).toBeUndefined();
    expect(result.reason).toMatch(/catalogue-form: data\.\w+/);
  });

  it('every one of the 26 types has a catalogue-form verb, and no rule lists a verb twice', () => {
    const form = mappingRules.find((r) => r.name === 'catalogue-form');
    expect(form?.verbs).toHaveLength(26);
    for (const rule of mappingRules) expect(new Set(rule.verbs).size).toBe(rule.verbs.length);
  });
});

describe('events', () => {
  it('ids derive from (statement id, index) as UUID v7 carrying the event time; a resend gives the same ids', () => {
    const statement = stored(
      {
        actor: account(home, 'SV00001'),
        verb: { id: 'http://id.tincanapi.com/verb/viewed' },
        object: act(`${home}/courses/COURSE1`),
      },
      '2026-03-02T10:04:05.678+07:00',
    );
    const first = new StatementMapper(options).map(statement);
    const again = new StatementMapper(options).map(structuredClone(statement));
    const [event] = first.events;
    expect(event?.time).toBe('2026-03-02T03:04:05.678Z');
    expect(event?.id).toBe(eventIdOf(statement.id, 0, Date.parse('2026-03-02T03:04:05.678Z')));
    expect(event?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(event!.id.replaceAll('-', '').slice(0, 12), 16)).toBe(Date.parse(event!.time));
    expect(again.events[0]?.id).toBe(event?.id);
    expect(eventIdOf(statement.id, 1, Date.parse(event!.time))).not.toBe(event?.id);
  });

  it('an anonymous group actor is unmapped: no single user', () => {
    const result = map({
      actor: { objectType: 'Group', member: [account(home, 'SV1'), account(home, 'SV2')] },
      verb: { id: 'http://id.tincanapi.com/verb/viewed' },
      object: act(`${home}/courses/COURSE1`),
    });
    expect(result).toMatchObject({ rule: undefined, userId: undefined });
    expect(result.reason).toContain('anonymous group');
  });
});
