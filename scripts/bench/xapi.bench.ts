/**
 * `npm run bench -- xapi`: statements per second and answer latency of one xapi function process (the LRS)
 * against the ingest function measured in the same run and setting as ingest.bench.ts: one process each
 * under faas-js-runtime, embedded local-directory lake (fsync'd files), a closed loop of 128 keep-alive
 * connections (closed-loop.ts). ingest gets one binary CloudEvent per request; xapi one statement per
 * request (its peer), then arrays of 50. Every xapi statement is a login of an LMS account, so each stores
 * a lake row, a registry row (SQLite) and one derived event, which the function POSTs to a sink process on
 * loopback that answers 202 at once (the stand-in for the Knative KafkaSink it posts to in the cluster).
 * The target of issue 23: xapi statements/s ≥ 0.5 × ingest events/s.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toHttpBinary } from '../../functions/core/src/events/cloudevents.ts';
import { sampleEvent } from '../../functions/ingest/test/events.ts';
import { closedLoop, encodePost } from './closed-loop.ts';
import { cpuMs, freePort, type Proc, startFunction, stop } from './ingest.bench.ts';
import type { Bench, BenchResult } from './result.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const home = 'https://lms.example.edu';
const credentials = { key: 'bench', secret: 'bench-secret' };
const connections = 128;

interface Load {
  requests: number;
  itemsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
}

/** `count` ingest requests: binary CloudEvents of 48 templates, each with an id of its own. */
function ingestPosts(port: number, count: number): Buffer[] {
  const base = Date.UTC(2030, 0, 1);
  const templates = Array.from({ length: 48 }, (_, i) => {
    const m = toHttpBinary(sampleEvent(i, new Date(base + i * 1000)));
    return { headers: m.headers as Record<string, string>, body: String(m.body) };
  });
  const prefix = randomUUID().slice(0, 24);
  return Array.from({ length: count }, (_, n) => {
    const t = templates[n % templates.length]!;
    return encodePost(
      `127.0.0.1:${port}`,
      '/',
      { ...t.headers, 'ce-id': `${prefix}${n.toString(16).padStart(12, '0')}` },
      t.body,
    );
  });
}

/** `count` xapi requests of `perRequest` login statements each (ids of their own, 48 users, one UTC hour). */
function xapiPosts(port: number, count: number, perRequest: number): Buffer[] {
  const prefix = randomUUID().slice(0, 24);
  const authorization = `Basic ${Buffer.from(`${credentials.key}:${credentials.secret}`).toString('base64')}`;
  const headers = { 'content-type': 'application/json', 'x-experience-api-version': '1.0.3', authorization };
  let n = 0;
  const statement = () => {
    const i = n++;
    return {
      id: `${prefix}${i.toString(16).padStart(12, '0')}`,
      actor: {
        objectType: 'Agent',
        account: { homePage: home, name: `SV${String(i % 48).padStart(5, '0')}` },
      },
      verb: { id: 'https://w3id.org/xapi/adl/verbs/logged-in', display: { 'en-US': 'logged in' } },
      object: { objectType: 'Activity', id: home },
      timestamp: new Date(Date.UTC(2030, 0, 1) + (i % 3600) * 1000).toISOString(),
    };
  };
  return Array.from({ length: count }, () => {
    const body = perRequest === 1 ? statement() : Array.from({ length: perRequest }, statement);
    return encodePost(`127.0.0.1:${port}`, '/xapi/statements', headers, JSON.stringify(body));
  });
}

async function load(
  url: string,
  seconds: number,
  requests: (port: number) => Buffer[],
  perRequest: number,
): Promise<Load> {
  const port = Number(new URL(url).port);
  const result = await closedLoop([{ port, requests: requests(port) }], connections, seconds);
  let ok = 0;
  for (const [status, n] of result.statuses) if (status >= 200 && status < 300) ok += n;
  return {
    requests: ok,
    itemsPerSecond: Math.round((ok * perRequest) / result.seconds),
    p50: Math.round(result.latencyMs.p50 * 10) / 10,
    p99: Math.round(result.latencyMs.p99 * 10) / 10,
    non2xx: result.answered - ok,
  };
}

