/**
 * POSTs to one URL over keep-alive connections with node:http, for the local Kafka dispatcher and the
 * generator's HTTP sink: both pay their client's cost on every event, and `fetch` (undici) costs
 * several times what a plain `http.request` does per request.
 */
import http from 'node:http';
import https from 'node:https';
import type { AttemptResult } from './delivery.ts';

export type Post = (
  headers: Record<string, string>,
  body: Buffer,
  signal: AbortSignal,
) => Promise<AttemptResult>;

/** A poster to `url` keeping up to `sockets` connections open; `close` ends them. */
export function httpPoster(url: string, sockets: number): { post: Post; close: () => void } {
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : http;
  const agent = new transport.Agent({ keepAlive: true, maxSockets: sockets });
  const post: Post = (headers, body, signal) =>
    new Promise((resolve, reject) => {
      // An aborted attempt fails with the reason it was aborted for (delivery.ts: the timeout).
      const fail = (error: Error) => reject(signal.aborted ? signal.reason : error);
      const request = transport.request(
        target,
        { agent, method: 'POST', headers: { ...headers, 'content-length': body.byteLength }, signal },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          response.on('error', fail);
        },
      );
      request.on('error', fail);
      request.end(body);
    });
  return { post, close: () => agent.destroy() };
}
