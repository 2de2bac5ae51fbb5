import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpPoster } from '../src/dispatch/http-post.ts';

let server: http.Server;
let url: string;
const seen: { headers: http.IncomingHttpHeaders; body: string; socket: unknown }[] = [];

beforeAll(async () => {
  server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      seen.push({ headers: request.headers, body: Buffer.concat(chunks).toString(), socket: request.socket });
      if (request.headers['x-hang']) return; // never answers: the caller's signal must end it
      response.writeHead(request.headers['x-status'] ? Number(request.headers['x-status']) : 202);
      response.end(`got ${chunks.length > 0 ? 'body' : 'nothing'}`);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sink`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('httpPoster', () => {
  it('posts headers and body and returns the status and body of the answer, over one kept-alive connection', async () => {
    const { post, close } = httpPoster(url, 1);
    const signal = new AbortController().signal;
    const first = await post(
      { 'ce-id': 'a', 'content-type': 'application/json' },
      Buffer.from('{"x":1}'),
      signal,
    );
    const second = await post({ 'ce-id': 'b', 'x-status': '503' }, Buffer.from('{}'), signal);
    close();
    expect(first).toEqual({ status: 202, body: 'got body' });
    expect(second).toEqual({ status: 503, body: 'got body' });
    const [a, b] = seen.slice(-2);
    expect([a!.headers['ce-id'], a!.headers['content-length'], a!.body]).toEqual(['a', '7', '{"x":1}']);
    expect(b!.socket).toBe(a!.socket);
  });

  it('fails an aborted attempt with the reason of the abort', async () => {
    const { post, close } = httpPoster(url, 1);
    const controller = new AbortController();
    const attempt = post({ 'x-hang': '1' }, Buffer.from('{}'), controller.signal);
    setTimeout(() => controller.abort(new Error('timed out after 50 ms')), 50);
    await expect(attempt).rejects.toThrow('timed out after 50 ms');
    close();
  });

  it('fails when nothing listens', async () => {
    const { post, close } = httpPoster('http://127.0.0.1:1/', 1);
    await expect(post({}, Buffer.from('{}'), new AbortController().signal)).rejects.toThrow(/ECONNREFUSED/);
    close();
  });
});
