// biome-ignore-all lint/suspicious/noExplicitAny: tests read untyped JSON answers
/** Starts the serving function under faas-js-runtime (as `npm start` does) on a free port. */
import type { Server } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import runtime from 'faas-js-runtime';

const { start } = runtime as unknown as { start: (module: unknown, options: unknown) => Promise<Server> };

export interface Running {
  url: string;
  get(
    path: string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; headers: Headers; body: any; text: string }>;
  close(): Promise<void>;
}

export async function startServing(env: Record<string, string | undefined>): Promise<Running> {
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const module = await import('../src/index.ts');
  // The runtime treats port 0 as "default 8080": find a free port first.
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const free = (probe.address() as AddressInfo).port;
      probe.close(() => resolve(free));
    });
  });
  const server = await start(module, { port, logLevel: 'error' });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async get(path, headers = {}) {
      const res = await fetch(url + path, { headers });
      const text = await res.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: res.status, headers: res.headers, body, text };
    },
    async close() {
      await module.shutdown();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
