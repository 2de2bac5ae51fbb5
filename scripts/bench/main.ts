/**
 * `npm run bench [-- <name>...] [--scale N]`: runs every `*.bench.ts` in this folder (or the named ones),
 * prints a table per benchmark and writes all results to bench-results/<timestamp>.json. Flags of single
 * benchmarks: `--lingers 0,3000` (ingest-live), `--days N --students N --stack` (soak).
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Bench, BenchResult } from './result.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    scale: { type: 'string', default: '1' },
    lingers: { type: 'string' },
    days: { type: 'string' },
    students: { type: 'string' },
    stack: { type: 'boolean' },
    'compaction-days': { type: 'string' },
    multipliers: { type: 'string' },
    stores: { type: 'string' },
    routes: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
const { scale: scaleFlag, ...flags } = values;
const scale = Number(scaleFlag);

const files = (await readdir(here)).filter((f) => f.endsWith('.bench.ts')).sort();
if (values.help) {
  process.stdout.write(
    [
      'Usage: npm run bench [-- <name>…] [flags]   (no name: every benchmark)',
      `Benchmarks: ${files.map((f) => f.replace('.bench.ts', '')).join(', ')}`,
      'Flags: --scale N (all; default 1), --lingers 0,3000 (ingest-live), --days N --students N --stack',
      '       --compaction-days N (soak), --multipliers 1,10,30 (batch-scale); ULA_BENCH_LANES=N (batch)',
      '       --stores cassandra,sqlite (serving lists, course and student pages), --routes <part of a route name>[|<another>] (serving lists, pages)',
      '',
    ].join('\n'),
  );
  process.exit(0);
}
const results: BenchResult[] = [];
for (const file of files) {
  const bench = (await import(join(here, file))).default as Bench;
  if (positionals.length > 0 && !positionals.includes(bench.name)) continue;
  process.stdout.write(`\n== ${bench.name} ==\n`);
  const result = await bench.run({ scale, flags });
  results.push(result);
  for (const [k, v] of Object.entries(result.figures)) process.stdout.write(`  ${k.padEnd(44)} ${v}\n`);
  for (const [k, v] of Object.entries(result.ratios ?? {}))
    process.stdout.write(`  ${`ratio ${k}`.padEnd(44)} ${v.toFixed(2)}\n`);
  for (const note of result.notes ?? []) process.stdout.write(`  note: ${note}\n`);
}
const out = join(here, '../../bench-results');
await mkdir(out, { recursive: true });
const file = join(out, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
await writeFile(
  file,
  JSON.stringify({ machine: { cpus: (await import('node:os')).cpus().length }, results }, null, 2),
);
process.stdout.write(`\nresults written to ${file}\n`);
