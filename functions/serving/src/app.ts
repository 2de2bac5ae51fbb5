import { createHash, timingSafeEqual } from 'node:crypto';
import type { PersonalDirectory } from '@ula/core/privacy/directory';
import type { ServingReader } from '@ula/core/serving/reader';
import type { ApiScope, ApiToken } from '@ula/core/settings';
import { csvField, rowsOfAnswer, toCsv, wantsCsv } from './csv.ts';
import { dashboardAsset } from './dashboard/assets.ts';
import { type ApiRequest, type ApiResponse, HttpError, header, json } from './http.ts';
import { checkId } from './params.ts';
import { entityRoutes } from './routes/entities.ts';
import { listRoutes } from './routes/lists.ts';
import { openApiDocument } from './routes/openapi.ts';
import { overviewRoutes } from './routes/overview.ts';
import { privacyRoutes } from './routes/privacy.ts';
import type { Deps, Route } from './routes/route.ts';
import { viewRoutes } from './routes/views.ts';

export const routes: readonly Route[] = [
  ...overviewRoutes,
  ...listRoutes,
  ...entityRoutes,
  ...viewRoutes,
  ...privacyRoutes,
];

export interface AppOptions {
  reader: ServingReader;
  /** The restricted personal-data table, for the `privacy` route (ULA_PII=store); undefined: ids stay ids. */
  personal?: PersonalDirectory;
  /**
   * When not empty, every /api/v1 call needs `Authorization: Bearer <token>` of one of them (else 401), whose
   * scopes hold the route's (else 403). Empty or unset: the API is open (local development).
   */
  tokens?: readonly ApiToken[];
  /** The API's routes (default `routes`, every route of the API). */
  routes?: readonly Route[];
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

type CompiledRoute = { route: Route; pattern: RegExp; names: string[] };

const compile = (rs: readonly Route[]): CompiledRoute[] =>
  rs.map((r) => {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${r.path.replace(/\{(\w+)\}/g, (_, name: string) => {
        names.push(name);
        return '([^/]+)';
      })}$`,
    );
    return { route: r, pattern, names };
  });

const digest = (token: string) => createHash('sha256').update(token).digest();

/**
 * The token a bearer value is, compared in constant time: SHA-256 digests (equal lengths whatever the
 * token's), every configured token compared, no early exit.
 */
function tokenOf(
  given: string,
  tokens: readonly { digest: Buffer; token: ApiToken }[],
): ApiToken | undefined {
  const mine = digest(given);
  let found: ApiToken | undefined;
  for (const t of tokens) if (timingSafeEqual(mine, t.digest) && !found) found = t.token;
  return found;
}

type Log = AppOptions['log'];

/** CORS: the request's origin echoed when allowed (ULA_CORS_ORIGINS); `Vary: Origin` always. */
function corsHeaders(req: ApiRequest, allowed: readonly string[]): Record<string, string> {
  const origin = header(req, 'origin');
  if (!origin || !allowed.includes(origin)) return { vary: 'Origin' };
  return { 'access-control-allow-origin': origin, vary: 'Origin' };
}

/** The caller's token, or the 401 answer when tokens are configured and the request carries none of them. */
function authenticate(
  req: ApiRequest,
  tokens: readonly { digest: Buffer; token: ApiToken }[],
): { token: ApiToken | undefined } | { denied: ApiResponse } {
  if (tokens.length === 0) return { token: undefined };
  const match = /^Bearer\s+(\S+)$/i.exec(header(req, 'authorization') ?? '');
  const token = match ? tokenOf(match[1]!, tokens) : undefined;
  if (token) return { token };
  return {
    denied: json(
      401,
      {
        error: 'unauthorized',
        message: 'this API needs the header Authorization: Bearer <token> of a known token (ULA_API_TOKENS)',
      },
      { 'www-authenticate': 'Bearer realm="ula"' },
    ),
  };
}

/** The 403 answer when the caller's token lacks the scope a route needs. */
function forbidden(token: ApiToken | undefined, scope: ApiScope): ApiResponse | undefined {
  if (!token || token.scopes.includes(scope)) return undefined;
  return json(
    403,
    { error: 'forbidden', message: `the token "${token.name}" lacks the scope ${scope} this endpoint needs` },
    { 'www-authenticate': `Bearer realm="ula", error="insufficient_scope", scope="${scope}"` },
  );
}

/** The route of an API path and its checked path parameters, or undefined. */
function matchRoute(
  compiled: readonly CompiledRoute[],
  requestPath: string,
): { route: Route; path: Record<string, string> } | undefined {
  for (const { route, pattern, names } of compiled) {
    const m = pattern.exec(requestPath);
    if (!m) continue;
    const path: Record<string, string> = {};
    names.forEach((name, i) => {
      path[name] = checkId(name, decodeURIComponent(m[i + 1]!));
    });
    return { route, path };
  }
  return undefined;
}

/** An answer's cache key: the path and the query parameters in name order. */
const cacheKey = (req: ApiRequest): string =>
  `${req.path}?${JSON.stringify(Object.entries(req.query).sort(([a], [b]) => a.localeCompare(b)))}`;

interface CacheEntry {
  at: number;
  body?: string;
  pending?: Promise<string>;
  refreshing?: boolean;
}

/**
 * Single-flight, stale-while-revalidate cache of successful answers (JSON bodies): fresh for `cacheMs`,
 * then served stale while one refresh runs, for up to `staleMs`. `cacheMs` 0 disables it.
 */
class AnswerCache {
  private readonly answers = new Map<string, CacheEntry>();

  constructor(
    private readonly now: () => number,
    private readonly cacheMs: number,
    private readonly staleMs: number,
    private readonly log: Log,
  ) {}

  async get(key: string, compute: () => Promise<unknown>): Promise<string> {
    if (this.cacheMs <= 0) return JSON.stringify(await compute());
    const entry = this.answers.get(key);
    if (entry?.body !== undefined) {
      const age = this.now() - entry.at;
      if (age < this.cacheMs) return entry.body;
      if (age < this.staleMs) {
        if (!entry.refreshing) this.refresh(key, entry, compute);
        return entry.body;
      }
    }
    if (entry?.pending) return entry.pending;
    if (this.answers.size > 2000) this.answers.clear();
    return this.load(key, compute);
  }

  /** Recomputes a stale answer in the background; on failure the stale one stays. */
  private refresh(key: string, entry: CacheEntry, compute: () => Promise<unknown>): void {
    entry.refreshing = true;
    compute().then(
      (v) => this.answers.set(key, { at: this.now(), body: JSON.stringify(v) }),
      (error: unknown) => {
        entry.refreshing = false;
        this.log?.error({ err: error, path: key }, 'background refresh failed');
      },
    );
  }

  /** Computes an answer, shared by the requests that arrive meanwhile; failures are not kept. */
  private async load(key: string, compute: () => Promise<unknown>): Promise<string> {
    const pending = compute().then((v) => JSON.stringify(v));
    const entry: CacheEntry = { at: this.now(), pending };
    this.answers.set(key, entry);
    try {
      const body = await pending;
      this.answers.set(key, { at: this.now(), body });
      return body;
    } catch (error) {
      if (this.answers.get(key) === entry) this.answers.delete(key);
      throw error;
    }
  }
}

const preflight: ApiResponse = {
  statusCode: 204,
  headers: {
    'access-control-allow-methods': 'GET, HEAD, OPTIONS',
    'access-control-allow-headers': 'Authorization, Content-Type',
    'access-control-max-age': '600',
  },
  body: '',
};

const methodNotAllowed = (method: string): ApiResponse =>
  json(
    405,
    {
      error: 'method_not_allowed',
      message: `${method} is not supported: the API is read-only (GET)`,
    },
    { allow: 'GET, HEAD, OPTIONS' },
  );

/** Everything outside /api/: the favicon, the dashboard's assets, or a 404 pointing to both. */
function staticResponse(path: string): ApiResponse {
  if (path === '/favicon.ico')
    return { statusCode: 204, headers: { 'cache-control': 'max-age=86400' }, body: '' };
  const asset = dashboardAsset(path);
  return asset
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

/** A JSON error answer: the HttpError's own status, else a logged 500. */
function errorResponse(error: unknown, path: string, log: Log): ApiResponse {
  if (error instanceof HttpError)
    return json(error.statusCode, { error: error.error, message: error.message });
  log?.error({ err: error, path }, 'serving request failed');
  return json(500, { error: 'internal', message: 'the request failed; see the function log' });
}

/** The serving function's HTTP behaviour: dashboard, API routing, bearer auth, CORS, JSON errors. */
export function createApp(options: AppOptions) {
  const now = options.now ?? Date.now;
  const deps: Deps = { reader: options.reader, now, personal: options.personal };
  const apiRoutes = options.routes ?? routes;
  const compiled = compile(apiRoutes);
  const tokens = (options.tokens ?? []).map((token) => ({ digest: digest(token.token), token }));
  const openapi = JSON.stringify(openApiDocument(apiRoutes, { auth: tokens.length > 0 }));
  const cache = new AnswerCache(now, options.cacheMs ?? 1000, options.staleMs ?? 30_000, options.log);

  async function api(req: ApiRequest): Promise<ApiResponse> {
    const caller = authenticate(req, tokens);
    if ('denied' in caller) return caller.denied;
    if (req.path === '/api/v1/openapi.json')
      return (
        forbidden(caller.token, 'read') ?? {
          statusCode: 200,
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: openapi,
        }
      );
    const match = matchRoute(compiled, req.path);
    if (!match) throw new HttpError(404, 'not_found', `no endpoint ${req.path} (see /api/v1/openapi.json)`);
    const refused = forbidden(caller.token, match.route.scope);
    if (refused) return refused;
    // CSV is the JSON answer's rows rendered per request; `format` is accepted by every route.
    const csv = wantsCsv(req);
    const { format: _format, ...query } = req.query;
    if (_format !== undefined && _format !== 'csv' && _format !== 'json')
      throw new HttpError(400, 'bad_request', 'format must be json or csv');
    const input = { path: match.path, query };
    const body = await cache.get(cacheKey({ ...req, query }), () => match.route.run(input, deps));
    if (csv) {
      let rows: Record<string, unknown>[];
      try {
        rows = rowsOfAnswer(JSON.parse(body));
      } catch (error) {
        throw new HttpError(406, 'not_acceptable', (error as Error).message);
      }
      const name = req.path.replace(/^\/api\/v1\//, '').replace(/[^A-Za-z0-9_.-]+/g, '-');
      return {
        statusCode: 200,
        headers: {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename=${csvField(`${name}.csv`)}`,
          'cache-control': 'no-store',
        },
        body: toCsv(rows),
      };
    }
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
      body,
    };
  }

  async function respond(req: ApiRequest): Promise<ApiResponse> {
    if (req.method === 'OPTIONS') return preflight;
    if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(req.method);
    if (req.path.startsWith('/api/')) return api(req);
    return staticResponse(req.path);
  }

  async function handle(req: ApiRequest): Promise<ApiResponse> {
    const path = req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path;
    const request = { ...req, path };
    let response: ApiResponse;
    try {
      response = await respond(request);
    } catch (error) {
      response = errorResponse(error, path, options.log);
    }
    return { ...response, headers: { ...response.headers, ...corsHeaders(request, options.corsOrigins) } };
  }

  return { handle, routes: apiRoutes };
}

export type App = ReturnType<typeof createApp>;
