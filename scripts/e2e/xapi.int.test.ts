/**
 * The xapi function end to end on the real local stack, wired as in production:
 *   LMS (this test) → POST/PUT <base>/statements, HTTP Basic → xapi (its bundle under faas-js-runtime, Kafka
 *   event sink) → S3 lake table xapi/statements/ + the category topics → dispatcher (the KafkaSource
 *   stand-in) → ingest + speed → S3 raw lake + Cassandra → serving API, Trino.
 * One mixed load: mapped statements of several rules (enrolment, drop, login, course access, a Video Profile
 * session), unmapped ones, duplicate ids (resent with the same content: stored once; other content: 409;
 * repeated inside one batch: 400), an invalid
 * statement in a batch (400 naming its path, the whole batch refused), credentials missing or without the
 * write scope. Then: the mapped statements' events in the views (API, Cassandra) and the raw lake (Trino),
 * every accepted statement exactly once in lake.raw.xapi_statements, the unmapped ones counted in the
 * unmapped view, no e-mail address and no name in the stored statements. Every expected number is computed
 * here from the statements this test built, never from the code under test.
 * Isolation: its own bucket, keyspace, Trino schemas over that bucket, consumer groups at the topics' ends.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRawTables, trinoClient, trinoQuery } from '../../functions/core/src/lake/trino-tables.ts';
import {
  buildFunction,
  type RunningFunction,
  startFunction,
} from '../../functions/speed/test/function-process.ts';
import { stackTrinoAccess } from '../stack/trino-credentials.ts';
import {
  cassandraClient,
  consumerGroupsAtEnd,
  dispatchToFunctions,
  resetStorage,
  stackEnv,
  stackKafka,
} from './stack-run.ts';

const run = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const keyspace = 'lms_xapi_e2e';
const bucket = 'lake-xapi-e2e';
const lakeNames = {
  bucket,
  schema: 'raw_xapi_e2e',
  events: 'events_xapi_e2e',
  serving: 'serving_xapi_e2e',
};
const env = stackEnv({ keyspace, bucket });
// Creates schemas of its own (lakeNames): the admin.
const trino = trinoClient(stackTrinoAccess('ula_admin'));
const rows = (sql: string) => trinoQuery(trino, sql);

// ------------------------------------------------------------------------------------------- the LMS

const homePage = 'https://lms.xapi-e2e.example';
const writer = { key: `lms-${run}`, secret: randomBytes(18).toString('hex') };
const reader = { key: `reader-${run}`, secret: randomBytes(18).toString('hex') };
const basic = (c: { key: string; secret: string }) =>
  `Basic ${Buffer.from(`${c.key}:${c.secret}`).toString('base64')}`;

/** Open edX's course key; the course's IRI ends with it (the documented Open edX course rule). */
const courseId = `course-v1:ULAE2E+X${run}+2026`;
const course = {
  objectType: 'Activity',
  id: `https://openedx.xapi-e2e.example/courses/${courseId}`,
  definition: { type: 'http://adlnet.gov/expapi/activities/course', name: { 'en-US': 'E2E course' } },
};
const lms = {
  objectType: 'Activity',
  id: homePage,
  definition: { type: 'http://id.tincanapi.com/activitytype/lms' },
};
/** LMS accounts on the home page: their names are the user ids. Each carries a person's name (must not be kept). */
const users = [1, 2, 3, 4].map((i) => `x${run}-u${i}`);
const account = (name: string) => ({
  objectType: 'Agent',
  name: `Learner Person ${name}`,
  account: { homePage, name },
});
const mbox = `mailto:learner.${run}@example.edu`;
const mboxActor = { objectType: 'Agent', name: 'Mail Learner', mbox };

const t0 = Date.now();
const at = (seconds: number) => new Date(t0 - 60_000 + seconds * 1000).toISOString();
const verb = (id: string) => ({ id, display: { 'en-US': id.split('/').at(-1)! } });
type Statement = Record<string, unknown> & { id?: string };
const statement = (s: Omit<Statement, 'id'>, id: string | undefined = randomUUID()): Statement =>
  id === undefined ? { ...s } : { id, ...s };

