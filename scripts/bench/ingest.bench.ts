/**
 * Sustained ingest throughput of one function process over HTTP: binary CloudEvents from `connections`
 * concurrent keep-alive senders (closed-loop.ts: prebuilt requests on raw sockets, in this process), ack
 * latency p50/p99, events per file; and in the same run a no-op handler under the same runtime (the
 * ceiling), stock and with core's runtime hooks (http/runtime.ts: no CloudEvents-SDK decoding in the
 * runtime). Lake: the embedded local directory (fsync'd files) and, when reachable, the real S3
 * (ULA_S3_ENDPOINT, default http://127.0.0.1:9000). Also 2 processes side by side (each its own port
 * and files) to show how throughput adds up.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@ula/tools/free-port';
import { S3Store } from '../../functions/core/src/adapters/s3.ts';
import { toHttpBinary } from '../../functions/core/src/events/cloudevents.ts';
import { sampleEvent } from '../../functions/ingest/test/events.ts';
import { closedLoop, encodePost } from './closed-loop.ts';
import { noopFunction } from './noop-function.ts';
import type { Bench, BenchResult } from './result.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const runtimeCli = join(root, 'node_modules/faas-js-runtime/bin/cli.js');
const S3_ENDPOINT = process.env['ULA_S3_ENDPOINT'] || 'http://127.0.0.1:9000';
const AWS = {
  AWS_ACCESS_KEY_ID: process.env['AWS_ACCESS_KEY_ID'] || 'ula-local-access',
  AWS_SECRET_ACCESS_KEY: process.env['AWS_SECRET_ACCESS_KEY'] || 'ula-local-secret-key',
};

export interface Proc {
  child: ChildProcess;
  url: string;
}

export async function startFunction(bundle: string, cwd: string, env: Record<string, string>): Promise<Proc> {
  const port = await freePort();
  const child = spawn(process.execPath, [runtimeCli, bundle], {
    cwd,
    env: { ...process.env, ...AWS, FUNC_PORT: String(port), FUNC_LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/health/liveness`)).ok) return { child, url };
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${bundle} did not start`);
}

/** CPU time (user + system, ms) a process has used so far (Linux /proc). */
export async function cpuMs(p: Proc): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const fields = (await readFile(`/proc/${p.child.pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
}

export async function stop(p: Proc): Promise<void> {
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGTERM'); // graceful: flushes what is pending
  await exited;
}

/**
 * Request templates: binary CloudEvents of 2 categories in one UTC hour (live traffic: event time ≈ now), so a
 * flush writes one file per category; the id is replaced per request.
 */
function templates(): { headers: Record<string, string>; body: string }[] {
  const base = Date.UTC(2030, 0, 1);
  return Array.from({ length: 48 }, (_, i) => {
    const m = toHttpBinary(sampleEvent(i, new Date(base + i * 1000)));
    return { headers: m.headers as Record<string, string>, body: String(m.body) };
  });
}

interface Load {
  /** Answered 2xx. */
  events: number;
  eventsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  generatorCpuUs: number;
}

/** `count` POSTs of the templates, each with an id of its own (so none is a redelivery). */
function posts(port: number, count: number): Buffer[] {
  const t = templates();
  const prefix = randomUUID().slice(0, 24); // 8-4-4-4- ; the last 12 hex digits count requests
  return Array.from({ length: count }, (_, n) => {
    const tpl = t[n % t.length]!;
    const id = `${prefix}${n.toString(16).padStart(12, '0')}`;
    return encodePost(`127.0.0.1:${port}`, '/', { ...tpl.headers, 'ce-id': id }, tpl.body);
  });
}

/** The closed loop over `connections` sockets split between the processes, `perProcess` requests each. */
async function load(urls: string[], connections: number, seconds: number, perProcess: number): Promise<Load> {
  const targets = urls.map((url) => {
    const port = Number(new URL(url).port);
    return { port, requests: posts(port, perProcess) };
  });
  const result = await closedLoop(targets, Math.floor(connections / urls.length), seconds);
  let ok = 0;
  for (const [status, n] of result.statuses) if (status >= 200 && status < 300) ok += n;
  return {
    events: ok,
    eventsPerSecond: Math.round(ok / result.seconds),
    p50: Math.round(result.latencyMs.p50 * 10) / 10,
    p99: Math.round(result.latencyMs.p99 * 10) / 10,
    non2xx: result.answered - ok,
    generatorCpuUs: Math.round(result.generatorCpuUs * 10) / 10,
  };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line ? Number(line.split(' ').pop()) : Number.NaN;
}

const bench: Bench = {
  name: 'ingest',
  async run({ scale }): Promise<BenchResult> {
    const seconds = Math.max(3, Math.round(8 * scale));
    const connections = 128;
    execFileSync(process.execPath, ['scripts/build-functions.mjs', 'ingest'], { cwd: root });
    const ingestDir = join(root, 'functions/ingest');
    const work = await mkdtemp(join(tmpdir(), 'ula-ingest-bench-'));
    await mkdir(work, { recursive: true });
    await writeFile(join(work, 'package.json'), '{"type":"module"}');
    const figures: BenchResult['figures'] = { connections, 'seconds per run': seconds };
    const ratios: Record<string, number> = {};
    const notes: string[] = [];
    const cpuPerCore: Record<string, number> = {};
    const run = async (label: string, start: () => Promise<Proc[]>, ingest: boolean): Promise<Load> => {
      const procs = await start();
      const urls = procs.map((p) => p.url);
      // Warm-up, not counted; its rate sizes the pool of the measured run (room to grow by half).
      const warm = await load(urls, connections, 1, 30_000);
      const perProcess = Math.ceil(((warm.eventsPerSecond * 1.5) / urls.length) * seconds);
      const cpu0 = await Promise.all(procs.map(cpuMs));
      const total = await load(urls, connections, seconds, perProcess);
      const cpu1 = await Promise.all(procs.map(cpuMs));
      figures[`${label}: events/s`] = total.eventsPerSecond;
      // Load-independent figure: function CPU per event, and what one fully used core would sustain.
      const cpuPerEvent = (cpu1.reduce((a, b) => a + b, 0) - cpu0.reduce((a, b) => a + b, 0)) / total.events;
      figures[`${label}: function CPU µs per event`] = Math.round(cpuPerEvent * 1000);
      figures[`${label}: events/s per busy core (CPU-bound estimate)`] = Math.round(1000 / cpuPerEvent);
      cpuPerCore[label] = 1000 / cpuPerEvent;
      figures[`${label}: ack p50 / p99 ms`] = `${total.p50} / ${total.p99}`;
      figures[`${label}: load generator CPU µs per event`] = total.generatorCpuUs;
      if (total.non2xx > 0) figures[`${label}: non-2xx answers`] = total.non2xx;
      if (ingest) {
        const [sum, count] = await Promise.all([
          metric(procs[0]!.url, 'ula_ingest_file_events_sum{function="ingest",kind="raw"}'),
          metric(procs[0]!.url, 'ula_ingest_file_events_count{function="ingest",kind="raw"}'),
        ]);
        figures[`${label}: events per file`] = Math.round(sum / count);
        const [fsum, fcount] = await Promise.all([
          metric(procs[0]!.url, 'ula_ingest_flush_events_sum{function="ingest"}'),
          metric(procs[0]!.url, 'ula_ingest_flush_events_count{function="ingest"}'),
        ]);
        figures[`${label}: events per flush`] = Math.round(fsum / fcount);
      }
      await Promise.all(procs.map(stop));
      return total;
    };
    try {
      const stock = await noopFunction(root, work, { hooks: false, json: false });
      const hooked = await noopFunction(root, work, { hooks: true, json: false });
      const noopStock = await run(
        'no-op, stock runtime',
        async () => [await startFunction(stock, work, {})],
        false,
      );
      const noopHooked = await run(
        'no-op, runtime hooks',
        async () => [await startFunction(hooked, work, {})],
        false,
      );
      const local =
        (n: number, env: Record<string, string> = {}) =>
        async () =>
          Promise.all(
            Array.from({ length: n }, (_, i) =>
              startFunction('./build/index.js', ingestDir, { ULA_DATA_DIR: join(work, `data-${i}`), ...env }),
            ),
          );
      const ingestSdk = await run(
        'ingest (local dir), stock SDK decoding',
        local(1, { ULA_INGEST_SDK_DECODING: '1' }),
        true,
      );
      const ingest1 = await run('ingest (local dir)', local(1), true);
      // The same closed loop against the policy before the linger (a 2 ms silence closes every batch).
      const noLinger = await run(
        'ingest (local dir), no linger',
        local(1, { ULA_INGEST_LINGER_MS: '0' }),
        true,
      );
      ratios['ingest with linger / without, at saturation'] =
        ingest1.eventsPerSecond / noLinger.eventsPerSecond;
      ratios['ingest / no-op (stock runtime)'] = ingest1.eventsPerSecond / noopStock.eventsPerSecond;
      ratios['ingest / no-op ceiling (both with hooks)'] =
        ingest1.eventsPerSecond / noopHooked.eventsPerSecond;
      ratios['ingest (SDK decoding) / no-op (stock runtime)'] =
        ingestSdk.eventsPerSecond / noopStock.eventsPerSecond;
      ratios['no-op hooked / no-op stock (ceiling raised)'] =
        noopHooked.eventsPerSecond / noopStock.eventsPerSecond;
      const ingest2 = await run('ingest (local dir), 2 processes', local(2), true);
      ratios['2 processes / 1 process'] = ingest2.eventsPerSecond / ingest1.eventsPerSecond;
      const s3 = new S3Store({ bucket: process.env['ULA_S3_BUCKET'] || 'lake', endpoint: S3_ENDPOINT });
      Object.assign(process.env, AWS);
      const s3Up = await s3.health().then(
        () => true,
        () => false,
      );
      if (s3Up) {
        const ingestS3 = await run(
          'ingest (S3)',
          async () => [await startFunction('./build/index.js', ingestDir, { ULA_S3_ENDPOINT: S3_ENDPOINT })],
          true,
        );
        ratios['ingest S3 / no-op ceiling'] = ingestS3.eventsPerSecond / noopHooked.eventsPerSecond;
        for (const o of await s3.list('raw/'))
          if (o.key.includes('/date=2030-01-01/')) await s3.delete(o.key);
      } else {
        notes.push(`S3 not reachable at ${S3_ENDPOINT}: S3 run skipped`);
      }
      s3.close();
      notes.push(
        `machine: ${(await import('node:os')).cpus().length} CPUs shared by load generator and function(s)`,
      );
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    return { name: 'ingest', figures, ratios, notes };
  },
};
export default bench;
