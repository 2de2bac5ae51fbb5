// biome-ignore-all lint/suspicious/noExplicitAny: tests read untyped JSON answers
/**
 * Resolving ids to people (`GET /api/v1/privacy/users/{id}`): the personal fields ingest wrote to the
 * restricted table (ULA_PII=store, ids pseudonymised), only for a token with the `privacy` scope; a read token
 * gets 403, and without the restricted table there is nothing to resolve (404). Ingest writes the table here
 * (the real writer), the route reads it back.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allTables, localCalendar, openViewStore, type ViewStore } from '@ula/core';
import { LocalDirStore } from '@ula/core/adapters/local-dir';
import { toHttpBinary } from '@ula/core/events/cloudevents';
import type { LmsEvent } from '@ula/core/events/envelope';
import { PersonalDirectory } from '@ula/core/privacy/directory';
import { ServingReader } from '@ula/core/serving/reader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ingest } from '../../ingest/src/ingest.ts';
import { ingestMetrics } from '../../ingest/src/metrics.ts';
import { loadIngestSettings } from '../../ingest/src/settings.ts';
import { type App, createApp } from '../src/app.ts';
import { loadServingSettings } from '../src/settings.ts';

const key = 'a-pseudonym-key-for-this-test-only-0123456789';
const pseudonym = (id: string) => `p${createHmac('sha256', key).update(id).digest('hex').slice(0, 32)}`;
const readToken = 'read-token-for-the-test-0001';
const privacyToken = 'privacy-token-for-the-test-1';

const at = (minute: number) => `2026-11-02T03:${String(minute).padStart(2, '0')}:00.000Z`;
const event = (eventType: string, category: LmsEvent['category'], time: string, data: object): LmsEvent => ({
  id: randomUUID(),
  category,
  eventType,
  time,
  data: { user_id: 'SV00042', role: 'student', ...data } as LmsEvent['data'],
});

describe('the privacy route', () => {
  let dir: string;
  let store: ViewStore;
  const apps = new Map<string, App>();

  const get = async (app: App, path: string, token: string) => {
    const res = await app.handle({
      method: 'GET',
      path,
      query: {},
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: res.statusCode, json: JSON.parse(res.body) as any };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ula-privacy-route-'));
    const lake = new LocalDirStore(join(dir, 'lake'));
    const ingest = new Ingest(
      lake,
      loadIngestSettings({
        ULA_INGEST_LINGER_MS: '0',
        ULA_PII: 'store',
        ULA_PSEUDONYMIZE: 'hmac',
        ULA_PSEUDONYM_KEY: key,
      }),
      ingestMetrics(),
    );
    const events = [
      event('SIGNUP', 'auth', at(1), { email: 'old@student.example.edu', registration_source: 'web' }),
      event('CREATE_PROFILE', 'profile', at(2), {
        email: 'old@student.example.edu',
        full_name: 'Trần Thị Bích',
        date_of_birth: '2003-09-30',
        gender: 'female',
        phone_number: '+84 90 000 0000',
        major: 'Law',
        enrollment_year: 2021,
      }),
      event('UPDATE_PROFILE', 'profile', at(3), {
        updated_fields: ['email'],
        old_email: 'old@student.example.edu',
        new_email: 'new@student.example.edu',
      }),
    ];
    for (const e of events) {
      const m = toHttpBinary(e);
      expect(
        await ingest.handle({
          method: 'POST',
          headers: m.headers as Record<string, string>,
          body: String(m.body),
        }),
      ).toBeUndefined();
    }
    await ingest.close();

    store = openViewStore({ cassandra: undefined, dataDir: dir });
    await store.ensureTables(allTables);
    for (const pii of ['store', 'drop']) {
      const settings = loadServingSettings({
        ULA_DATA_DIR: dir,
        ULA_PII: pii,
        ULA_API_TOKENS: `dashboard:${readToken}:read, dpo:${privacyToken}:privacy`,
      });
      const reader = new ServingReader(store, {
        calendar: localCalendar('Asia/Ho_Chi_Minh'),
        thresholds: settings.thresholds,
        batchTtlMs: 0,
      });
      apps.set(
        pii,
        createApp({
          reader,
          corsOrigins: [],
          cacheMs: 0,
          tokens: settings.apiTokens,
          ...(settings.pii === 'store' ? { personal: new PersonalDirectory(lake) } : {}),
        }),
      );
    }
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a privacy token resolves a pseudonym (and the id as sent) to the newest personal fields', async () => {
    const app = apps.get('store')!;
    const want = {
      user_id: pseudonym('SV00042'),
      original_user_id: 'SV00042',
      fields: {
        email: 'new@student.example.edu',
        full_name: 'Trần Thị Bích',
        date_of_birth: '2003-09-30',
        gender: 'female',
        phone_number: '+84 90 000 0000',
      },
      updated_at: at(3),
    };
    expect(await get(app, `/api/v1/privacy/users/${pseudonym('SV00042')}`, privacyToken)).toEqual({
      status: 200,
      json: want,
    });
    expect((await get(app, '/api/v1/privacy/users/SV00042', privacyToken)).json).toEqual(want);
    expect((await get(app, '/api/v1/privacy/users/SV99999', privacyToken)).status).toBe(404);
  });

  it('a read token is refused (403); without the restricted table nothing resolves (404)', async () => {
    const res = await get(apps.get('store')!, `/api/v1/privacy/users/${pseudonym('SV00042')}`, readToken);
    expect(res.status).toBe(403);
    expect(JSON.stringify(res.json)).not.toContain('student.example.edu');
    const off = await get(apps.get('drop')!, `/api/v1/privacy/users/${pseudonym('SV00042')}`, privacyToken);
    expect(off.status).toBe(404);
    expect(off.json.message).toMatch(/ULA_PII=drop/);
  });
});