const registered = users.map((u, i) =>
  statement({
    actor: account(u),
    verb: verb('http://adlnet.gov/expapi/verbs/registered'),
    object: course,
    timestamp: at(i),
  }),
);
const dropped = statement({
  actor: account(users[3]!),
  verb: verb('http://id.tincanapi.com/verb/unregistered'),
  object: course,
  timestamp: at(5),
});
const loggedIn = [...users.slice(0, 3).map(account), mboxActor].map((actor, i) =>
  statement({
    actor,
    verb: verb('https://w3id.org/xapi/adl/verbs/logged-in'),
    object: lms,
    context: { extensions: { 'https://w3id.org/xapi/openedx/extensions/session-id': randomUUID() } },
    timestamp: at(6 + i),
  }),
);
const viewed = users.slice(0, 2).map((u, i) =>
  statement({
    actor: account(u),
    verb: verb('http://id.tincanapi.com/verb/viewed'),
    object: course,
    timestamp: at(10 + i),
  }),
);
/** A Video Profile session of users[2]: initialized, played, paused, terminated with played-segments 0–45 s. */
const videoSessionId = randomUUID();
const video = {
  objectType: 'Activity',
  id: `https://openedx.xapi-e2e.example/xblock/block-v1:ULAE2E+X${run}+2026+type@video+block@intro`,
  definition: { type: 'https://w3id.org/xapi/video/activity-type/video' },
};
const videoContext = {
  registration: videoSessionId,
  contextActivities: {
    parent: [course],
    category: [{ objectType: 'Activity', id: 'https://w3id.org/xapi/video' }],
  },
  extensions: {
    'https://w3id.org/xapi/video/extensions/session-id': videoSessionId,
    'https://w3id.org/xapi/video/extensions/length': 300,
  },
};
const videoStatement = (name: string, seconds: number, result?: Record<string, unknown>) =>
  statement({
    actor: account(users[2]!),
    verb: verb(
      name === 'initialized' || name === 'terminated'
        ? `http://adlnet.gov/expapi/verbs/${name}`
        : `https://w3id.org/xapi/video/verbs/${name}`,
    ),
    object: video,
    context: videoContext,
    ...(result ? { result } : {}),
    timestamp: at(20 + seconds / 10),
  });
const watchedSeconds = 45;
const videoSession = [
  videoStatement('initialized', 0),
  videoStatement('played', 1, { extensions: { 'https://w3id.org/xapi/video/extensions/time': 0 } }),
  videoStatement('paused', 2, {
    extensions: {
      'https://w3id.org/xapi/video/extensions/time': watchedSeconds,
      'https://w3id.org/xapi/video/extensions/played-segments': `0[.]${watchedSeconds}`,
    },
  }),
  videoStatement('terminated', 3, {
    extensions: {
      'https://w3id.org/xapi/video/extensions/time': watchedSeconds,
      'https://w3id.org/xapi/video/extensions/played-segments': `0[.]${watchedSeconds}`,
      'https://w3id.org/xapi/video/extensions/progress': watchedSeconds / 300,
    },
  }),
];
/** No rule takes these: a verb of this run only, on two activity types. */
const unknownVerb = `https://xapi-e2e.example/verbs/pondered-${run}`;
const unknownType = (kind: string) => `https://xapi-e2e.example/activities/${kind}`;
const unmapped = [
  ['idea', 1],
  ['idea', 2],
  ['riddle', 1],
].map(([kind, n], i) =>
  statement({
    actor: account(users[i]!),
    verb: verb(unknownVerb),
    object: {
      objectType: 'Activity',
      id: `https://xapi-e2e.example/${kind}/${n}`,
      definition: { type: unknownType(String(kind)) },
    },
    timestamp: at(30 + i),
  }),
);
/** Sent without an id, twice: the LRS derives the same id from its content both times. */
const idless = statement(
  { actor: account(users[0]!), verb: verb(unknownVerb), object: lms, timestamp: at(40) },
  undefined,
);
/** Stored with PUT, then PUT again with the same content. */
const put = statement({
  actor: account(users[1]!),
  verb: verb('http://id.tincanapi.com/verb/viewed'),
  object: course,
  timestamp: at(41),
});

// ------------------------------------------------------------------------------------------- the run

const firstBatch = [...registered, dropped, ...loggedIn, ...viewed, ...unmapped];

const functions: RunningFunction[] = [];
let xapiBase = '';
let api = '';
const answers: Record<string, { status: number; body: unknown }> = {};
const acceptedIds = new Set<string>();
let refusedBatchIds: string[] = [];
let stopDispatcher: (() => Promise<void>) | undefined;

