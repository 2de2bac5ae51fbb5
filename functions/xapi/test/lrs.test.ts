/**
 * The LRS service with the embedded adapters (local-directory lake, SQLite registry, in-process event sink)
 * and the real StatementMapper: every status code, batches all or nothing, resends idempotent, conflicts,
 * ids in batch order, derived events at the sink, unmapped statements stored and counted, redaction, and a
 * crash between the steps of a flush followed by a resend that completes.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventSink } from '@ula/core/adapters/event-sink';
import { InProcessEventSink } from '@ula/core/adapters/event-sink';
import { LocalDirStore } from '@ula/core/adapters/local-dir';
import type { ObjectStore } from '@ula/core/adapters/object-store';
import { openSqliteViewStore } from '@ula/core/adapters/sqlite';
import type { ViewStore } from '@ula/core/adapters/view-store';
import type { LmsEvent } from '@ula/core/events/envelope';
import { readXapiStatements } from '@ula/core/lake/xapi-statements';
import { hmacPseudonymizer } from '@ula/core/privacy/pseudonym';
import { StatementMapper } from '@ula/core/xapi/mapping';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Lrs, type LrsRequest, type LrsResponse } from '../src/lrs.ts';
import { xapiMetrics } from '../src/metrics.ts';
import { type StatementRegistry, ViewStoreRegistry } from '../src/registry.ts';

const home = 'https://lms.example.edu';
const writer = { key: 'lms', secret: 's3cret', scopes: ['statements/write'] };
const reader = { key: 'dashboard', secret: 'r3ad', scopes: ['statements/read'] };
const basic = (key: string, secret: string) => `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;

/** A login (mapped: LOGIN) of a student with an LMS account. */
const login = (user = 'SV00001', extra: { id?: string; [field: string]: unknown } = {}) => ({
  actor: { objectType: 'Agent', account: { homePage: home, name: user } },
  verb: { id: 'https://w3id.org/xapi/adl/verbs/logged-in', display: { 'en-US': 'logged in' } },
  object: { id: home, objectType: 'Activity' },
  timestamp: '2026-11-02T08:00:00.000Z',
  ...extra,
});

/** A statement no rule maps, with personal data (mbox, names) that must not reach the lake. */
const unmappable = (id = randomUUID()) => ({
  id,
  actor: { objectType: 'Agent', name: 'Ann Example', mbox: 'mailto:ann@example.com' },
  verb: { id: 'http://example.com/verbs/juggled', display: { 'en-US': 'juggled' } },
  object: {
    id: 'http://example.com/activities/balls',
    definition: { type: 'http://example.com/types/toy', name: { en: 'three balls' } },
  },
  timestamp: '2026-11-02T08:05:00Z',
});

interface Fixture {
  lrs: Lrs;
  lake: ObjectStore;
  sent: LmsEvent[];
  views: ViewStore;
  metrics: ReturnType<typeof xapiMetrics>;
}

let dir: string;
let fixtures: Fixture[] = [];

async function fixture(
  options: {
    sink?: (sent: LmsEvent[]) => EventSink;
    lake?: (store: ObjectStore) => ObjectStore;
    registry?: (registry: StatementRegistry) => StatementRegistry;
    open?: boolean;
    pseudonymize?: (userId: string) => string;
  } = {},
): Promise<Fixture> {
  const views = openSqliteViewStore(dir);
  const registry = new ViewStoreRegistry(views);
  await registry.ensureTable();
  const sent: LmsEvent[] = [];
  const baseLake = new LocalDirStore(join(dir, 'lake'));
  const lake = options.lake ? options.lake(baseLake) : baseLake;
  const metrics = xapiMetrics();
  const lrs = new Lrs({
    lake,
    sink:
      options.sink?.(sent) ??
      new InProcessEventSink(async (events) => {
        sent.push(...events);
      }),
    registry: options.registry ? options.registry(registry) : registry,
    mapper: new StatementMapper({ homePage: home, defaultRole: 'student' }),
    metrics,
    credentials: options.open ? undefined : [writer, reader],
    homePage: home,
    pseudonymize: options.pseudonymize,
    groupCommit: { maxRequests: 100, lingerMs: 0, maxAgeMs: 50 },
  });
  const made = { lrs, lake: baseLake, sent, views, metrics };
  fixtures.push(made);
  return made;
}

