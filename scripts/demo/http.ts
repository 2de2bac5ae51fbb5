/**
 * The serving function's HTTP surface in the embedded demo: a loopback node:http server that hands each
 * request to serving's exported `handle` with the context faas-js-runtime (plus serving's runtime-routes)
 * gives it: method, path, query, headers.
 */
import { createServer, type Server } from 'node:http';

export interface ApiContext {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
}
type ApiHandle = (
  context: ApiContext,
) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;

export function queryOf(search: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of search) {
    const prior = query[name];
    query[name] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  return query;
}

export function serveFunctionApi(handle: ApiHandle, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS') {
      res.writeHead(405, { 'content-type': 'application/json' }).end('{"error":"method_not_allowed"}');
      return;
    }
    handle({
      method: req.method === 'HEAD' ? 'GET' : req.method,
      path: url.pathname,
      query: queryOf(url.searchParams),
      headers: req.headers,
    }).then(
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        res.end(req.method === 'HEAD' ? undefined : answer.body);
      },
      (error: { code?: unknown; message?: string }) => {
        const status = typeof error.code === 'number' ? error.code : 500;
        res.writeHead(status, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            error: status >= 500 ? 'internal' : 'error',
            message: error.message ?? String(error),
          }),
        );
      },
    );
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok(server);
    });
  });
}
