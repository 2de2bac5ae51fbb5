/**
 * Serving latency under load. The serving function is built (esbuild bundle, as deployed) and started
 * under the faas-js-runtime CLI in its own process, on Cassandra when the local stack runs (a scratch
 * keyspace seeded with a simulated week: 500 students, 40 courses) or on the embedded SQLite store
 * otherwise. This, a second, process then holds a steady 200 requests/s (× --scale; open loop,
 * `open-loop.ts`) for 10 s on each overview endpoint the dashboard calls, plus 20 s mixed over all of
 * them, and reports p50/p99 latency from each request's due time. The same mixed load as autocannon
 * sends it (bursts at the start of every second) is reported beside it. Target: p99 < 50 ms.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allTables, localCalendar, openViewStore, type ViewStore } from '../../functions/core/src/index.ts';
import { richScenario, seed } from '../../functions/serving/test/fixture.ts';
import { recreateKeyspace } from '../e2e/stack-run.ts';
import { openLoop } from './open-loop.ts';
import type { Bench, BenchResult } from './result.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const keyspace = 'ula_serving_bench';
const calendar = localCalendar('Asia/Ho_Chi_Minh');

interface AutocannonResult {
  latency: { p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;

const endpoints = [
  '/api/v1/summary',
  '/api/v1/health',
  '/api/v1/daily-active-users',
  '/api/v1/course-popularity?limit=10',
  '/api/v1/recent-activity?hours=1',
  '/api/v1/active-users?hours=6',
  '/api/v1/realtime/videos?hours=1&limit=10',
  '/api/v1/engagement-distribution',
];

/** CPU seconds (user + system) a process has used so far (Linux /proc). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const port = (probe.address() as { port: number }).port;
      probe.close(() => resolve(port));
    });
  });
}

/** A fresh scratch keyspace on the local stack's Cassandra, or false when Cassandra is not there. */
async function cassandraUp(contactPoints: string[]): Promise<boolean> {
  try {
    await recreateKeyspace(contactPoints.join(','), keyspace);
    return true;
  } catch (error) {
    process.stdout.write(
      `  Cassandra not reachable (${(error as Error).message.split('\n')[0]}): embedded store only\n`,
    );
    return false;
  }
}

async function waitReady(url: string, child: ChildProcess) {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`serving function exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/health/readiness`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('serving function did not become ready');
}

const bench: Bench = {
  name: 'serving',
  async run({ scale }): Promise<BenchResult> {
    const rate = Math.round(200 * scale);
    const contactPoints = (process.env['ULA_CASSANDRA_CONTACT_POINTS'] ?? '127.0.0.1').split(',');
    const onCassandra = await cassandraUp(contactPoints);
    const dataDir = mkdtempSync(join(tmpdir(), 'ula-serving-bench-'));
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      ULA_TIMEZONE: 'Asia/Ho_Chi_Minh',
    };
    delete env['ULA_API_TOKEN'];
    let store: ViewStore;
    if (onCassandra) {
      Object.assign(env, {
        ULA_CASSANDRA_CONTACT_POINTS: contactPoints.join(','),
        ULA_CASSANDRA_KEYSPACE: keyspace,
      });
      store = openViewStore({
        cassandra: { contactPoints, localDataCenter: 'datacenter1', keyspace },
        dataDir,
      });
    } else {
      delete env['ULA_CASSANDRA_CONTACT_POINTS'];
      env['ULA_DATA_DIR'] = dataDir;
      store = openViewStore({ cassandra: undefined, dataDir });
      await store.ensureTables(allTables);
    }
    const s = richScenario(calendar, 500, 40, 20_000);
    process.stdout.write(
      `  seeding ${s.events.length} events into ${onCassandra ? `Cassandra ${keyspace}` : 'SQLite'}…\n`,
    );
    await seed(store, s, calendar);
    await store.close();

    execFileSync('node', [join(root, 'scripts/build-functions.mjs'), 'serving'], { stdio: 'inherit' });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(
      process.execPath,
      [join(root, 'node_modules/faas-js-runtime/bin/cli.js'), './build/index.js', '--port', String(port)],
      { cwd: join(root, 'functions/serving'), env, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    const figures: Record<string, number | string> = {};
    const notes: string[] = [];
    try {
      await waitReady(url, child);
      // Warm the caches the way a running dashboard would, then measure each endpoint on its own at a
      // steady rate (open loop), then all of them mixed: steady, and as autocannon's bursts.
      await openLoop(url, endpoints, rate, 8);
      let worstP99 = 0;
      const failed = (path: string, n: number) => {
        if (n > 0) notes.push(`${path}: ${n} failed requests`);
      };
      for (const path of endpoints) {
        const r = await openLoop(url, [path], rate, 10);
        const name = path.replace('/api/v1/', '').replace(/\?.*/, '');
        figures[`${name} p50 / p99 ms`] = `${r.p50} / ${r.p99}`;
        worstP99 = Math.max(worstP99, r.p99);
        failed(path, r.failures);
      }
      const cpuBefore = cpuSeconds(child.pid);
      const mixed = await openLoop(url, endpoints, rate, 20);
      const cpuUsed = cpuSeconds(child.pid) - cpuBefore;
      failed('mixed', mixed.failures);
      figures['function CPU ms per request (mixed)'] = Math.round((cpuUsed * 1000 * 100) / mixed.sent) / 100;
      figures['mixed steady p50 / p90 / p99 / max ms'] =
        `${mixed.p50} / ${mixed.p90} / ${mixed.p99} / ${mixed.max}`;
      const name = 'autocannon'; // untyped package: import by name, typed locally
      const autocannon = (await import(name)).default as Autocannon;
      const bursts = await autocannon({
        url,
        connections: 16,
        overallRate: rate,
        duration: 20,
        requests: endpoints.map((path) => ({ method: 'GET', path })),
      });
      failed('autocannon mixed', bursts.non2xx + bursts.errors + bursts.timeouts);
      figures['mixed autocannon bursts p50 / p90 / p99 / max ms'] =
        `${bursts.latency.p50} / ${bursts.latency.p90} / ${bursts.latency.p99} / ${bursts.latency.max}`;
      figures['worst endpoint p99 ms (steady)'] = worstP99;
      figures['target p99 ms'] = 50;
      figures['store'] = onCassandra ? 'cassandra' : 'sqlite';
      figures['offered rate req/s'] = rate;
      figures['machine'] = `${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}`;
      notes.push(
        `function bundled and run under faas-js-runtime in its own process; load from the bench process: steady = open loop, one request every ${1000 / rate} ms on keep-alive connections, latency from each request's due time (no coordinated omission); autocannon bursts = 16 connections each sending its per-second quota back to back at the start of every second; ${s.events.length} events seeded`,
      );
      if (mixed.p99 >= 50 || worstP99 >= 50) notes.push('p99 target (50 ms) NOT met at a steady rate');
      return {
        name: 'serving',
        figures,
        ratios: {
          'mixed steady p99 / 50 ms target': mixed.p99 / 50,
          'mixed autocannon-bursts p99 / steady p99': bursts.latency.p99 / mixed.p99,
        },
        notes,
      };
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};

export default bench;
