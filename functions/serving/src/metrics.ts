/**
 * The serving function's Prometheus metrics, served on the runtime's /metrics (installRuntimeHooks in
 * index.ts): request latency of the API and the dashboard by route template and status.
 */
import { functionRegistry, Histogram } from '@ula/core/http/metrics';
import type { ApiRequest, ApiResponse } from './http.ts';

export const servingRegistry = functionRegistry('serving');
const registers = [servingRegistry];

export const servingMetrics = {
  requestSeconds: new Histogram({
    name: 'ula_serving_request_duration_seconds',
    help: 'Time to answer a request, by route (the API path template, openapi, dashboard, other) and HTTP status.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  }),
};

/**
 * The `route` label of a path: the template of the API route it matches (`/api/v1/views/{view}`), so a
 * label never holds an id; `/api/v1/openapi.json`; `dashboard` for the rest of GET (page and assets);
 * `other` for an unknown API path. Bounded by the number of routes.
 */
export function routeLabeller(routes: readonly { path: string }[]): (path: string) => string {
  const compiled = routes.map((r) => ({
    label: r.path,
    pattern: new RegExp(`^${r.path.replace(/\{\w+\}/g, '[^/]+')}$`),
  }));
  return (raw) => {
    const path = raw.length > 1 ? raw.replace(/\/+$/, '') : raw;
    if (!path.startsWith('/api/')) return 'dashboard';
    if (path === '/api/v1/openapi.json') return path;
    return compiled.find((c) => c.pattern.test(path))?.label ?? 'other';
  };
}

const methods = new Set(['GET', 'HEAD', 'OPTIONS', 'POST']);

/** `handle` timed into ula_serving_request_duration_seconds. */
export function instrumentHandle(
  handle: (req: ApiRequest) => Promise<ApiResponse>,
  routes: readonly { path: string }[],
): (req: ApiRequest) => Promise<ApiResponse> {
  const routeOf = routeLabeller(routes);
  return async (req) => {
    const started = process.hrtime.bigint();
    let status = 500;
    try {
      const response = await handle(req);
      status = response.statusCode;
      return response;
    } finally {
      servingMetrics.requestSeconds.observe(
        {
          route: routeOf(req.path),
          method: methods.has(req.method) ? req.method : 'other',
          status: String(status),
        },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    }
  };
}
