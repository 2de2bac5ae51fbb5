/**
 * The serving function: analytics API (/api/v1/...) and dashboard (/). HTTP function under
 * faas-js-runtime: `handle(context)` answers what the runtime routes to `/`; other paths reach the same
 * app through runtime-routes.ts. Context: `method`, `query`, `headers`, `log` (the runtime's Context).
 */
import { allTables, localCalendar, openViewStore, type ViewStore } from '@ula/core';
import { lakeStore } from '@ula/core/adapters/object-stores';
import { installRuntimeHooks } from '@ula/core/http/runtime';
import { PersonalDirectory } from '@ula/core/privacy/directory';
import { ServingReader } from '@ula/core/serving/reader';
import { createApp } from './app.ts';
import type { ApiRequest, ApiResponse } from './http.ts';
import { instrumentHandle, servingRegistry } from './metrics.ts';
import { installPathRoutes } from './runtime-routes.ts';
import { loadServingSettings } from './settings.ts';

let store: ViewStore | undefined;
let app: { handle(req: ApiRequest): Promise<ApiResponse> } | undefined;
let uninstallHooks: (() => void) | undefined;
let schemaProblem: string | undefined;
let corsOrigins: string[] = [];

export async function init(): Promise<void> {
  const settings = loadServingSettings();
  const { config } = settings;
  corsOrigins = settings.corsOrigins;
  store = openViewStore(config);
  // Embedded: creates the tables. Cassandra: checks them; a mismatch is reported by readiness, not a crash loop.
  schemaProblem = await store.ensureTables(allTables).then(
    () => undefined,
    (e: unknown) => (e instanceof Error ? e.message : String(e)),
  );
  if (schemaProblem)
    console.error(JSON.stringify({ level: 'error', msg: 'view schema check failed', error: schemaProblem }));
  const reader = new ServingReader(store, {
    calendar: localCalendar(config.timeZone),
    thresholds: settings.thresholds,
  });
  const created = createApp({
    reader,
    ...(settings.pii === 'store' ? { personal: new PersonalDirectory(lakeStore(config)) } : {}),
    tokens: settings.apiTokens,
    corsOrigins,
    cacheMs: settings.apiCacheMs,
    log: {
      error: (o, m) =>
        console.error(
          JSON.stringify({ level: 'error', msg: m, detail: String((o as { err?: unknown }).err) }),
        ),
    },
  });
  app = { handle: instrumentHandle(created.handle, created.routes) };
  installPathRoutes(app.handle);
  // The function's registry (request latency by route) on the runtime's /metrics; request parsing stays the runtime's.
  uninstallHooks?.();
  uninstallHooks = installRuntimeHooks({ sdkDecoding: true, registries: [servingRegistry] });
}

export async function handle(context: Partial<ApiRequest> & { method?: string }, _body?: unknown) {
  if (!app) throw Object.assign(new Error('serving function not initialised'), { code: 503 });
  return app.handle({
    method: context.method ?? 'GET',
    path: context.path ?? '/',
    query: (context.query ?? {}) as Record<string, unknown>,
    headers: context.headers ?? {},
  });
}

export async function shutdown(): Promise<void> {
  await store?.close();
}

interface Reply {
  code(status: number): Reply;
  header(name: string, value: string): Reply;
  send(body: string): void;
}

let schemaCheckedAt = 0;

/** Ready when the view store answers and holds the declared tables (re-checked every 10 s until it does). */
export const readiness = async (_request: unknown, reply: Reply) => {
  reply.header('content-type', 'text/plain; charset=utf-8');
  try {
    await store?.health();
    if (schemaProblem && store && Date.now() - schemaCheckedAt > 10_000) {
      schemaCheckedAt = Date.now();
      schemaProblem = await store.ensureTables(allTables).then(
        () => undefined,
        (e: unknown) => (e instanceof Error ? e.message : String(e)),
      );
    }
    if (schemaProblem) return reply.code(503).send(schemaProblem);
    return reply.code(200).send('OK');
  } catch (e) {
    return reply.code(503).send(`view store unreachable: ${e instanceof Error ? e.message : String(e)}`);
  }
};

/** Browser origins allowed to call the API (ULA_CORS_ORIGINS, comma-separated); none by default. */
export const cors = () => corsOrigins;
