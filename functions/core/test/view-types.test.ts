/**
 * View declarations read event data typed from the catalogue's zod schemas. This file is type-checked by
 * `tsc -p tsconfig.json` (`npm run lint`): every `@ts-expect-error` below must stay an error, since tsc
 * fails on a directive that no longer suppresses one (TS2578). The run-time test only checks that the
 * declarations still build.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type EventNamed, fieldOf, isEvent } from '../src/events/typed.ts';
import { count, countDistinct, sum } from '../src/views/aggregates.ts';
import { defineBatchView, defineSpeedView, key } from '../src/views/define.ts';

const base = { job: 'video', doc: 'type test', period: 'all', partitionKey: [] } as const;

const declarations = () => [
  defineBatchView<'VIDEO_WATCHED'>({
    ...base,
    name: 'typed_fields',
    sources: ['video'],
    keys: { video_id: key.text((e) => e.data.video_id) },
    metrics: {
      seconds: sum((e) => e.data.watch_duration_seconds),
      // @ts-expect-error a misspelt field
      misspelt: sum((e) => e.data.watch_duration_second),
      // @ts-expect-error a field of another event type (QUIZ_COMPLETED's score)
      other_type: sum((e) => e.data.score),
    },
  }),
  defineBatchView<'SUBMIT_ASSIGNMENT'>({
    ...base,
    name: 'where_must_narrow',
    sources: ['assessment'],
    // @ts-expect-error the assessment category holds other event types: `where` must be a guard keeping SUBMIT_ASSIGNMENT
    where: (e) => e.data.role === 'student',
    keys: {},
    metrics: { n: count() },
  }),
  defineBatchView<'SUBMIT_ASSIGNMENT'>({
    ...base,
    name: 'guarded',
    sources: ['assessment'],
    where: (e): e is EventNamed<'SUBMIT_ASSIGNMENT'> =>
      isEvent('SUBMIT_ASSIGNMENT')(e) && e.data.role === 'student',
    keys: { assignment_type: key.text((e) => e.data.assignment_type) },
    metrics: { n: count() },
  }),
  defineBatchView<'VIDEO_WATCHED'>({
    ...base,
    name: 'wrong_source',
    // @ts-expect-error VIDEO_WATCHED is not an auth event
    sources: ['auth'],
    keys: {},
    metrics: { n: count() },
  }),
  defineBatchView<'GRADE_ASSIGNMENT' | 'VIEW_STUDENT_WORK'>({
    ...base,
    name: 'union',
    sources: ['assessment'],
    where: (e): e is EventNamed<'GRADE_ASSIGNMENT' | 'VIEW_STUDENT_WORK'> =>
      e.eventType === 'GRADE_ASSIGNMENT' || e.eventType === 'VIEW_STUDENT_WORK',
    keys: { course_id: key.text((e) => e.data.course_id) },
    metrics: {
      score: sum((e) => fieldOf(e, 'score'), { where: isEvent('GRADE_ASSIGNMENT') }),
      // @ts-expect-error VIEW_STUDENT_WORK has no score: read it with fieldOf (undefined on the others)
      direct: sum((e) => e.data.score),
      // @ts-expect-error no event type of the view declares video_id
      absent: countDistinct((e) => fieldOf(e, 'video_id')),
    },
  }),
  defineSpeedView<'LOGIN'>({
    name: 'typed_speed',
    doc: 'type test',
    sources: ['auth'],
    where: isEvent('LOGIN'),
    window: { size: 60, slide: 60 },
    keys: {},
    metrics: {
      sessions: countDistinct((e) => e.data.session_id),
      // @ts-expect-error a misspelt field
      misspelt: countDistinct((e) => e.data.sesion_id),
    },
  }),
  defineBatchView({
    ...base,
    name: 'any_event',
    sources: ['profile'],
    keys: { user_id: key.text((e) => e.data.user_id) },
    metrics: {
      // @ts-expect-error without event types, only the fields every event has
      email: countDistinct((e) => e.data.email),
    },
  }),
];

describe('typed view declarations', () => {
  it('types event data from the catalogue schemas', () => {
    expectTypeOf<EventNamed<'VIDEO_WATCHED'>['data']['watch_duration_seconds']>().toEqualTypeOf<number>();
    expectTypeOf<EventNamed<'UPDATE_PROFILE'>['data']['old_email']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<EventNamed<'SIGNUP'>['data']['registration_source']>().toEqualTypeOf<
      'web' | 'mobile' | 'admin'
    >();
    expect(declarations().map((view) => view.name)).toHaveLength(7);
  });
});
