// biome-ignore-all lint/suspicious/noExplicitAny: tests read untyped JSON answers
/**
 * Scoped API tokens (ULA_API_TOKENS): 401 without a token or with an unknown one, 403 with a known token that
 * lacks the route's scope, and the settings that make them (ULA_API_TOKEN stays one read+admin token). The
 * app runs over an embedded view store; the admin and privacy routes are declared here, since the API has none
 * yet (its routes are all `read`).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allTables, localCalendar, openViewStore, type ViewStore } from '@ula/core';
import { ServingReader } from '@ula/core/serving/reader';
import { InvalidSettings } from '@ula/core/settings';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp, routes } from '../src/app.ts';
import { route } from '../src/routes/route.ts';
import { loadServingSettings } from '../src/settings.ts';

const readToken = 'r'.repeat(8) + 'read-token-0001';
const adminToken = 'a'.repeat(8) + 'admin-token-001';
const privacyToken = 'p'.repeat(8) + 'privacy-token-1';

const adminRoute = route({
  path: '/api/v1/admin/probe',
  summary: 'test: an operations route',
  tag: 'meta',
  scope: 'admin',
  params: {},
  handler: async () => ({ admin: true }),
});
const privacyRoute = route({
  path: '/api/v1/privacy/pseudonyms/{userId}',
  summary: 'test: a pseudonym resolution route',
  tag: 'meta',
  scope: 'privacy',
  params: {},
  handler: async (_q, input) => ({ user_id: input.path['userId'] }),
});

describe('API token scopes', () => {
  let dir: string;
  let store: ViewStore;
  let app: App;

  const get = async (path: string, token?: string) => {
    const [p, query = ''] = path.split('?');
    const res = await app.handle({
      method: 'GET',
      path: p!,
      query: Object.fromEntries(new URLSearchParams(query)),
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    return { status: res.statusCode, headers: res.headers, json: JSON.parse(res.body) as any };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ula-api-tokens-'));
    store = openViewStore({ cassandra: undefined, dataDir: dir });
    await store.ensureTables(allTables);
    const settings = loadServingSettings({
      ULA_DATA_DIR: dir,
      ULA_API_TOKENS: `dashboard:${readToken}:read, ops:${adminToken}:admin+read, dpo:${privacyToken}:privacy`,
    });
    const reader = new ServingReader(store, {
      calendar: localCalendar('Asia/Ho_Chi_Minh'),
      thresholds: settings.thresholds,
      batchTtlMs: 0,
    });
    app = createApp({
      reader,
      corsOrigins: [],
      cacheMs: 0,
      tokens: settings.apiTokens,
      routes: [...routes, adminRoute, privacyRoute],
    });
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('401 without a token, with an unknown one, or without the Bearer scheme', async () => {
    for (const path of [
      '/api/v1/summary',
      '/api/v1/admin/probe',
      '/api/v1/openapi.json',
      '/api/v1/nowhere',
    ]) {
      for (const token of [undefined, 'not-a-known-token', `${readToken}x`, readToken.slice(0, -1)]) {
        const res = await get(path, token);
        expect(res.status, `${path} ${token}`).toBe(401);
        expect(res.json.error).toBe('unauthorized');
        expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      }
    }
    const noScheme = await app.handle({
      method: 'GET',
      path: '/api/v1/summary',
      query: {},
      headers: { authorization: readToken },
    });
    expect(noScheme.statusCode).toBe(401);
  });

  it('a read token reads the analytics, and is 403 on admin and privacy routes', async () => {
    expect((await get('/api/v1/summary', readToken)).status).toBe(200);
    expect((await get('/api/v1/openapi.json', readToken)).status).toBe(200);
    for (const path of ['/api/v1/admin/probe', '/api/v1/privacy/pseudonyms/u1']) {
      const res = await get(path, readToken);
      expect(res.status, path).toBe(403);
      expect(res.json).toMatchObject({ error: 'forbidden', message: expect.stringContaining('"dashboard"') });
      expect(res.headers['www-authenticate']).toMatch(/insufficient_scope/);
    }
  });

  it('admin reaches admin routes only; privacy reaches the pseudonym route only', async () => {
    expect(await get('/api/v1/admin/probe', adminToken)).toMatchObject({
      status: 200,
      json: { admin: true },
    });
    expect((await get('/api/v1/summary', adminToken)).status).toBe(200);
    expect((await get('/api/v1/privacy/pseudonyms/u1', adminToken)).status).toBe(403);
    expect(await get('/api/v1/privacy/pseudonyms/u1', privacyToken)).toMatchObject({
      status: 200,
      json: { user_id: 'u1' },
    });
    expect((await get('/api/v1/summary', privacyToken)).status).toBe(403);
    expect((await get('/api/v1/admin/probe', privacyToken)).status).toBe(403);
    // A known token on an unknown path: the path's 404, not an authorization answer.
    expect((await get('/api/v1/nowhere', readToken)).status).toBe(404);
  });

  it("the OpenAPI document names each route's scope and its 401 and 403", async () => {
    const doc = (await get('/api/v1/openapi.json', readToken)).json;
    expect(doc.paths['/api/v1/summary'].get['x-scope']).toBe('read');
    expect(doc.paths['/api/v1/admin/probe'].get['x-scope']).toBe('admin');
    expect(doc.paths['/api/v1/privacy/pseudonyms/{userId}'].get['x-scope']).toBe('privacy');
    expect(Object.keys(doc.paths['/api/v1/admin/probe'].get.responses)).toEqual(
      expect.arrayContaining(['401', '403']),
    );
  });

  it('every API call the dashboard makes needs only the read scope (but the identity look-up)', async () => {
    // The dashboard's API paths, from its sources (template parts become an id).
    const src = fileURLToPath(new URL('../dashboard/src/', import.meta.url));
    const paths = new Set<string>();
    for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.ts'),
    ))
      for (const m of readFileSync(join(src, file), 'utf8').matchAll(/[`'](\/api\/v1\/[^`'?]*)/g))
        paths.add(m[1]!.replace(/\$\{[^}]*\}/g, 'C1'));
    const matched = [...paths].map((path) => ({
      path,
      route: routes.find((r) =>
        new RegExp(`^${r.path.replace(/\{\w+\}/g, '[^/]+')}$`).test(path.replace(/\/+$/, '')),
      ),
    }));
    expect(matched.filter((m) => m.route).length).toBeGreaterThan(8);
    // Read only, but the identity look-up the student page sends when a user asks for it.
    for (const { path, route: r } of matched)
      if (r) expect(r.scope, path).toBe(path.startsWith('/api/v1/privacy/') ? 'privacy' : 'read');
    // And every route of the API is an analytics read but resolving ids to people (docs/privacy.md).
    expect(routes.filter((r) => r.scope !== 'read').map((r) => [r.path, r.scope])).toEqual([
      ['/api/v1/privacy/users/{userId}', 'privacy'],
    ]);
  });
});

describe('API token settings', () => {
  const problems = (env: NodeJS.ProcessEnv) => {
    try {
      loadServingSettings(env);
      return [];
    } catch (error) {
      if (error instanceof InvalidSettings) return error.problems;
      throw error;
    }
  };

  it('reads ULA_API_TOKENS, and ULA_API_TOKEN as one more token with read and admin (never privacy)', () => {
    expect(
      loadServingSettings({
        ULA_API_TOKENS: `dash:${readToken}:read,dpo:${privacyToken}:privacy+read+read`,
        ULA_API_TOKEN: 'old-single-token',
      }).apiTokens,
    ).toEqual([
      { name: 'dash', token: readToken, scopes: ['read'] },
      { name: 'dpo', token: privacyToken, scopes: ['privacy', 'read'] },
      { name: 'ULA_API_TOKEN', token: 'old-single-token', scopes: ['read', 'admin'] },
    ]);
    expect(loadServingSettings({}).apiTokens).toEqual([]);
  });

  it('refuses unknown scopes, short or repeated tokens, repeated names, and a token given twice', () => {
    for (const value of [
      `a:${readToken}:write`,
      `a:${readToken}`,
      'a:short:read',
      `a:${readToken}:read,a:${adminToken}:admin`,
      `a:${readToken}:read,b:${readToken}:admin`,
    ])
      expect(problems({ ULA_API_TOKENS: value }), value).toEqual([
        expect.stringMatching(/^ULA_API_TOKENS=.*expected a comma-separated list of name:token:scope/),
      ]);
    expect(problems({ ULA_API_TOKENS: `a:${readToken}:read`, ULA_API_TOKEN: readToken })).toEqual([
      expect.stringMatching(/^ULA_API_TOKEN is also a token of ULA_API_TOKENS/),
    ]);
  });
});
