import { timingSafeEqual } from 'node:crypto';
import type { ServingReader } from '@ula/core/serving/reader';
import { dashboardAsset } from './dashboard/assets.ts';
import { type ApiRequest, type ApiResponse, HttpError, header, json } from './http.ts';
import { checkId } from './params.ts';
import { entityRoutes } from './routes/entities.ts';
import { openApiDocument } from './routes/openapi.ts';
import { overviewRoutes } from './routes/overview.ts';
import type { Deps, Route } from './routes/route.ts';
import { viewRoutes } from './routes/views.ts';

export const routes: readonly Route[] = [...overviewRoutes, ...entityRoutes, ...viewRoutes];

export interface AppOptions {
  reader: ServingReader;
  /** When set, every /api/v1 call needs `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** Origins allowed to call the API from a browser (ULA_CORS_ORIGINS). */
  corsOrigins: readonly string[];
  now?: () => number;
  /**
   * Answers are cached per path and query: fresh for `cacheMs` (default 1000, ULA_API_CACHE_MS), then
   * served stale while one refresh runs, for up to `staleMs` (default 30000). 0 disables the cache.
   */
  cacheMs?: number;
  staleMs?: number;
  log?: { error(obj: unknown, msg?: string): void };
}

const compiled = routes.map((r) => {
  const names: string[] = [];
  const pattern = new RegExp(
    `^${r.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    })}$`,
  );
  return { route: r, pattern, names };
});

const tokenMatches = (given: string, expected: string) => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/** The serving function's HTTP behaviour: dashboard, API routing, bearer auth, CORS, JSON errors. */
export function createApp(options: AppOptions) {
  const now = options.now ?? Date.now;
  const deps: Deps = { reader: options.reader, now };
  const openapi = JSON.stringify(openApiDocument(routes, { auth: Boolean(options.token) }));

  const corsHeaders = (req: ApiRequest): Record<string, string> => {
    const origin = header(req, 'origin');
    if (!origin || !options.corsOrigins.includes(origin)) return { vary: 'Origin' };
    return { 'access-control-allow-origin': origin, vary: 'Origin' };
  };

  const cacheMs = options.cacheMs ?? 1000;
  const staleMs = options.staleMs ?? 30_000;
  interface Entry {
    at: number;
    body?: string;
    pending?: Promise<string>;
    refreshing?: boolean;
  }
  const answers = new Map<string, Entry>();
  const load = async (key: string, compute: () => Promise<unknown>): Promise<string> => {
    const pending = compute().then((v) => JSON.stringify(v));
    const entry: Entry = { at: now(), pending };
    answers.set(key, entry);
    try {
      const body = await pending;
      answers.set(key, { at: now(), body });
      return body;
    } catch (error) {
      if (answers.get(key) === entry) answers.delete(key);
      throw error;
    }
  };
  /** Single-flight, stale-while-revalidate cache of successful answers. */
  const cached = async (key: string, compute: () => Promise<unknown>): Promise<string> => {
    if (cacheMs <= 0) return JSON.stringify(await compute());
    const entry = answers.get(key);
    if (entry?.body !== undefined) {
      const age = now() - entry.at;
      if (age < cacheMs) return entry.body;
      if (age < staleMs) {
        if (!entry.refreshing) {
          entry.refreshing = true;
          compute().then(
            (v) => answers.set(key, { at: now(), body: JSON.stringify(v) }),
            (error: unknown) => {
              entry.refreshing = false;
              options.log?.error({ err: error, path: key }, 'background refresh failed');
            },
          );
        }
        return entry.body;
      }
    }
    if (entry?.pending) return entry.pending;
    if (answers.size > 2000) answers.clear();
    return load(key, compute);
  };

  async function api(req: ApiRequest): Promise<ApiResponse> {
    if (options.token) {
      const auth = header(req, 'authorization') ?? '';
      const match = /^Bearer\s+(\S+)$/i.exec(auth);
      if (!match || !tokenMatches(match[1]!, options.token))
        return json(
          401,
          {
            error: 'unauthorized',
            message: 'this API needs the header Authorization: Bearer <token> (ULA_API_TOKEN)',
          },
          { 'www-authenticate': 'Bearer realm="ula"' },
        );
    }
    if (req.path === '/api/v1/openapi.json')
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: openapi,
      };
    for (const { route, pattern, names } of compiled) {
      const m = pattern.exec(req.path);
      if (!m) continue;
      const path: Record<string, string> = {};
      names.forEach((name, i) => {
        path[name] = checkId(name, decodeURIComponent(m[i + 1]!));
      });
      const input = { path, query: req.query };
      const key = `${req.path}?${JSON.stringify(Object.entries(req.query).sort(([a], [b]) => a.localeCompare(b)))}`;
      const body = await cached(key, () => route.run(input, deps));
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
        body,
      };
    }
    throw new HttpError(404, 'not_found', `no endpoint ${req.path} (see /api/v1/openapi.json)`);
  }

  async function handle(req: ApiRequest): Promise<ApiResponse> {
    const path = req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path;
    const request = { ...req, path };
    let response: ApiResponse;
    try {
      if (req.method === 'OPTIONS') {
        response = {
          statusCode: 204,
          headers: {
            'access-control-allow-methods': 'GET, HEAD, OPTIONS',
            'access-control-allow-headers': 'Authorization, Content-Type',
            'access-control-max-age': '600',
          },
          body: '',
        };
      } else if (req.method !== 'GET' && req.method !== 'HEAD') {
        response = json(
          405,
          {
            error: 'method_not_allowed',
            message: `${req.method} is not supported: the API is read-only (GET)`,
          },
          { allow: 'GET, HEAD, OPTIONS' },
        );
      } else if (path.startsWith('/api/')) {
        response = await api(request);
      } else if (path === '/favicon.ico') {
        response = { statusCode: 204, headers: { 'cache-control': 'max-age=86400' }, body: '' };
      } else {
        const asset = dashboardAsset(path);
        response = asset
          ? {
              statusCode: 200,
              headers: { 'content-type': asset.type, 'cache-control': 'no-cache' },
              body: asset.body,
            }
          : json(404, {
              error: 'not_found',
              message: `nothing at ${path}: the dashboard is at / and the API under /api/v1`,
            });
      }
    } catch (error) {
      if (error instanceof HttpError)
        response = json(error.statusCode, { error: error.error, message: error.message });
      else {
        options.log?.error({ err: error, path }, 'serving request failed');
        response = json(500, { error: 'internal', message: 'the request failed; see the function log' });
      }
    }
    return { ...response, headers: { ...response.headers, ...corsHeaders(request) } };
  }

  return { handle, routes };
}

export type App = ReturnType<typeof createApp>;
