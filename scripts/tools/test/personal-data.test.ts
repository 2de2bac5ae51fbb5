/**
 * No view reads a personal field: a simulated university's events with every personal field removed (what
 * ingest writes to the lake by default) and with user ids pseudonymised give the same rows in every stored
 * batch view (the real batch job on a local-dir lake and SQLite) and every speed view as the events as sent
 * (ids mapped through the same pseudonymizer, computed by the test, not the code under test).
 */
import type { LmsEvent } from '@ula/core/events/envelope';
import { protectEvent } from '@ula/core/privacy/personal';
import { hmacPseudonymizer } from '@ula/core/privacy/pseudonym';
import type { Row, Value } from '@ula/core/views/columns';
import { localCalendar } from '@ula/core/views/time';
import { beforeAll, describe, expect, it } from 'vitest';
import { storedViews } from '../../../functions/core/test/batch-scenario.ts';
import { computeViews, sortRows } from '../../../functions/core/test/batch-support.ts';
import { createUniversity, simulate } from '../src/generator/index.ts';

const context = { calendar: localCalendar('Asia/Ho_Chi_Minh') };
const end = Date.parse('2026-03-05T00:00:00+07:00');
const start = end - 3 * 86_400_000;
const range = { from: context.calendar.date(start), to: context.calendar.date(end - 1) };

/** The personal values the generator put in the events (read independently of the catalogue's marks). */
const personalKeys = [
  'email',
  'full_name',
  'date_of_birth',
  'gender',
  'phone_number',
  'old_email',
  'new_email',
  'old_phone',
  'new_phone',
  'picture_url',
];

let sent: LmsEvent[] = [];
beforeAll(() => {
  const university = createUniversity({ students: 150, teachers: 8, courses: 16, seed: 'personal-data' });
  // A fresh signup and profile per user happen on their first day: simulate from the university's start.
  sent = [...simulate(university, { start, end })];
});

describe('personal fields and user ids', () => {
  it('the simulated events carry personal data to remove (the test is not vacuous)', () => {
    const types = new Set(sent.filter((e) => personalKeys.some((k) => k in e.data)).map((e) => e.eventType));
    expect([...types].sort()).toEqual(expect.arrayContaining(['CREATE_PROFILE', 'SIGNUP']));
  });

  it('what the lake keeps holds no personal value', () => {
    const values = new Set<string>();
    for (const e of sent)
      for (const k of personalKeys) if (typeof e.data[k] === 'string') values.add(e.data[k] as string);
    expect(values.size).toBeGreaterThan(100);
    const kept = JSON.stringify(
      sent.map((e) => protectEvent(e, { pii: 'drop', pseudonymize: undefined }).event),
    );
    const leaked = [...values].filter((v) => v.length > 6 && kept.includes(JSON.stringify(v)));
    expect(leaked.slice(0, 5)).toEqual([]);
  });

  it('every stored batch view is the same without personal fields, and with pseudonyms the same up to the id mapping', async () => {
    const pseudonymize = hmacPseudonymizer('k'.repeat(40));
    const withoutPersonal = sent.map((e) => protectEvent(e, { pii: 'drop', pseudonymize: undefined }).event);
    const pseudonymised = sent.map((e) => protectEvent(e, { pii: 'drop', pseudonymize }).event);
    const want = await computeViews('all', sent, storedViews, range);
    const got = await computeViews('all', withoutPersonal, storedViews, range);
    const gotPseudonymised = await computeViews('all', pseudonymised, storedViews, range);
    // The ids every user-id field of the sent events holds, and their pseudonyms (computed here).
    const userIds = new Set<string>();
    for (const e of sent) {
      userIds.add(e.data.user_id);
      const student = e.data['student_id'];
      if (typeof student === 'string') userIds.add(student);
    }
    // Ids also appear inside ranking keys (`score|student|course`): rename every `|`-separated part.
    const renamed = (value: Value): Value =>
      typeof value === 'string'
        ? value
            .split('|')
            .map((part) => (userIds.has(part) ? pseudonymize(part) : part))
            .join('|')
        : value;
    // `bucket` is the listing partition, derived from the id's first character: storage, not analytics.
    const withoutBucket = (rows: readonly Row[]): Row[] => rows.map(({ bucket: _bucket, ...rest }) => rest);
    const nonEmpty = storedViews.filter((view) => (want[view]?.length ?? 0) > 0);
    expect(nonEmpty.length).toBeGreaterThan(storedViews.length / 2);
    for (const view of storedViews) {
      expect(sortRows(got[view] ?? []), view).toEqual(sortRows(want[view] ?? []));
      const mapped = (want[view] ?? []).map((row) =>
        Object.fromEntries(Object.entries(row).map(([k, v]) => [k, renamed(v)])),
      );
      expect(sortRows(withoutBucket(gotPseudonymised[view] ?? [])), `${view} (pseudonymised)`).toEqual(
        sortRows(withoutBucket(mapped)),
      );
    }
  }, 180_000);
});
