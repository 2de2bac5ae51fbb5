// The raw lake in Trino (functions/core/src/lake/trino-tables.ts): tables lake.raw.<category> with partition
// projection and the one-row-per-event views lake.events.<category>.
//   npx tsx scripts/trino-lake.ts           apply to ULA_TRINO_URL (default http://127.0.0.1:8080), bucket
//                                           ULA_S3_BUCKET (default lake); re-creates raw tables of an older layout
//   npx tsx scripts/trino-lake.ts --write   write trino/lake/raw_tables.sql
// Run by `stack.sh up` (trino_init) and, on the cluster, after a port-forward to Trino.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ensureRawTables, rawTablesSqlFile, trinoClient } from '../functions/core/src/lake/trino-tables.ts';

if (process.argv.includes('--write')) {
  const file = fileURLToPath(new URL('../trino/lake/raw_tables.sql', import.meta.url));
  writeFileSync(file, rawTablesSqlFile());
  console.log('wrote trino/lake/raw_tables.sql');
} else {
  const url = process.env['ULA_TRINO_URL'] || 'http://127.0.0.1:8080';
  const bucket = process.env['ULA_S3_BUCKET'] || 'lake';
  const { recreated } = await ensureRawTables(trinoClient(url), { bucket });
  console.log(
    `lake.raw and lake.events applied to ${url}` +
      (recreated.length > 0 ? `; re-created (older layout): ${recreated.join(', ')}` : ''),
  );
}