const request = (method: string, body?: unknown, extra: Partial<LrsRequest> = {}): LrsRequest => ({
  method,
  path: '/xapi/statements',
  query: {},
  headers: {
    'x-experience-api-version': '1.0.3',
    'content-type': 'application/json',
    authorization: basic(writer.key, writer.secret),
    ...extra.headers,
  },
  body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
  ...(extra.path ? { path: extra.path } : {}),
  ...(extra.query ? { query: extra.query } : {}),
});

const post = (f: Fixture, body: unknown, extra: Partial<LrsRequest> = {}) =>
  f.lrs.handle(request('POST', body, extra));

async function counter(f: Fixture, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await f.metrics.registry.getSingleMetric(name)?.get();
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ula-xapi-'));
});

afterEach(async () => {
  for (const f of fixtures) {
    await f.lrs.close();
    await f.views.close();
  }
  fixtures = [];
  await rm(dir, { recursive: true, force: true });
});

describe('POST statements', () => {
  it('stores a mapped statement, sends its events and answers 200 with its id and the xAPI headers', async () => {
    const f = await fixture();
    const id = randomUUID();
    const answer = await post(f, login('SV00001', { id }));
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toEqual([id]);
    expect(answer.headers['x-experience-api-version']).toBe('1.0.3');
    expect(Date.parse(answer.headers['x-experience-api-consistent-through']!)).not.toBeNaN();
    const rows = await readXapiStatements(f.lake);
    expect(rows.map((r) => [r.statement_id, r.rule, r.user_id, r.event_types])).toEqual([
      [id, 'session-login', 'SV00001', 'LOGIN'],
    ]);
    expect(f.sent.map((e) => [e.eventType, e.data.user_id])).toEqual([['LOGIN', 'SV00001']]);
    expect(rows[0]!.event_ids).toBe(f.sent[0]!.id);
    const stored = JSON.parse(rows[0]!.statement);
    expect(stored.authority).toEqual({ objectType: 'Agent', account: { homePage: home, name: 'lms' } });
    expect(stored.version).toBe('1.0.3');
    expect(await counter(f, 'ula_xapi_statements_total', { outcome: 'mapped' })).toBe(1);
  });

  it('ULA_PSEUDONYMIZE=hmac: the statement table holds pseudonyms only, for accounts and mailboxes alike; events leave with the ids as sent (ingest pseudonymises them)', async () => {
    const key = 'an-xapi-test-pseudonym-key-0123456789';
    const f = await fixture({ pseudonymize: hmacPseudonymizer(key) });
    const expected = (id: string) => `p${createHmac('sha256', key).update(id).digest('hex').slice(0, 32)}`;
    const mailbox = unmappable();
    expect((await post(f, [login('SV00009'), mailbox])).statusCode).toBe(200);
    const rows = await readXapiStatements(f.lake);
    const byRule = new Map(rows.map((r) => [r.rule, r]));
    expect(byRule.get('session-login')?.user_id).toBe(expected('SV00009'));
    const mailboxId = `sha1-${createHash('sha1').update('mailto:ann@example.com').digest('hex')}`;
    expect(byRule.get(null)?.user_id).toBe(expected(mailboxId));
    const text = rows.map((r) => r.statement).join('\n');
    expect(text).not.toContain('SV00009');
    expect(text).not.toContain('mbox');
    expect(text).not.toContain(mailboxId.slice(5));
    expect(JSON.parse(byRule.get('session-login')!.statement).actor).toEqual({
      objectType: 'Agent',
      account: { homePage: home, name: expected('SV00009') },
    });
    expect(f.sent.map((e) => e.data.user_id)).toEqual(['SV00009']);
  });

  it('answers a batch with the ids in order, deriving stable ids for statements without one', async () => {
    const f = await fixture();
    const given = randomUUID();
    const batch = [login('SV00002'), login('SV00003', { id: given }), login('SV00004')];
    const first = await post(f, batch);
    expect(first.statusCode).toBe(200);
    const ids = first.body as string[];
    expect(ids).toHaveLength(3);
    expect(ids[1]).toBe(given);
    expect(new Set(ids).size).toBe(3);
    const rows = await readXapiStatements(f.lake);
    expect(rows.map((r) => r.statement_id).sort()).toEqual([...ids].sort());
    // The same id-less statements sent again are the same statements.
    const again = await post(f, batch);
    expect(again.body).toEqual(ids);
  });

  it('stores a resend once (same content: 200, no second lake row, no second event) and counts it duplicate', async () => {
    const f = await fixture();
    const statement = login('SV00005', { id: randomUUID() });
    await post(f, statement);
    const files = await f.lake.list('xapi/');
    // Key order and timestamp notation do not make it another statement.
    const reordered = {
      ...Object.fromEntries(Object.entries(statement).reverse()),
      timestamp: '2026-11-02T15:00:00+07:00',
    };
    const answer = await post(f, reordered);
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toEqual([statement.id]);
    expect(await f.lake.list('xapi/')).toEqual(files);
    expect(f.sent).toHaveLength(1);
    expect(await counter(f, 'ula_xapi_statements_total', { outcome: 'duplicate' })).toBe(1);
  });

  it('answers 409 for a stored id with other content, and stores nothing of that request', async () => {
    const f = await fixture();
    const id = randomUUID();
    await post(f, login('SV00006', { id }));
    const other = randomUUID();
    const answer = await post(f, [
      login('SV00007', { id: other }),
      login('SV00006', { id, timestamp: '2026-11-02T09:00:00Z' }),
    ]);
    expect(answer.statusCode).toBe(409);
    expect(answer.body).toMatchObject({ error: 'conflict' });
    expect(answer.headers['x-experience-api-version']).toBe('1.0.3');
    const rows = await readXapiStatements(f.lake);
    expect(rows.map((r) => r.statement_id)).toEqual([id]);
    expect(await counter(f, 'ula_xapi_statements_total', { outcome: 'conflict' })).toBe(1);
  });

  it('handles one id sent concurrently twice: same content stored once, other content 409', async () => {
    const f = await fixture();
    const id = randomUUID();
    const [a, b, c] = await Promise.all([
      post(f, login('SV00008', { id })),
      post(f, login('SV00008', { id })),
      post(f, login('SV00009', { id })),
    ]);
    expect([a.statusCode, b.statusCode, c.statusCode]).toEqual([200, 200, 409]);
    expect((await readXapiStatements(f.lake)).map((r) => r.statement_id)).toEqual([id]);
    expect(f.sent).toHaveLength(1);
  });

  it('refuses the whole batch when one statement is invalid (400 naming it), storing none', async () => {
    const f = await fixture();
    const broken = { ...login('SV00010'), result: { score: { scaled: 3 } } };
    const answer = await post(f, [login('SV00011'), broken]);
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toMatchObject({ field: 'statements[1].result.score.scaled' });
    expect(await f.lake.list('xapi/')).toEqual([]);
    expect(f.sent).toEqual([]);
    expect(await counter(f, 'ula_xapi_statements_total', { outcome: 'invalid' })).toBe(1);
  });

  it('stores unmapped statements redacted (no mbox, no names) and counts them by verb and activity type', async () => {
    const f = await fixture();
    const statement = unmappable();
    expect((await post(f, statement)).statusCode).toBe(200);
    const rows = await readXapiStatements(f.lake);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      rule: null,
      verb: statement.verb.id,
      activity_type: 'http://example.com/types/toy',
    });
    expect(rows[0]!.user_id).toMatch(/^sha1-[0-9a-f]{40}$/);
    expect(f.sent).toEqual([]);
    // Every column as read back, the stored statement included: no address, no name.
    const text = JSON.stringify(rows);
    expect(text).toContain('juggled');
    expect(text).not.toContain('@');
    expect(text).not.toContain('Ann Example');
    expect(JSON.parse(rows[0]!.statement).actor).toEqual({
      objectType: 'Agent',
      mbox_sha1sum: expect.any(String),
    });
    expect(
      await counter(f, 'ula_xapi_unmapped_total', {
        verb: statement.verb.id,
        activity_type: 'http://example.com/types/toy',
      }),
    ).toBe(1);
  });

  it('refuses statementId on POST, bodies that are not JSON and empty bodies (400)', async () => {
    const f = await fixture();
    expect((await post(f, login(), { query: { statementId: randomUUID() } })).statusCode).toBe(400);
    const notJson = { ...request('POST'), body: Buffer.from('{"actor":') };
    expect(await f.lrs.handle(notJson)).toMatchObject({ statusCode: 400, body: { field: 'body' } });
    expect((await f.lrs.handle(request('POST'))).statusCode).toBe(400);
  });
});