async function lrs(
  name: string,
  method: 'POST' | 'PUT',
  body: unknown,
  options: { query?: string; auth?: string | null; version?: string } = {},
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-experience-api-version': options.version ?? '1.0.3',
  };
  if (options.auth !== null) headers['authorization'] = options.auth ?? basic(writer);
  const response = await fetch(`${xapiBase}/statements${options.query ?? ''}`, {
    method,
    headers,
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const answer = { status: response.status, body: text ? JSON.parse(text) : undefined };
  answers[name] = answer;
  return answer;
}

/** Polls until `probe` returns a value (or throws with the last state after the timeout). */
async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 90_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > until)
      throw new Error(`${what}: not reached in ${timeoutMs} ms (${String(last ?? '')})`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

beforeAll(async () => {
  for (const name of ['xapi', 'ingest', 'speed', 'serving']) buildFunction(name);
  await resetStorage(env);
  await ensureRawTables(trino, lakeNames);

  const xapiEnv = {
    ...env,
    ULA_XAPI_SINK: 'kafka',
    ULA_XAPI_CREDENTIALS: `${writer.key}:${writer.secret}:statements/write,${reader.key}:${reader.secret}:statements/read`,
    ULA_XAPI_HOME_PAGE: homePage,
  };
  const [xapi, ingest, speed, serving] = await Promise.all([
    startFunction(xapiEnv, { name: 'xapi' }),
    startFunction(env, { name: 'ingest' }),
    startFunction(env, { name: 'speed' }),
    startFunction(env, { name: 'serving', readyPath: '/health/liveness' }),
  ]);
  functions.push(xapi, ingest, speed, serving);
  xapiBase = `${xapi.url}/xapi`;
  api = serving.url;

  const kafka = stackKafka(env, `xapi-e2e-${run}`);
  const groupPrefix = `xapi-e2e-${run}`;
  await consumerGroupsAtEnd(kafka, groupPrefix, ['ingest', 'speed']);
  const dispatcher = await dispatchToFunctions(env, groupPrefix, { ingest: ingest.url, speed: speed.url });
  stopDispatcher = () => dispatcher.stop();

  // The load: one batch as an LMS sends it, then the rest.
  const first = await lrs('batch', 'POST', firstBatch);
  if (first.status === 200) for (const id of first.body as string[]) acceptedIds.add(id);
  // A resend of a stored statement (an LMS retrying after a timeout): acknowledged, not stored again.
  await lrs('resend', 'POST', [registered[0]!]);
  // The spec refuses a batch repeating an id (xAPI 1.0.3 Communication §2.1.2): 400, nothing stored.
  await lrs('repeated', 'POST', [registered[1]!, registered[1]!]);
  const session = await lrs('video', 'POST', videoSession);
  if (session.status === 200) for (const id of session.body as string[]) acceptedIds.add(id);
  for (const name of ['idless-1', 'idless-2']) {
    const answer = await lrs(name, 'POST', idless);
    if (answer.status === 200) acceptedIds.add((answer.body as string[])[0]!);
  }
  for (const name of ['put-1', 'put-2']) await lrs(name, 'PUT', put, { query: `?statementId=${put.id}` });
  if (answers['put-1']!.status === 204) acceptedIds.add(put.id!);
  // A stored id with other content: 409.
  await lrs('conflict', 'POST', { ...registered[1]!, verb: verb('http://id.tincanapi.com/verb/viewed') });
  // A batch with one invalid statement (no verb) is refused whole: its valid statement is not stored.
  const valid = statement({
    actor: account(users[0]!),
    verb: verb(unknownVerb),
    object: lms,
    timestamp: at(50),
  });
  refusedBatchIds = [valid.id!];
  const noVerb = statement({ actor: account(users[1]!), object: lms, timestamp: at(51) });
  await lrs('invalid', 'POST', [valid, noVerb]);
  await lrs('anonymous', 'POST', valid, { auth: null });
  await lrs('reader', 'POST', valid, { auth: basic(reader) });
  await lrs('bad-version', 'POST', valid, { version: '0.95' });
}, 600_000);

afterAll(async () => {
  await stopDispatcher?.();
  await Promise.all(functions.map((f) => f.stop()));
  for (const schema of [lakeNames.serving, lakeNames.events, lakeNames.schema]) {
    const tables = await rows(`SHOW TABLES FROM lake.${schema}`).catch(() => []);
    for (const [t] of tables) {
      const kind = schema === lakeNames.schema ? 'TABLE' : 'VIEW';
      await rows(`DROP ${kind} IF EXISTS lake.${schema}.${t}`).catch(() => undefined);
    }
    await rows(`DROP SCHEMA IF EXISTS lake.${schema}`).catch(() => undefined);
  }
});

// ------------------------------------------------------------------------------------------- checks

/** The statements the LRS must have stored: every distinct id sent in an accepted request. */
const expectedStored = () => {
  const ids = new Set<string>();
  for (const s of [...registered, dropped, ...loggedIn, ...viewed, ...unmapped, ...videoSession, put])
    ids.add(s.id!);
  return ids;
};
const storedRows = () =>
  rows(
    `SELECT statement_id, verb, activity_type, rule, user_id, statement FROM lake.${lakeNames.schema}.xapi_statements
      WHERE date >= '${new Date(t0 - 86_400_000).toISOString().slice(0, 10)}'`,
  ) as Promise<[string, string, string, string | null, string | null, string][]>;

describe('xapi end to end on the real local stack', () => {
  it('answers the LRS contract: 200 with ids in order, 204 for PUT, 409, 400 naming the path, 401, 403', () => {
    expect(answers['batch']).toEqual({ status: 200, body: firstBatch.map((s) => s.id) });
    expect(answers['resend']).toEqual({ status: 200, body: [registered[0]!.id] });
    expect(answers['repeated']!.status).toBe(400);
    expect((answers['repeated']!.body as { field: string }).field).toBe('statements[1].id');
    expect(answers['video']).toEqual({ status: 200, body: videoSession.map((s) => s.id) });
    // An id-less statement gets the same derived id both times.
    expect(answers['idless-1']!.status).toBe(200);
    expect(answers['idless-2']).toEqual(answers['idless-1']);
    expect(answers['put-1']!.status).toBe(204);
    expect(answers['put-2']!.status).toBe(204);
    expect(answers['conflict']!.status).toBe(409);
    expect(answers['invalid']!.status).toBe(400);
    expect((answers['invalid']!.body as { field: string }).field).toMatch(/^statements\[1\]/);
    expect(JSON.stringify(answers['invalid']!.body)).toMatch(/verb/);
    expect(answers['anonymous']!.status).toBe(401);
    expect(answers['reader']!.status).toBe(403);
    expect(answers['bad-version']!.status).toBe(400);
  });

  it('stores every accepted statement exactly once in lake.raw.xapi_statements, and nothing of a refused batch', async () => {
    const expected = expectedStored();
    const idless = (answers['idless-1']!.body as string[])[0]!;
    expected.add(idless);
    const stored = await eventually('statements in Trino', async () => {
      const r = await storedRows();
      return r.length >= expected.size ? r : undefined;
    });
    const counts = new Map<string, number>();
    for (const [id] of stored) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect(new Set(counts.keys())).toEqual(expected);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(new Set([...acceptedIds])).toEqual(expected);
    for (const id of refusedBatchIds) expect(counts.has(id), id).toBe(false);
    // Mapped (a rule took them) and unmapped, as built: the pondered verb is the only one no rule takes.
    const unmappedIds = new Set([...unmapped.map((s) => s.id!), idless]);
    for (const [id, verbIri, , rule] of stored) {
      expect(rule === null, `${id} ${verbIri} rule ${rule}`).toBe(unmappedIds.has(id));
    }
  });

  it('keeps no e-mail address and no name in the stored statements; the mbox actor is a hashed id', async () => {
    const stored = await storedRows();
    expect(stored.length).toBeGreaterThan(0);
    // An address (user@host.tld); IRIs may hold '@' otherwise (Open edX block ids: type@video+block@intro).
    const email = /[\w.+-]+@[\w-]+(\.[\w-]+)+/;
    for (const [id, , , , userId, json] of stored) {
      expect(json, id).not.toMatch(email);
      expect(json, id).not.toContain('mailto:');
      expect(json, id).not.toMatch(/Learner Person|Mail Learner/);
      expect(userId ?? '', id).not.toMatch(/@/);
    }
    const mboxRow = stored.find(([id]) => id === loggedIn[3]!.id);
    expect(mboxRow?.[4]).toBeTruthy();
    expect(mboxRow?.[4]).not.toContain('learner');
    expect(JSON.parse(mboxRow![5]).actor.mbox_sha1sum).toMatch(/^[0-9a-f]{40}$/);
  });

  it('counts the unmapped statements per verb and activity type in the unmapped view', async () => {
    const expected = new Map<string, number>();
    for (const s of [...unmapped, idless]) {
      const type = (s['object'] as { definition?: { type?: string } }).definition?.type ?? '';
      expected.set(type, (expected.get(type) ?? 0) + 1);
    }
    const view = await rows(
      `SELECT activity_type, sum(statements) FROM lake.${lakeNames.serving}.xapi_unmapped
        WHERE date >= '${new Date(t0 - 86_400_000).toISOString().slice(0, 10)}' AND verb = '${unknownVerb}'
        GROUP BY activity_type`,
    );
    expect(new Map(view.map(([type, n]) => [String(type), Number(n)]))).toEqual(expected);
  });

  it("delivers the mapped statements' events to ingest: the course's events in the raw lake (Trino)", async () => {
    // Enrolments, the drop and the course views name the course (the resent enrolment once); the video
    // session's one VIDEO_WATCHED too.
    const expected = {
      COURSE_ENROLLED: registered.length,
      COURSE_DROPPED: 1,
      COURSE_VIEW: viewed.length + 1,
      VIDEO_WATCHED: 1,
    };
    const since = new Date(t0 - 86_400_000).toISOString().slice(0, 10);
    const found = await eventually('course events in the lake', async () => {
      const r = await rows(
        `SELECT event_type, count(*) FROM (
           SELECT event_type, course_id, date FROM lake.${lakeNames.events}.course
           UNION ALL SELECT event_type, course_id, date FROM lake.${lakeNames.events}.video)
         WHERE date >= '${since}' AND course_id = '${courseId}' GROUP BY event_type`,
      );
      const m: Record<string, number> = Object.fromEntries(r.map(([t, n]) => [String(t), Number(n)]));
      return Object.entries(expected).every(([k, n]) => m[k] === n) ? m : undefined;
    });
    expect(found).toEqual(expected);
    const watched = await rows(
      `SELECT json_extract_scalar(data, '$.watch_duration_seconds') FROM lake.${lakeNames.events}.video
        WHERE date >= '${since}' AND course_id = '${courseId}'`,
    );
    expect(watched).toEqual([[String(watchedSeconds)]]);
  });

  it('delivers them to speed: enrolments and course interactions in the real-time views (serving API)', async () => {
    const view = async (name: string) => {
      const response = await fetch(
        `${api}/api/v1/views/${name}?minutes=30&course_id=${encodeURIComponent(courseId)}`,
      );
      return ((await response.json()) as { items?: Record<string, number>[] }).items ?? [];
    };
    const sum = (items: Record<string, number>[], column: string) =>
      items.reduce((n, row) => n + Number(row[column] ?? 0), 0);
    const interactions = registered.length + 1 + viewed.length + 1 + 1; // + the video watched
    const popularity = await eventually('course_popularity', async () => {
      const items = await view('course_popularity');
      return sum(items, 'interactions') >= interactions ? items : undefined;
    });
    expect(sum(popularity, 'interactions')).toBe(interactions);
    const enrolment = await view('course_realtime_enrollment_rate');
    expect(sum(enrolment, 'enrollments')).toBe(registered.length);
    expect(sum(enrolment, 'drops')).toBe(1);
  });

  it('counts the logins in the daily active users of the speed layer (Cassandra), the mbox learner by its SHA-1', async () => {
    // The mbox learner's user id, as the lake recorded it: derived from the SHA-1 of the mailto IRI (what
    // xAPI defines as mbox_sha1sum), never the address.
    const mboxUser = (await storedRows()).find(([id]) => id === loggedIn[3]!.id)?.[4];
    expect(mboxUser).toContain(createHash('sha1').update(mbox).digest('hex'));
    const learners = [...users.slice(0, 3), mboxUser!];
    // The speed layer's day window of the logins: local midnight (Asia/Ho_Chi_Minh, UTC+7 all year).
    const localDay = new Date(Date.parse(at(6)) + 7 * 3_600_000).toISOString().slice(0, 10);
    const windowStart = new Date(Date.parse(`${localDay}T00:00:00+07:00`));
    const client = cassandraClient(env);
    try {
      const members = await eventually('daily_active_users_live members', async () => {
        const result = await client.execute(
          `SELECT member FROM ${keyspace}.daily_active_users_live WHERE window_start = ? AND metric = ?`,
          [windowStart, 'daily_active_users'],
          { prepare: true },
        );
        const set = new Set(result.rows.map((r) => r['member'] as string));
        return learners.every((u) => set.has(u)) ? set : undefined;
      });
      // The shared topics may carry others' events meanwhile: this run's learners are there, no address is.
      for (const u of learners) expect(members.has(u), u).toBe(true);
      expect([...members].some((m) => m.includes('@'))).toBe(false);
    } finally {
      await client.shutdown();
    }
  });
});
