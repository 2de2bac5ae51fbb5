/**
 * The xapi function under faas-js-runtime (started in-process on a free port), as an LMS sees it: the LRS
 * paths under any base (PUT included, which the runtime alone does not route), Basic auth, the body limit
 * answered 413 in the xAPI form, the function's metrics on /metrics, readiness; derived events POSTed as
 * binary CloudEvents to the per-category sink URL (a local stand-in for the Knative KafkaSinks).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDirStore } from '@ula/core/adapters/local-dir';
import { readXapiStatements } from '@ula/core/lake/xapi-statements';
import { start } from 'faas-js-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fn from '../src/index.ts';

const home = 'https://lms.example.edu';
const auth = `Basic ${Buffer.from('lms:s3cret').toString('base64')}`;
const received: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
let sinkAnswer = 202;
let dir: string;
let sink: Server;
let server: Server;
let base: string;
const savedEnv = { ...process.env };

const listen = (s: Server): Promise<number> =>
  new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));

const login = (user: string) => ({
  actor: { account: { homePage: home, name: user } },
  verb: { id: 'https://w3id.org/xapi/adl/verbs/logged-in' },
  object: { id: home },
  timestamp: '2026-11-03T07:00:00Z',
});

const send = (method: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      'x-experience-api-version': '1.0.3',
      authorization: auth,
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ula-xapi-fn-'));
  sink = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body });
      res.writeHead(sinkAnswer).end();
    });
  });
  const sinkPort = await listen(sink);
  Object.assign(process.env, {
    ULA_DATA_DIR: dir,
    ULA_XAPI_CREDENTIALS: 'lms:s3cret:statements/write,viewer:pw:statements/read',
    ULA_XAPI_SINK: 'http',
    ULA_XAPI_SINK_URL: `http://127.0.0.1:${sinkPort}/ula/{category}-sink`,
    ULA_XAPI_HOME_PAGE: home,
    ULA_XAPI_LINGER_MS: '0',
    ULA_XAPI_MAX_BODY_BYTES: '20000',
  });
  delete process.env['ULA_S3_ENDPOINT'];
  delete process.env['ULA_CASSANDRA_CONTACT_POINTS'];
  const probe = createServer();
  const port = await listen(probe);
  await new Promise((r) => probe.close(r));
  server = await start(fn as never, { port, logLevel: 'silent' } as never);
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await fn.shutdown();
  await new Promise((r) => server.close(r));
  await new Promise((r) => sink.close(r));
  process.env = savedEnv;
  await rm(dir, { recursive: true, force: true });
});

describe('the xapi function over HTTP', () => {
  it('POST <base>/statements: 200 with the ids; the derived event reaches its category sink as a binary CloudEvent', async () => {
    const answer = await send('POST', '/xapi/statements', [login('SV10001')]);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-experience-api-version')).toBe('1.0.3');
    expect(answer.headers.get('x-experience-api-consistent-through')).not.toBeNull();
    const ids = (await answer.json()) as string[];
    expect(ids).toHaveLength(1);
    const event = received.find((r) => JSON.parse(r.body).user_id === 'SV10001');
    expect(event?.url).toBe('/ula/auth-sink');
    expect(event?.headers['ce-type']).toBe('edu.lms.auth.login');
    expect(event?.headers['ce-source']).toBe('/lms/auth');
    const rows = await readXapiStatements(new LocalDirStore(join(dir, 'lake')));
    expect(rows.map((r) => r.statement_id)).toContain(ids[0]);
  });

  it('PUT <base>/statements?statementId=: 204, at the root base too', async () => {
    const id = randomUUID();
    const answer = await send('PUT', `/statements?statementId=${id}`, login('SV10002'));
    expect(answer.status).toBe(204);
    const rows = await readXapiStatements(new LocalDirStore(join(dir, 'lake')));
    expect(rows.map((r) => r.statement_id)).toContain(id);
  });

  it('GET <base>/about answers the versions; 401 with WWW-Authenticate, 403 for a read-only key', async () => {
    const about = await fetch(`${base}/xapi/about`);
    expect(about.status).toBe(200);
    expect(await about.json()).toEqual({ version: ['1.0.3', '2.0.0'] });
    const anonymous = await send('POST', '/xapi/statements', login('SV10003'), { authorization: '' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic/);
    const viewer = `Basic ${Buffer.from('viewer:pw').toString('base64')}`;
    expect((await send('POST', '/xapi/statements', login('SV10003'), { authorization: viewer })).status).toBe(
      403,
    );
  });

  it('answers a body over ULA_XAPI_MAX_BODY_BYTES 413 with the xAPI headers and a JSON reason', async () => {
    const big = Array.from({ length: 200 }, (_, i) => login(`SV2${String(i).padStart(4, '0')}`));
    const answer = await send('POST', '/xapi/statements', big);
    expect(answer.status).toBe(413);
    expect(answer.headers.get('x-experience-api-version')).toBe('1.0.3');
    expect(await answer.json()).toMatchObject({ error: 'too_large' });
  });

  it('answers an invalid statement 400 naming its path', async () => {
    const answer = await send('POST', '/xapi/statements', [
      login('SV10004'),
      { ...login('SV10005'), verb: {} },
    ]);
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ field: 'statements[1].verb.id' });
  });

  it('answers 503 when the sink refuses, and nothing is registered: the resend succeeds once the sink is back', async () => {
    sinkAnswer = 400;
    const statement = { ...login('SV10006'), id: randomUUID() };
    const refused = await send('POST', '/xapi/statements', statement);
    expect(refused.status).toBe(503);
    sinkAnswer = 202;
    const again = await send('POST', '/xapi/statements', statement);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual([statement.id]);
  });

  it('serves its metrics on /metrics and is ready', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/ula_xapi_statements_total\{outcome="mapped",function="xapi"\} [1-9]/);
    expect(text).toMatch(/ula_xapi_requests_total\{method="POST",status="413",function="xapi"\} 1/);
    expect((await fetch(`${base}/health/readiness`)).status).toBe(200);
  });
});