describe('PUT statements', () => {
  it('stores under statementId (204), and refuses a missing or mismatching id', async () => {
    const f = await fixture();
    const id = randomUUID();
    const answer = await f.lrs.handle(request('PUT', login('SV00020'), { query: { statementId: id } }));
    expect(answer.statusCode).toBe(204);
    expect(answer.body).toBeUndefined();
    expect((await readXapiStatements(f.lake)).map((r) => r.statement_id)).toEqual([id]);
    expect((await f.lrs.handle(request('PUT', login('SV00021')))).statusCode).toBe(400);
    const mismatch = await f.lrs.handle(
      request('PUT', login('SV00022', { id: randomUUID() }), { query: { statementId: randomUUID() } }),
    );
    expect(mismatch).toMatchObject({ statusCode: 400, body: { field: 'statement.id' } });
    // The same PUT again: idempotent.
    expect(
      (await f.lrs.handle(request('PUT', login('SV00020'), { query: { statementId: id } }))).statusCode,
    ).toBe(204);
  });
});

describe('authentication, versions, paths and methods', () => {
  it('401 without or with wrong credentials (WWW-Authenticate), 403 without the statements/write scope', async () => {
    const f = await fixture();
    const none = await post(f, login(), { headers: { authorization: undefined } });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic /);
    expect((await post(f, login(), { headers: { authorization: basic('lms', 'wrong') } })).statusCode).toBe(
      401,
    );
    expect(
      (await post(f, login(), { headers: { authorization: basic(reader.key, reader.secret) } })).statusCode,
    ).toBe(403);
    expect(await f.lake.list('xapi/')).toEqual([]);
  });

  it('needs the version header (400 without, 400 for 1.1.0) and answers 2.0 requests as 2.0.0', async () => {
    const f = await fixture();
    const missing = await post(f, login(), { headers: { 'x-experience-api-version': undefined } });
    expect(missing).toMatchObject({ statusCode: 400, body: { field: 'X-Experience-API-Version' } });
    expect((await post(f, login(), { headers: { 'x-experience-api-version': '1.1.0' } })).statusCode).toBe(
      400,
    );
    const v2 = await post(f, login('SV00030'), { headers: { 'x-experience-api-version': '2.0.0' } });
    expect(v2.statusCode).toBe(200);
    expect(v2.headers['x-experience-api-version']).toBe('2.0.0');
  });

  it('serves GET <base>/about without credentials, 405 for other methods, 404 for other paths', async () => {
    const f = await fixture();
    const about = await f.lrs.handle({
      method: 'GET',
      path: '/xapi/about',
      query: {},
      headers: {},
      body: undefined,
    });
    expect(about).toMatchObject({ statusCode: 200, body: { version: ['1.0.3', '2.0.0'] } });
    expect(about.headers['x-experience-api-version']).toBe('1.0.3');
    expect((await f.lrs.handle(request('GET'))).statusCode).toBe(405);
    expect((await f.lrs.handle(request('DELETE'))).statusCode).toBe(405);
    expect(
      (await f.lrs.handle(request('POST', login(), { path: '/xapi/activities/state' }))).statusCode,
    ).toBe(404);
  });

  it('stores without credentials when none are configured (ULA_XAPI_AUTH=none)', async () => {
    const f = await fixture({ open: true });
    expect((await post(f, login('SV00040'), { headers: { authorization: undefined } })).statusCode).toBe(200);
  });
});

