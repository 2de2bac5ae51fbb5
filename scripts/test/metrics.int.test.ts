/**
 * The metrics the dashboards chart are really emitted by the running functions on the local stack: ingest,
 * speed and serving started from source under faas-js-runtime (one process each, as deployed) against the
 * stack's S3 and Cassandra; one request each; then GET /metrics holds the new series with non-zero values.
 * The batch job (a compaction of a day with no data: it only records its run) pushes to a stand-in
 * Pushgateway. Needs `npm run stack:up`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@ula/tools/free-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binaryRequest, post, sampleEvent } from '../../functions/ingest/test/events.ts';
import { localStackEnv } from '../e2e/stack-run.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const runtime = join(root, 'node_modules/faas-js-runtime/bin/cli.js');
const env: Record<string, string> = {
  ...localStackEnv(),
  ULA_S3_BUCKET: process.env['ULA_S3_BUCKET'] || 'lake',
  ULA_CASSANDRA_KEYSPACE: process.env['ULA_CASSANDRA_KEYSPACE'] || 'lms_analytics',
  ULA_INGEST_LINGER_MS: '0',
  FUNC_LOG_LEVEL: 'warn',
};

/** The value of the first series `name` whose labels include `labels` (any order). */
const value = (text: string, name: string, labels: Record<string, string> = {}) =>
  text
    .split('\n')
    .filter((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && !l.startsWith('#'))
    .filter((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
    .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)))[0];

const children: ChildProcess[] = [];
const urls: Record<string, string> = {};

async function startFunction(name: string): Promise<void> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', runtime, './src/index.ts'], {
    cwd: join(root, 'functions', name),
    env: { ...process.env, ...env, FUNC_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${output.slice(-2000)}`);
    try {
      if ((await fetch(`${url}/health/readiness`)).ok) {
        urls[name] = url;
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} not ready: ${output.slice(-2000)}`);
}

beforeAll(async () => {
  await Promise.all(['ingest', 'speed', 'serving'].map(startFunction));
});
afterAll(async () => {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  );
});

describe('metrics on the local stack', () => {
  it('ingest counts the acknowledged event and the lake file and bytes it wrote', async () => {
    const event = sampleEvent(3, new Date());
    expect((await post(`${urls['ingest']}/`, binaryRequest(event))).status).toBe(204);
    const text = await (await fetch(`${urls['ingest']}/metrics`)).text();
    expect(value(text, 'ula_ingest_events_accepted_total', { type: event.eventType })).toBeGreaterThan(0);
    expect(value(text, 'ula_ingest_files_written_total', { kind: 'raw' })).toBeGreaterThan(0);
    expect(value(text, 'ula_ingest_bytes_written_total', { kind: 'raw' })).toBeGreaterThan(0);
  });

  it('speed reports how fresh its views are', async () => {
    // A video event 5 s old is in the current window of every video view (60 s, aligned on minutes) only
    // when the minute is at least 5 s old: one sent in a minute's first 5 s lands in the closed window and
    // counts as `late` (seen in CI). Wait until the minute is 10-50 s old.
    while (new Date().getUTCSeconds() < 10 || new Date().getUTCSeconds() > 50)
      await new Promise((r) => setTimeout(r, 500));
    const event = sampleEvent(4, new Date(Date.now() - 5_000)); // a video event, 5 s old
    const answer = await post(`${urls['speed']}/`, binaryRequest(event));
    expect(answer.status).toBe(200);
    const text = await (await fetch(`${urls['speed']}/metrics`)).text();
    expect(value(text, 'ula_speed_newest_event_timestamp_seconds')).toBeCloseTo(
      Date.parse(event.time) / 1000,
      0,
    );
    expect(value(text, 'ula_speed_event_lag_seconds_count')).toBeGreaterThan(0);
    expect(value(text, 'ula_speed_events_total', { outcome: 'on_time' })).toBeGreaterThan(0);
  });

  it('serving times the API request by route and status', async () => {
    expect((await fetch(`${urls['serving']}/api/v1/health`)).status).toBe(200);
    const text = await (await fetch(`${urls['serving']}/metrics`)).text();
    expect(
      value(text, 'ula_serving_request_duration_seconds_count', { route: '/api/v1/health', status: '200' }),
    ).toBe(1);
    expect(
      value(text, 'ula_serving_request_duration_seconds_sum', { route: '/api/v1/health' }),
    ).toBeGreaterThan(0);
  });

  it('a batch run pushes its metrics to the Pushgateway', async () => {
    const pushes: { url: string; body: string }[] = [];
    const gateway: Server = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        pushes.push({ url: req.url ?? '', body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((ok) => gateway.listen(0, '127.0.0.1', ok));
    const gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
    try {
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            'src/index.ts',
            '--job',
            'compact',
            '--from',
            '2020-01-01',
            '--to',
            '2020-01-01',
          ],
          {
            cwd: join(root, 'functions/batch'),
            env: {
              ...process.env,
              ...env,
              ULA_PUSHGATEWAY_URL: gatewayUrl,
              ULA_BATCH_RUN_ID: `metrics-int-${Date.now()}`,
            },
            stdio: 'ignore',
          },
        );
        child.once('exit', resolve);
      });
      expect(code).toBe(0);
      expect(pushes.map((p) => p.url)).toEqual(['/metrics/job/ula-batch/batch_job/compact/status/succeeded']);
      expect(value(pushes[0]?.body ?? '', 'ula_batch_runs_total', { batch_job: 'compact' })).toBe(1);
      expect(value(pushes[0]?.body ?? '', 'ula_batch_last_run_timestamp_seconds')).toBeGreaterThan(0);
    } finally {
      await new Promise((ok) => gateway.close(ok));
    }
  });
});
