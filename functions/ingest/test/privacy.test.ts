/**
 * What ingest keeps of personal data (docs/privacy.md), on the local-directory lake: by default no personal
 * field reaches the raw lake or the dead letters; `ULA_PII=store` keeps them in the restricted
 * personal/profile/ table only; `ULA_PSEUDONYMIZE=hmac` replaces every user id of the lake by its keyed
 * HMAC, and the restricted table maps it back to the id as sent.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDirStore } from '@ula/core/adapters/local-dir';
import type { LmsEvent } from '@ula/core/events/envelope';
import { readPersonalData } from '@ula/core/lake/personal-data';
import { readRawEvents } from '@ula/core/lake/raw-lake';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ingest } from '../src/ingest.ts';
import { ingestMetrics } from '../src/metrics.ts';
import { loadIngestSettings } from '../src/settings.ts';
import { binaryRequest, structuredRequest } from './events.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ula-ingest-privacy-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const time = '2026-11-02T03:04:05.678Z';
const personalValues = {
  email: 'an.nguyen@student.example.edu',
  full_name: 'Nguyễn Văn An',
  date_of_birth: '2004-05-02',
  gender: 'male',
  phone_number: '+84 912 345 678',
};
const profile = (user: string): LmsEvent => ({
  id: randomUUID(),
  category: 'profile',
  eventType: 'CREATE_PROFILE',
  time,
  data: { user_id: user, role: 'student', ...personalValues, major: 'Physics', enrollment_year: 2022 },
});
const signup = (user: string): LmsEvent => ({
  id: randomUUID(),
  category: 'auth',
  eventType: 'SIGNUP',
  time,
  data: { user_id: user, role: 'student', email: personalValues.email, registration_source: 'web' },
});
const grade = (teacher: string, student: string): LmsEvent => ({
  id: randomUUID(),
  category: 'assessment',
  eventType: 'GRADE_ASSIGNMENT',
  time,
  data: {
    user_id: teacher,
    role: 'teacher',
    student_id: student,
    assignment_id: 'A1',
    course_id: 'C1',
    score: 8,
    max_score: 10,
  },
});

async function ingestAll(env: NodeJS.ProcessEnv, events: LmsEvent[], lake: string) {
  const store = new LocalDirStore(join(dir, lake));
  const ingest = new Ingest(
    store,
    loadIngestSettings({ ULA_INGEST_LINGER_MS: '0', ...env }),
    ingestMetrics(),
  );
  const answers = await Promise.all(
    events.map((e, i) => {
      const r = i % 2 ? binaryRequest(e) : structuredRequest(e);
      return ingest.handle({ method: 'POST', headers: r.headers, body: r.body });
    }),
  );
  await ingest.close();
  return { store, answers };
}

async function lakeText(store: LocalDirStore, prefix: string): Promise<string> {
  const files = await store.list(prefix);
  return (await Promise.all(files.map((f) => readFile(join(store.root, f.key), 'latin1')))).join('\n');
}

describe('ingest keeps personal data out of the lake', () => {
  it('by default (ULA_PII unset): no personal field in the raw files, no restricted table', async () => {
    const events = [profile('SV00001'), signup('SV00001')];
    const { store, answers } = await ingestAll({}, events, 'drop');
    expect(answers).toEqual([undefined, undefined]);
    const raw = (
      await Promise.all((await store.list('raw/')).map((f) => readRawEvents(store, f.key)))
    ).flat();
    expect(raw.map((e) => e.eventType).sort()).toEqual(['CREATE_PROFILE', 'SIGNUP']);
    for (const e of raw)
      for (const field of Object.keys(personalValues)) expect(e.data).not.toHaveProperty(field);
    // The fields no view reads as personal stay.
    expect(raw.find((e) => e.eventType === 'CREATE_PROFILE')?.data).toMatchObject({ major: 'Physics' });
    expect(await store.list('personal/')).toEqual([]);
    // Not even in the bytes (names are UTF-8; the e-mail is ASCII).
    const bytes = await lakeText(store, '');
    expect(bytes).not.toContain(personalValues.email);
    expect(bytes).not.toContain('912 345');
  });

  it('a rejected profile event leaves its reason, not its personal values, in the dead letters', async () => {
    const bad = profile('SV00002');
    (bad.data as Record<string, unknown>)['enrollment_year'] = 'last year';
    const { store, answers } = await ingestAll({}, [bad], 'dead');
    expect(answers[0]?.statusCode).toBe(422);
    const text = await lakeText(store, 'dead-letter/');
    expect(text).toContain('enrollment_year');
    expect(text).toContain('[personal data removed]');
    expect(text).not.toContain(personalValues.email);
    expect(text).not.toContain('912 345');
  });

  it('ULA_PII=store: the personal fields are in personal/profile/ only, keyed by user id', async () => {
    const events = [profile('SV00003'), signup('SV00003'), grade('GV001', 'SV00003')];
    const { store } = await ingestAll({ ULA_PII: 'store' }, events, 'store');
    const rows = await readPersonalData(store);
    expect(rows.map((r) => [r.user_id, r.original_user_id, r.event_type]).sort()).toEqual([
      ['SV00003', null, 'CREATE_PROFILE'],
      ['SV00003', null, 'SIGNUP'],
    ]);
    expect(JSON.parse(rows.find((r) => r.event_type === 'CREATE_PROFILE')!.fields)).toEqual(personalValues);
    expect((await store.list('personal/'))[0]?.key).toMatch(
      /^personal\/profile\/date=2026-11-02\/hour=03\/[0-9a-f]{32}\.parquet$/,
    );
    expect(await lakeText(store, 'raw/')).not.toContain(personalValues.email);
  });

  it('ULA_PSEUDONYMIZE=hmac: user ids of every user-id field are keyed HMACs in the lake; the restricted table maps back', async () => {
    const key = 'a-test-key-of-more-than-thirty-two-characters';
    const expected = (id: string) => `p${createHmac('sha256', key).update(id).digest('hex').slice(0, 32)}`;
    const events = [profile('SV00004'), grade('GV002', 'SV00004')];
    const { store } = await ingestAll(
      { ULA_PII: 'store', ULA_PSEUDONYMIZE: 'hmac', ULA_PSEUDONYM_KEY: key },
      events,
      'hmac',
    );
    const raw = (
      await Promise.all((await store.list('raw/')).map((f) => readRawEvents(store, f.key)))
    ).flat();
    const graded = raw.find((e) => e.eventType === 'GRADE_ASSIGNMENT')!;
    expect(graded.data.user_id).toBe(expected('GV002'));
    expect(graded.data['student_id']).toBe(expected('SV00004'));
    expect(raw.find((e) => e.eventType === 'CREATE_PROFILE')!.data.user_id).toBe(expected('SV00004'));
    expect(await lakeText(store, 'raw/')).not.toContain('SV00004');
    const [row] = await readPersonalData(store);
    expect([row?.user_id, row?.original_user_id]).toEqual([expected('SV00004'), 'SV00004']);
  });

  it('ULA_PSEUDONYMIZE=hmac without a long enough key refuses to start, naming the variable', () => {
    expect(() => loadIngestSettings({ ULA_PSEUDONYMIZE: 'hmac', ULA_PSEUDONYM_KEY: 'short' })).toThrow(
      /ULA_PSEUDONYM_KEY/,
    );
  });
});