describe('failures: 503, nothing acknowledged, a resend completes', () => {
  const failing = <T extends object>(target: T, method: keyof T, times: { n: number }): T =>
    new Proxy(target, {
      get(t, p, r) {
        const value = Reflect.get(t, p, r);
        if (p !== method || typeof value !== 'function')
          return typeof value === 'function' ? value.bind(t) : value;
        return (...args: unknown[]) => {
          if (times.n > 0) {
            times.n -= 1;
            return Promise.reject(new Error(`${String(p)} failed`));
          }
          return value.apply(t, args);
        };
      },
    });

  it('lake down: 503, nothing sent or registered; the resend stores it', async () => {
    const times = { n: 1 };
    const f = await fixture({ lake: (lake) => failing(lake, 'put', times) });
    const statement = login('SV00050', { id: randomUUID() });
    const answer = await post(f, statement);
    expect(answer).toMatchObject({ statusCode: 503, body: { error: 'unavailable' } });
    expect(f.sent).toEqual([]);
    expect((await post(f, statement)).statusCode).toBe(200);
    expect((await readXapiStatements(f.lake)).map((r) => r.statement_id)).toEqual([statement.id]);
    expect(f.sent).toHaveLength(1);
  });

  it('sink down after the lake write: 503; the resend overwrites the same file and sends the same event ids', async () => {
    const times = { n: 1 };
    const f = await fixture({
      sink: (sent) =>
        failing(
          new InProcessEventSink(async (events) => {
            sent.push(...events);
          }),
          'send',
          times,
        ),
    });
    const statement = login('SV00051', { id: randomUUID() });
    expect((await post(f, statement)).statusCode).toBe(503);
    const files = await f.lake.list('xapi/');
    expect(files).toHaveLength(1);
    expect((await post(f, statement)).statusCode).toBe(200);
    const after = await f.lake.list('xapi/');
    expect(after.map((o) => o.key)).toEqual(files.map((o) => o.key));
    expect(f.sent).toHaveLength(1);
  });

  it('registry write fails after the sink: 503; the resend re-sends the same event ids (downstream dedups them)', async () => {
    const times = { n: 1 };
    const f = await fixture({ registry: (registry) => failing(registry, 'record', times) });
    const statement = login('SV00052', { id: randomUUID() });
    expect((await post(f, statement)).statusCode).toBe(503);
    expect((await post(f, statement)).statusCode).toBe(200);
    expect(f.sent).toHaveLength(2);
    expect(f.sent[1]!.id).toBe(f.sent[0]!.id);
    // Now registered: a third send is a duplicate, nothing sent.
    expect((await post(f, statement)).statusCode).toBe(200);
    expect(f.sent).toHaveLength(2);
  });

  it('shutting down: 503', async () => {
    const f = await fixture();
    await f.lrs.close();
    expect((await post(f, login('SV00053'))).statusCode).toBe(503);
  });
});

describe('request errors from the runtime', () => {
  it('answers a body over the limit 413 in the xAPI form', async () => {
    const f = await fixture();
    const answer: LrsResponse = f.lrs.handleRequestError(request('POST'), {
      statusCode: 413,
      message: 'Request body is too large',
    });
    expect(answer).toMatchObject({ statusCode: 413, body: { error: 'too_large' } });
    expect(answer.headers['x-experience-api-version']).toBe('1.0.3');
  });
});
