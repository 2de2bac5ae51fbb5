/**
 * Ingest at live rates: one ingest process (local lake) fed at a steady 50 events/s over HTTP with live
 * events of the generator (its category mix, late events included, event time = now), as Knative's
 * unordered KafkaSource delivers them: every event sent when due, many requests in flight. Reports
 * events per written file and ack latency, for each linger (`--lingers 0,3000`; 0 is the policy before the
 * linger, a 2 ms silence closing every batch). Targets: ≥ 25 events per file, ack p99 < 5 s.
 */

import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createUniversity, type GeneratedItem, live } from '@ula/tools/generator/index';
import { requestOf } from '../demo/events.ts';
import { startFunction, stop } from './ingest.bench.ts';
import type { Bench, BenchResult } from './result.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const rate = 50;

function post(agent: Agent, url: URL, headers: Record<string, string>, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { agent, method: 'POST', headers: { ...headers, 'content-length': body.length } },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

/** Raw Parquet files and the events they hold (from the files' row counts in the metrics is not needed: count keys). */
async function lakeFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else if (e.name.endsWith('.parquet')) out.push(join(d, e.name));
    }
  };
  await walk(dir);
  return out;
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;

const bench: Bench = {
  name: 'ingest-live',
  async run({ scale, flags }): Promise<BenchResult> {
    const seconds = Math.max(20, Math.round(60 * scale));
    const lingers = String(flags['lingers'] ?? '0,3000')
      .split(',')
      .map(Number);
    execFileSync(process.execPath, ['scripts/build-functions.mjs', 'ingest'], { cwd: root });
    const ingestDir = join(root, 'functions/ingest');
    const university = createUniversity({ seed: 'ingest-live', students: 3000 });
    const figures: BenchResult['figures'] = { 'rate (events/s)': rate, 'seconds per run': seconds };
    const ratios: Record<string, number> = {};
    const perFile = new Map<number, number>();
    for (const linger of lingers) {
      const work = await mkdtemp(join(tmpdir(), 'ula-ingest-live-'));
      const proc = await startFunction('./build/index.js', ingestDir, {
        ULA_DATA_DIR: work,
        ULA_INGEST_LINGER_MS: String(linger),
      });
      // Knative's unordered KafkaSource allows hundreds of requests in flight (eventing/): so does this client.
      const agent = new Agent({ keepAlive: true, maxSockets: 2048 });
      const url = new URL(proc.url);
      const latencies: number[] = [];
      let failures = 0;
      let sent = 0;
      const inFlight = new Set<Promise<void>>();
      const items = live(university, {
        rate,
        seed: `ingest-live-${randomUUID()}`,
        malformedRate: 0,
        timeZone: 'Asia/Ho_Chi_Minh',
        signal: AbortSignal.timeout(seconds * 1000),
      });
      for await (const item of items as AsyncIterable<GeneratedItem>) {
        const { headers, body } = requestOf(item);
        const t0 = performance.now();
        sent++;
        const p = post(agent, url, headers, body).then(
          (status) => {
            if (status >= 200 && status < 300) latencies.push(performance.now() - t0);
            else failures++;
          },
          () => {
            failures++;
          },
        );
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      await Promise.all(inFlight);
      agent.destroy();
      await stop(proc);
      const files = await lakeFiles(join(work, 'lake', 'raw'));
      let bytes = 0;
      for (const f of files) bytes += (await stat(f)).size;
      latencies.sort((a, b) => a - b);
      const label = `linger ${linger} ms`;
      const eventsPerFile = latencies.length / Math.max(1, files.length);
      perFile.set(linger, eventsPerFile);
      figures[`${label}: events acked / failed`] = `${latencies.length} / ${failures} of ${sent}`;
      figures[`${label}: files written`] = files.length;
      figures[`${label}: events per file`] = Math.round(eventsPerFile * 10) / 10;
      figures[`${label}: mean file KiB`] = Math.round(bytes / Math.max(1, files.length) / 102.4) / 10;
      figures[`${label}: ack p50 / p99 / max ms`] =
        `${Math.round(percentile(latencies, 0.5))} / ${Math.round(percentile(latencies, 0.99))} / ${Math.round(latencies.at(-1) ?? Number.NaN)}`;
      await rm(work, { recursive: true, force: true });
    }
    const base = perFile.get(0);
    if (base !== undefined)
      for (const [linger, n] of perFile)
        if (linger !== 0) ratios[`events per file, linger ${linger} / none`] = n / base;
    return { name: 'ingest-live', figures, ratios, notes: ['targets: ≥ 25 events per file, ack p99 < 5 s'] };
  },
};
export default bench;
