import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventCatalogue } from '@ula/core/events/catalogue';
import { personalFieldsOf, userIdFieldsOf } from '@ula/core/events/define';
import type { LmsEvent } from '@ula/core/events/envelope';
import { protectEvent, redactPersonalText } from '@ula/core/privacy/personal';
import { hmacPseudonymizer, userIdPseudonymizer } from '@ula/core/privacy/pseudonym';
import { describe, expect, it } from 'vitest';

const docs = readFileSync(join(import.meta.dirname, '../../../../docs/events.md'), 'utf8');

const event = (
  eventType: string,
  category: LmsEvent['category'],
  data: Record<string, unknown>,
): LmsEvent => ({
  id: '0192f3a4-5b6c-7d8e-9f01-23456789abcd',
  category,
  eventType,
  time: '2026-11-02T03:04:05.678Z',
  data: { user_id: 'SV00001', role: 'student', ...data },
});

describe('the catalogue marks personal fields', () => {
  it('docs/events.md "Personal fields" lists exactly the marked fields', () => {
    const section = docs.split('### Personal fields')[1]?.split('\n\n')[2] ?? '';
    const documented = new Map(
      section
        .split('\n')
        .slice(2)
        .map((line) => line.split('|').map((c) => c.trim()))
        .map(([, type, fields]) => [type!, [...(fields ?? '').matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!)]),
    );
    const marked = new Map(
      eventCatalogue.map((d) => [d.eventType, personalFieldsOf(d)] as const).filter(([, f]) => f.length > 0),
    );
    expect(marked.size).toBe(4);
    expect(documented).toEqual(marked);
  });

  it('user-id fields are user_id everywhere and student_id where a teacher acts on a student', () => {
    const withStudent = eventCatalogue.filter((d) => userIdFieldsOf(d).includes('student_id'));
    expect(withStudent.map((d) => d.eventType).sort()).toEqual([
      'ASSIGNMENT_REOPENED',
      'GRADE_ASSIGNMENT',
      'VIEW_STUDENT_WORK',
    ]);
    for (const d of eventCatalogue) expect(userIdFieldsOf(d)).toContain('user_id');
  });
});

describe('protectEvent', () => {
  const profile = event('CREATE_PROFILE', 'profile', {
    email: 'a@b.edu',
    full_name: 'A B',
    date_of_birth: '2004-01-02',
    gender: 'female',
    phone_number: '+84 1',
    major: 'Maths',
    enrollment_year: 2023,
    nickname_email: 'x@y.z',
  });

  it('splits the personal fields (declared, and undeclared ones named as such) from what is kept', () => {
    const { event: kept, personal } = protectEvent(profile, { pii: 'store', pseudonymize: undefined });
    expect(kept.data).toEqual({ user_id: 'SV00001', role: 'student', major: 'Maths', enrollment_year: 2023 });
    expect(personal?.fields).toEqual({
      email: 'a@b.edu',
      full_name: 'A B',
      date_of_birth: '2004-01-02',
      gender: 'female',
      phone_number: '+84 1',
      nickname_email: 'x@y.z',
    });
    expect(personal?.originalUserId).toBeNull();
    expect(profile.data['email']).toBe('a@b.edu'); // the input is not changed
  });

  it('returns the same event when there is nothing to remove or rename', () => {
    const login = event('LOGIN', 'auth', { session_id: '0192f3a4-5b6c-7d8e-9f01-23456789abcd' });
    expect(protectEvent(login, { pii: 'drop', pseudonymize: undefined })).toEqual({
      event: login,
      personal: undefined,
    });
    expect(protectEvent(login, { pii: 'drop', pseudonymize: undefined }).event).toBe(login);
  });

  it('pseudonymises every user-id field once: a second pass (a resent event) changes nothing', () => {
    const pseudonymize = hmacPseudonymizer('0123456789abcdef0123456789abcdef');
    const grade = event('GRADE_ASSIGNMENT', 'assessment', {
      role: 'teacher',
      user_id: 'GV001',
      student_id: 'SV00001',
      assignment_id: 'A1',
      course_id: 'C1',
      score: 1,
      max_score: 2,
    });
    const once = protectEvent(grade, { pii: 'drop', pseudonymize }).event;
    expect(once.data.user_id).toMatch(/^p[0-9a-f]{32}$/);
    expect(once.data['student_id']).toMatch(/^p[0-9a-f]{32}$/);
    expect(once.data['student_id']).not.toBe(once.data.user_id);
    expect(once.data['assignment_id']).toBe('A1');
    expect(protectEvent(once, { pii: 'drop', pseudonymize }).event).toEqual(once);
    // Another key, another pseudonym: without the key a pseudonym cannot be recomputed from an id.
    const other = protectEvent(grade, { pii: 'drop', pseudonymize: hmacPseudonymizer('f'.repeat(32)) }).event;
    expect(other.data.user_id).not.toBe(once.data.user_id);
  });

  it('the pseudonymizer is off unless asked for, and refuses a short key', () => {
    expect(userIdPseudonymizer({})).toBeUndefined();
    expect(() => userIdPseudonymizer({ ULA_PSEUDONYMIZE: 'hmac' })).toThrow(/ULA_PSEUDONYM_KEY/);
    expect(
      userIdPseudonymizer({ ULA_PSEUDONYMIZE: 'hmac', ULA_PSEUDONYM_KEY: 'k'.repeat(32) })?.('SV1'),
    ).toMatch(/^p[0-9a-f]{32}$/);
  });
});

describe('redactPersonalText (dead letters)', () => {
  it('replaces personal values at any depth and keeps the rest byte for byte when there are none', () => {
    const body = JSON.stringify({
      specversion: '1.0',
      data: { user_id: 'SV1', email: 'a@b.c', n: [{ phone: '1' }] },
    });
    const redacted = JSON.parse(redactPersonalText(body));
    expect(redacted.data).toEqual({
      user_id: 'SV1',
      email: '[personal data removed]',
      n: [{ phone: '[personal data removed]' }],
    });
    expect(redactPersonalText('{"a": 1}')).toBe('{"a": 1}');
    expect(redactPersonalText('not json at all')).toBe('not json at all');
  });

  it('in text that does not parse (a truncated event) removes personal-named values and e-mail addresses', () => {
    const truncated =
      '{"data":{"user_id":"SV1","full_name":"Nguyễn \\"An\\"","email":"an@example.edu","major":"Law","phone_number":"+84 9';
    const redacted = redactPersonalText(truncated);
    expect(redacted).toContain('"user_id":"SV1"');
    expect(redacted).toContain('"major":"Law"');
    expect(redacted).not.toMatch(/Nguyễn|an@example|\+84/);
    expect(redactPersonalText('contact a.b-c@uni.example.edu now')).toBe(
      'contact [personal data removed] now',
    );
  });
});