/** A process that answers every POST 202 at once: the KafkaSink stand-in, off the load generator's process. */
async function startSink(): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('node:http').createServer((q, s) => { q.resume(); q.on('end', () => s.writeHead(202).end()); }).listen(${port}, '127.0.0.1', () => console.log('up'));`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  return { child, port };
}

const bench: Bench = {
  name: 'xapi',
  async run({ scale }): Promise<BenchResult> {
    const seconds = Math.max(3, Math.round(8 * scale));
    for (const name of ['ingest', 'xapi'])
      execFileSync(process.execPath, ['scripts/build-functions.mjs', name], { cwd: root });
    const work = await mkdtemp(join(tmpdir(), 'ula-xapi-bench-'));
    const sink = await startSink();
    const figures: BenchResult['figures'] = { connections, 'seconds per run': seconds };
    const ratios: Record<string, number> = {};
    const run = async (
      label: string,
      start: () => Promise<Proc>,
      requests: (port: number, count: number) => Buffer[],
      perRequest: number,
      unit: string,
    ): Promise<Load> => {
      const proc = await start();
      // Warm-up, not counted; its rate sizes the pool of the measured run (room to grow by half).
      const warm = await load(
        proc.url,
        1,
        (port) => requests(port, Math.ceil(20_000 / perRequest)),
        perRequest,
      );
      const pool = Math.ceil(((warm.itemsPerSecond * 1.5) / perRequest) * seconds) + connections;
      const cpu0 = await cpuMs(proc);
      const measured = await load(proc.url, seconds, (port) => requests(port, pool), perRequest);
      const cpu1 = await cpuMs(proc);
      figures[`${label}: ${unit}/s`] = measured.itemsPerSecond;
      figures[`${label}: answer p50 / p99 ms`] = `${measured.p50} / ${measured.p99}`;
      figures[`${label}: function CPU µs per ${unit.replace(/s$/, '')}`] = Math.round(
        ((cpu1 - cpu0) * 1000) / (measured.requests * perRequest),
      );
      if (measured.non2xx > 0) figures[`${label}: non-2xx answers`] = measured.non2xx;
      await stop(proc);
      return measured;
    };
    try {
      const ingest = await run(
        'ingest (local dir), 1 event per request',
        () =>
          startFunction('./build/index.js', join(root, 'functions/ingest'), {
            ULA_DATA_DIR: join(work, 'ingest'),
          }),
        ingestPosts,
        1,
        'events',
      );
      const xapiEnv = (dir: string) => ({
        ULA_DATA_DIR: join(work, dir),
        ULA_XAPI_CREDENTIALS: `${credentials.key}:${credentials.secret}:statements/write`,
        ULA_XAPI_SINK: 'http',
        ULA_XAPI_SINK_URL: `http://127.0.0.1:${sink.port}/ula/{category}-sink`,
        ULA_XAPI_HOME_PAGE: home,
      });
      const single = await run(
        'xapi (local dir, SQLite registry), 1 statement per request',
        () => startFunction('./build/index.js', join(root, 'functions/xapi'), xapiEnv('xapi-1')),
        (port, count) => xapiPosts(port, count, 1),
        1,
        'statements',
      );
      const arrays = await run(
        'xapi (local dir, SQLite registry), arrays of 50',
        () => startFunction('./build/index.js', join(root, 'functions/xapi'), xapiEnv('xapi-50')),
        (port, count) => xapiPosts(port, count, 50),
        50,
        'statements',
      );
      ratios['xapi statements/s / ingest events/s (1 per request; target >= 0.5)'] =
        single.itemsPerSecond / ingest.itemsPerSecond;
      ratios['xapi statements/s in arrays of 50 / ingest events/s'] =
        arrays.itemsPerSecond / ingest.itemsPerSecond;
    } finally {
      sink.child.kill('SIGTERM');
      await rm(work, { recursive: true, force: true });
    }
    return {
      name: 'xapi',
      figures,
      ratios,
      notes: [
        `machine: ${(await import('node:os')).cpus().length} CPUs shared by load generator, function and sink`,
      ],
    };
  },
};
export default bench;
