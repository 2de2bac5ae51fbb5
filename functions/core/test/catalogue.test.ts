import { describe, expect, it } from 'vitest';
import {
  categories,
  EventValidationError,
  eventCatalogue,
  eventsByCategory,
  fromKafkaRecord,
  toKafkaRecord,
  validateEvent,
} from '../src/index.ts';

const loginData = { user_id: 'SV00001', role: 'student', session_id: '0192f3a4-5b6c-7d8e-9f01-23456789abcd' };
const login = {
  specversion: '1.0',
  id: '0192f3a4-5b6c-7d8e-9f01-23456789abce',
  type: 'edu.lms.auth.login',
  source: '/lms/auth',
  subject: 'SV00001',
  time: '2026-11-01T02:03:04.005Z',
  datacontenttype: 'application/json',
  data: loginData,
};

describe('event catalogue', () => {
  it('declares the 26 event types of the 6 reference categories', () => {
    expect(categories).toHaveLength(6);
    expect(eventCatalogue).toHaveLength(26);
    expect(Object.keys(eventsByCategory.assessment)).toHaveLength(8);
    expect(new Set(eventCatalogue.map((d) => d.cloudEventType)).size).toBe(26);
  });

  it('validates a good event and keeps unknown data fields', () => {
    const event = validateEvent({ ...login, data: { ...loginData, device: 'ios' } });
    expect(event).toMatchObject({ category: 'auth', eventType: 'LOGIN', time: '2026-11-01T02:03:04.005Z' });
    expect(event.data['device']).toBe('ios');
  });

  it('normalises offsets to UTC milliseconds', () => {
    expect(validateEvent({ ...login, time: '2026-11-01T09:03:04+07:00' }).time).toBe(
      '2026-11-01T02:03:04.000Z',
    );
  });

  it.each([
    [{ ...login, type: 'edu.lms.auth.teleport' }, 'unknown_type', 'type'],
    [{ ...login, id: 'not-a-uuid' }, 'invalid_attribute', 'id'],
    [{ ...login, source: '/lms/video' }, 'invalid_attribute', 'source'],
    [{ ...login, time: '2026-11-01 02:03:04' }, 'invalid_attribute', 'time'],
    [{ ...login, subject: 'SV00002' }, 'invalid_attribute', 'subject'],
    [{ ...login, data: '{"user_id":' }, 'invalid_json', 'data'],
    [{ ...login, data: { ...loginData, session_id: 7 } }, 'invalid_data', 'data.session_id'],
    [{ ...login, data: { user_id: 'SV00001', role: 'student' } }, 'invalid_data', 'data.session_id'],
    [{ ...login, data: { ...loginData, role: 'admin' } }, 'invalid_data', 'data.role'],
  ])('rejects %# with a reason naming the field', (input, reason, field) => {
    const error = (() => {
      try {
        validateEvent(input);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(EventValidationError);
    expect(error).toMatchObject({ reason, field });
  });

  it('rejects a teacher-only event sent by a student', () => {
    expect(() =>
      validateEvent({
        ...login,
        type: 'edu.lms.assessment.grade_assignment',
        source: '/lms/assessment',
        data: {
          ...loginData,
          student_id: 'SV2',
          assignment_id: 'A1',
          course_id: 'C1',
          score: 5,
          max_score: 10,
        },
      }),
    ).toThrow(/data.role/);
  });

  it('round-trips through a Kafka binary-mode record keyed by user id', () => {
    const event = validateEvent(login);
    const record = toKafkaRecord(event);
    expect(record).toMatchObject({ topic: 'auth_topic', key: 'SV00001' });
    expect(record.headers['ce_type']).toBe('edu.lms.auth.login');
    expect(fromKafkaRecord(record)).toEqual(event);
  });
});
