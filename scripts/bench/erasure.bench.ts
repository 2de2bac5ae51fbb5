/**
 * Erasing one student with their events from a month of a university (issue 24):
 * `npm run bench -- erasure [--days 30] [--students 3000]`.
 *
 * 1. The batch-scale bench's lake of that size (`ensureScaleLake`: one compacted file per category and UTC
 *    hour, cached under .cache/bench-lake/scale-<students>-<days>-bench-scale/), and once the batch over
 *    all its days (views in SQLite, state in the lake), as production would hold them;
 * 2. a copy of that lake and view store (the erasure rewrites them), then the built entry point as JobSink
 *    runs it, in embedded mode: `node functions/batch/build/index.js --job erase --user <id> --events
 *    --request bench-erase` (ULA_DATA_DIR = the copy): its wall time, its own phases (from its log) and
 *    its peak RSS (`maxRssMb` of its `erasure_report`);
 * 3. the peer, in the same run: the batch over every day from an empty state on another copy (what the
 *    erasure's rebuild is), so the ratio says what erasure adds to one full batch.
 * The student is the one with the most events on the first day (a heavy case).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDirStore } from '../../functions/core/src/adapters/local-dir.ts';
import { readRawRows } from '../../functions/core/src/lake/raw-lake.ts';
import { root, runJob } from './batch.bench.ts';
import { ensureScaleLake } from './batch-scale.bench.ts';
import type { Bench, BenchResult } from './result.ts';

const log = (s: string) => process.stdout.write(`  ${s}\n`);
const copyOf = (dir: string): string => {
  const copy = mkdtempSync(join(tmpdir(), 'ula-erase-bench-'));
  for (const name of readdirSync(dir))
    if (name !== 'lake.json') cpSync(join(dir, name), join(copy, name), { recursive: true });
  return copy;
};

async function run(days: number, students: number): Promise<BenchResult> {
  const dir = join(root, '.cache', 'bench-lake', `scale-${students}-${days}-bench-scale`);
  const lake = await ensureScaleLake(dir, students, days, log);
  log(
    `lake: ${lake.events} events, ${lake.files} files, ${(lake.bytes / 1e6).toFixed(0)} MB, ${lake.days[0]}..${lake.days.at(-1)}`,
  );
  if (!existsSync(join(dir, 'views.sqlite'))) {
    rmSync(join(dir, 'lake', 'state'), { recursive: true, force: true });
    const history = await runJob(dir, 'all', lake.days[0]!, lake.days.at(-1)!, { timeoutMs: 3_600_000 });
    log(
      `batch over every day: ${history.events} events in ${(history.ms / 1000).toFixed(1)} s, ${history.maxRssMb} MB`,
    );
  }

  // The student with the most events in the first day's auth, video and assessment files.
  const store = new LocalDirStore(join(dir, 'lake'));
  const counts = new Map<string, number>();
  for (const category of ['auth', 'video', 'assessment']) {
    for (const hour of ['00', '06', '12']) {
      const prefix = `raw/${category}/date=${lake.days[0]}/hour=${hour}/`;
      for (const { key } of await store.list(prefix))
        for (const row of await readRawRows(store, key))
          if (row.role === 'student') counts.set(row.user_id, (counts.get(row.user_id) ?? 0) + 1);
    }
  }
  const user = [...counts].sort((a, b) => b[1] - a[1])[0]![0];

  const copy = copyOf(dir);
  const peerCopy = copyOf(dir);
  try {
    const load = loadavg()[0]!;
    const started = Date.now();
    const { ULA_S3_ENDPOINT: _s3, ULA_CASSANDRA_CONTACT_POINTS: _c, ...env } = process.env;
    const job = spawnSync(
      process.execPath,
      [
        'functions/batch/build/index.js',
        '--job',
        'erase',
        '--user',
        user,
        '--events',
        '--request',
        'bench-erase',
      ],
      {
        cwd: root,
        env: {
          ...env,
          ULA_DATA_DIR: copy,
          ULA_TIMEZONE: 'Asia/Ho_Chi_Minh',
          NODE_OPTIONS: '--max-semi-space-size=16',
        },
        encoding: 'utf8',
        maxBuffer: 1 << 28,
        timeout: 3_600_000,
      },
    );
    const ms = Date.now() - started;
    if (job.status !== 0) throw new Error(`erase failed: ${job.stderr || job.stdout.slice(-2000)}`);
    const lines = job.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const report = lines.find((l) => l['event'] === 'erasure_report')!;
    const steps = lines
      .filter((l) => l['event'] === 'erasure_step_done')
      .map((l) => `${l['step']} ${l['ms']} ms`);
    const survey = lines.find((l) => l['event'] === 'erasure_surveyed');
    log(
      `erased one student (${counts.get(user)} events in the sample hours) from ${days} days × ${students} students, load ${load.toFixed(1)}:`,
    );
    log(`  wall ${(ms / 1000).toFixed(1)} s, peak RSS ${report['maxRssMb']} MB`);
    log(`  survey ${JSON.stringify(survey)}`);
    log(`  steps: ${steps.join(', ')}`);
    const { viewRows, speedRows, ...counts2 } = report['report'] as Record<string, unknown>;
    log(`  report ${JSON.stringify(counts2)}`);
    log(`  view rows ${JSON.stringify(viewRows)}`);
    // The peer: one batch over every day from an empty state (what the rebuild is).
    rmSync(join(peerCopy, 'lake', 'state'), { recursive: true, force: true });
    const peer = await runJob(peerCopy, 'all', lake.days[0]!, lake.days.at(-1)!, { timeoutMs: 3_600_000 });
    const c = counts2 as Record<string, number | boolean>;
    return {
      name: 'erasure',
      figures: {
        lake: `${lake.events} events, ${lake.files} files, ${days} days × ${students} students`,
        'load average at start': Math.round(load * 10) / 10,
        'erase --events: wall s': Math.round(ms / 100) / 10,
        'erase --events: peak RSS MB': Number(report['maxRssMb']),
        'events removed / files rewritten': `${c['eventsRemoved']} / ${c['filesRewritten']}`,
        'days recomputed': Number(c['daysRecomputed']),
        steps: steps.join(', '),
        'peer, batch over every day: wall s': Math.round(peer.ms / 100) / 10,
        'peer, batch over every day: peak RSS MB': peer.maxRssMb,
      },
      ratios: {
        'erase --events / batch over every day (wall)': ms / peer.ms,
        'erase --events / batch over every day (peak RSS)': Number(report['maxRssMb']) / peer.maxRssMb,
      },
    };
  } finally {
    rmSync(copy, { recursive: true, force: true });
    rmSync(peerCopy, { recursive: true, force: true });
  }
}

const bench: Bench = {
  name: 'erasure',
  run: ({ flags }) => run(Number(flags['days'] ?? 30), Number(flags['students'] ?? 3000)),
};
export default bench;
