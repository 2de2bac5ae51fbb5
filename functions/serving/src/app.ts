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
      return json(200, await route.run({ path, query: req.query }, deps));
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
