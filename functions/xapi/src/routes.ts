/**
 * faas-js-runtime 4.0.1 routes only `/` (GET, POST, OPTIONS) to the function; an LRS needs
 * `<base>/statements` with PUT as well as POST, and `<base>/about`. As serving does (runtime-routes.ts
 * there), we subscribe to Fastify's public `fastify.initialization` diagnostics channel, published when the
 * runtime creates its server after calling our `init`, and add a wildcard route for every method the LRS
 * answers, with the LRS's own body limit and error handler (413 and unreadable bodies answered in the xAPI
 * form). The runtime's own routes (`/`, `/health/*`, `/metrics`) are static and win over the wildcard.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { LrsRequest, LrsResponse } from './lrs.ts';

interface FRequest {
  url: string;
  method: string;
  query: unknown;
  headers: LrsRequest['headers'];
  body?: unknown;
}
interface FReply {
  code(status: number): FReply;
  headers(values: Record<string, string>): FReply;
  send(payload?: unknown): FReply;
}
interface FInstance {
  route(options: {
    method: string[];
    url: string;
    bodyLimit: number;
    handler: (req: FRequest, reply: FReply) => Promise<unknown>;
    errorHandler: (error: Error & { statusCode?: number }, req: FRequest, reply: FReply) => unknown;
  }): void;
}

export interface LrsRoutes {
  handle(request: LrsRequest): Promise<LrsResponse>;
  handleRequestError(request: LrsRequest, error: { statusCode?: number; message: string }): LrsResponse;
}

const requestOf = (req: FRequest): LrsRequest => ({
  method: req.method,
  path: req.url.split('?')[0] ?? '/',
  query: (req.query ?? {}) as Record<string, unknown>,
  headers: req.headers,
  body: req.body,
});

const send = (reply: FReply, answer: LrsResponse) =>
  reply
    .code(answer.statusCode)
    .headers(answer.headers)
    .send(answer.body === undefined ? undefined : JSON.stringify(answer.body));

/** Routes every path and method of the next runtime servers of this process to `routes`; returns an uninstaller. */
export function installLrsRoutes(routes: () => LrsRoutes | undefined, bodyLimit: number): () => void {
  const listener = (message: unknown): void => {
    const fastify = (message as { fastify: FInstance }).fastify;
    fastify.route({
      method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'],
      url: '/*',
      bodyLimit,
      handler: async (req, reply) => {
        const lrs = routes();
        if (!lrs) return reply.code(503).send('not initialised');
        return send(reply, await lrs.handle(requestOf(req)));
      },
      errorHandler: (error, req, reply) => {
        const lrs = routes();
        const status = error.statusCode ?? 500;
        if (!lrs || status >= 500) return reply.code(status).send(error.message);
        return send(
          reply,
          lrs.handleRequestError(requestOf(req), { statusCode: status, message: error.message }),
        );
      },
    });
  };
  subscribe('fastify.initialization', listener);
  return () => unsubscribe('fastify.initialization', listener);
}
