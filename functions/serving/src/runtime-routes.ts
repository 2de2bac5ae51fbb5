/**
 * faas-js-runtime 4.0.1 routes only `/` (GET, POST, OPTIONS) to the function, plus `/health/*` and
 * `/metrics`; any other path is Fastify's 404, and the function's context carries no URL. To serve
 * `/api/v1/...` and the dashboard assets from the same function, we subscribe to Fastify's public
 * `fastify.initialization` diagnostics channel (published when the runtime creates its server, after it
 * has called our `init`) and add `GET /*` and `OPTIONS /*` routes that call the same handler with the
 * path. The runtime's own routes are static and win over the wildcard. Nothing in node_modules changes.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { ApiRequest, ApiResponse } from './http.ts';

interface FRequest {
  url: string;
  method: string;
  query: unknown;
  headers: ApiRequest['headers'];
}
interface FReply {
  code(status: number): FReply;
  headers(values: Record<string, string>): FReply;
  send(payload?: unknown): FReply;
}
interface FInstance {
  get(path: string, handler: (req: FRequest, reply: FReply) => Promise<unknown>): void;
  options(path: string, handler: (req: FRequest, reply: FReply) => Promise<unknown>): void;
}

let current: ((req: ApiRequest) => Promise<ApiResponse>) | undefined;
let subscribed = false;

/** Routes every path of the next runtime servers of this process to `handle` (the latest one given). */
export function installPathRoutes(handle: (req: ApiRequest) => Promise<ApiResponse>): void {
  current = handle;
  if (subscribed) return;
  subscribed = true;
  subscribe('fastify.initialization', (message) => {
    const fastify = (message as { fastify: FInstance }).fastify;
    const serve = async (req: FRequest, reply: FReply) => {
      if (!current) return reply.code(503).send('not initialised');
      const answer = await current({
        method: req.method,
        path: req.url.split('?')[0] ?? '/',
        query: (req.query ?? {}) as Record<string, unknown>,
        headers: req.headers,
      });
      return reply.code(answer.statusCode).headers(answer.headers).send(answer.body);
    };
    fastify.get('/*', serve);
    fastify.options('/*', serve);
  });
}
