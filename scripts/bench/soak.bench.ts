/**
 * `npm run bench -- soak [--days 28] [--students 3000] [--stack] [--compaction-days N]`: the whole embedded pipeline through
 * simulated weeks (soak/pipeline.ts); `--stack` puts the lake on the local stack's S3 (bucket `soak`) and
 * the views in its Cassandra (keyspace `lms_soak`), where speed rows expire by Cassandra's own clock. Prints a table per simulated day, checks the targets, and writes
 * bench-results/soak-<time>.json and .svg (the series drawn day by day).
 *
 * Targets: files per closed partition ≤ 2 after compaction; the day-28 daily run within 1.5× the day-7
 * one; the long-lived process's RSS on day 28 within 1.2× day 7; speed rows flat once the TTL applies
 * (day 28 within 1.2× day 7); every acknowledged event in the lake exactly once; no API observation of
 * a day vanishing or shrinking during a daily run. The peer in the same run is day 7 of the same soak.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resetStorage, stackEnv } from '../e2e/stack-run.ts';
import type { Bench, BenchResult } from './result.ts';
import { chartSvg } from './soak/chart.ts';
import { type DaySample, runSoak } from './soak/pipeline.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

const columns: [keyof DaySample, string][] = [
  ['day', 'day'],
  ['eventsSent', 'events'],
  ['filesWritten', 'files written'],
  ['filesPerPartitionMax', 'files/part max'],
  ['filesPerPartitionMean', 'mean'],
  ['lakeMB', 'lake MB'],
  ['batchRunS', 'batch s'],
  ['batchPeakRssMB', 'batch RSS MB'],
  ['batchStateMB', 'state MB'],
  ['speedRows', 'speed rows'],
  ['viewStoreMB', 'views MB'],
  ['processRssMB', 'RSS MB'],
  ['heapUsedMB', 'heap MB'],
  ['apiP99Ms', 'API p99 ms'],
  ['shrinkObservations', 'shrinks'],
  ['compactionS', 'compact s'],
];

const bench: Bench = {
  name: 'soak',
  async run({ flags }): Promise<BenchResult> {
    const days = Number(flags['days'] ?? 28);
    const students = Number(flags['students'] ?? 3000);
    const stack = flags['stack'] === true;
    if (stack) {
      // A bucket and keyspace of its own on the local stack, emptied first (as the end-to-end test does).
      const env = stackEnv({ keyspace: 'lms_soak', bucket: 'soak' });
      Object.assign(process.env, env);
      await resetStorage(env);
    }
    // In memory where the machine has a tmpfs: creating a million small files on ext4 cost half a ms each
    // and doubled the soak; the disk's latency is the ingest benchmarks' subject, not this one's.
    const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
    const dataDir = await mkdtemp(join(base, 'ula-soak-'));
    try {
      const report = await runSoak({
        days,
        students,
        dataDir,
        stack,
        ...(flags['compaction-days'] !== undefined
          ? { compactionDays: Number(flags['compaction-days']) }
          : {}),
        progress: (line) => process.stdout.write(`  ${line}\n`),
      });
      const s = report.samples;
      process.stdout.write(`\n  ${columns.map(([, h]) => h.padStart(Math.max(6, h.length))).join(' ')}\n`);
      for (const row of s)
        process.stdout.write(
          `  ${columns.map(([k, h]) => String(row[k]).padStart(Math.max(6, h.length))).join(' ')}\n`,
        );
      const at = (d: number) => s[Math.min(s.length, d) - 1]!;
      const week = at(7);
      const last = at(s.length);
      const figures: BenchResult['figures'] = {
        'simulated days / students': `${days} / ${students}`,
        'lake / view store': stack ? 'S3 + Cassandra (local stack)' : 'local directory + SQLite',
        'wall time (s)': Math.round(report.seconds),
        'events sent / acked / rejected': `${report.eventsSent} / ${report.eventsAcked} / ${report.rejected}`,
        'lake rows / distinct ids': `${report.lakeRows} / ${report.lakeDistinct}`,
        'acked ids missing from the lake / in the lake but not acked': `${report.ackedMissingFromLake} / ${report.lakeNotAcked}`,
        'files per closed partition, max over the days (target ≤ 2)': report.maxFilesPerClosedPartition,
        'whole lake before the last compaction: closed partitions with > 1 file / of, max files': `${report.wholeLakeBeforeFinal.partitionsOverOne} / ${report.wholeLakeBeforeFinal.partitions}, ${report.wholeLakeBeforeFinal.max}`,
        'files per partition at the end, max': report.finalFilesPerPartitionMax,
        'files written by ingest per day (mean)': Math.round(
          s.reduce((n, d) => n + d.filesWritten, 0) / s.length,
        ),
        'events per written file':
          Math.round((report.eventsSent / s.reduce((n, d) => n + d.filesWritten, 0)) * 10) / 10,
        [`daily run day ${last.day} / day ${week.day} (s)`]: `${last.batchRunS} / ${week.batchRunS}`,
        [`process RSS day ${last.day} / day ${week.day} (MB)`]: `${last.processRssMB} / ${week.processRssMB}`,
        [`speed rows day ${last.day} / day ${week.day}`]: `${last.speedRows} / ${week.speedRows}`,
        'API observations of a day vanishing or shrinking (target 0)': s.reduce(
          (n, d) => n + d.shrinkObservations,
          0,
        ),
        'API p99 over the days, max (ms)': Math.max(...s.map((d) => d.apiP99Ms)),
      };
      const ratios: Record<string, number> = {
        [`daily run, day ${last.day} / day ${week.day} (target ≤ 1.5)`]: last.batchRunS / week.batchRunS,
        [`process RSS, day ${last.day} / day ${week.day} (target ≤ 1.2)`]:
          last.processRssMB / week.processRssMB,
        [`batch peak RSS, day ${last.day} / day ${week.day}`]: last.batchPeakRssMB / week.batchPeakRssMB,
      };
      if (!stack)
        ratios[`speed rows, day ${last.day} / day ${week.day} (target ≤ 1.2)`] =
          last.speedRows / week.speedRows;
      const out = join(root, 'bench-results');
      await mkdir(out, { recursive: true });
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      await writeFile(
        join(out, `soak-${stamp}.json`),
        `${JSON.stringify({ figures, ratios, samples: s }, null, 2)}\n`,
      );
      const svg = chartSvg(
        `Soak: ${days} simulated days, ${students} students (${stack ? 'local stack' : 'embedded'})`,
        [
          { label: 'files written by ingest per day', values: s.map((d) => d.filesWritten) },
          {
            label: 'files per closed partition (max)',
            values: s.map((d) => d.filesPerPartitionMax),
            limit: 2,
          },
          { label: 'lake MB', values: s.map((d) => d.lakeMB) },
          { label: 'daily batch run (s)', values: s.map((d) => d.batchRunS) },
          { label: 'daily batch peak RSS (MB)', values: s.map((d) => d.batchPeakRssMB) },
          { label: 'batch state MB', values: s.map((d) => d.batchStateMB) },
          { label: 'speed table rows', values: s.map((d) => d.speedRows) },
          { label: 'view store MB', values: s.map((d) => d.viewStoreMB) },
          { label: 'long-lived process RSS (MB)', values: s.map((d) => d.processRssMB) },
          { label: 'API p99 (ms)', values: s.map((d) => d.apiP99Ms) },
          { label: 'compaction time per day (s)', values: s.map((d) => d.compactionS) },
          { label: 'shrinks seen during batch runs', values: s.map((d) => d.shrinkObservations), limit: 0 },
        ],
      );
      await writeFile(join(out, `soak-${stamp}.svg`), svg);
      return {
        name: 'soak',
        figures,
        ratios,
        notes: [`series: bench-results/soak-${stamp}.json and .svg`],
      };
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  },
};
export default bench;
