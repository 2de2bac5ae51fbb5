// The lake's Trino objects, all generated from TypeScript:
//   - lake.raw.<category> tables with partition projection and the one-row-per-event views lake.events.<category>
//     (functions/core/src/lake/trino-tables.ts);
//   - the merged batch+speed views lake.serving.* (trino/views/merged.sql through functions/serving/src/trino/views.ts).
//   npx tsx scripts/trino-lake.ts           apply as ULA_TRINO_USER with ULA_TRINO_PASSWORD to ULA_TRINO_URL (no password
//                                           in the environment: as ula_admin of the local stack), bucket
//                                           ULA_S3_BUCKET (default lake); re-creates raw tables of an older layout;
//                                           then the serving views over cassandra.<ULA_CASSANDRA_KEYSPACE>
//                                           (fails if one cannot be created: its Cassandra tables are missing)
//   npx tsx scripts/trino-lake.ts --no-serving   only lake.raw and lake.events
//   npx tsx scripts/trino-lake.ts --write   write trino/lake/raw_tables.sql and trino/lake/serving_views.sql (the
//                                           files the Minikube deploy applies with the Trino CLI: Job trino-lake)
// Run by `stack.sh up` (trino_init); the cluster gets the same statements from the deploy's Job trino-lake.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ensureRawTables, rawTablesSqlFile, trinoClient } from '../functions/core/src/lake/trino-tables.ts';
import { applyMergedViews, connect, servingViewsSqlFile } from '../functions/serving/src/trino/views.ts';
import { stackTrinoAccess } from './stack/trino-credentials.ts';

if (process.argv.includes('--write')) {
  const write = (name: string, text: string) => {
    writeFileSync(fileURLToPath(new URL(`../trino/lake/${name}`, import.meta.url)), text);
    console.log(`wrote trino/lake/${name}`);
  };
  write('raw_tables.sql', rawTablesSqlFile());
  write('serving_views.sql', servingViewsSqlFile());
} else {
  const access = stackTrinoAccess('ula_admin');
  const bucket = process.env['ULA_S3_BUCKET'] || 'lake';
  const { recreated } = await ensureRawTables(trinoClient(access), { bucket });
  console.log(
    `lake.raw and lake.events applied to ${access.server} as ${access.user}` +
      (recreated.length > 0 ? `; re-created (older layout): ${recreated.join(', ')}` : ''),
  );
  if (!process.argv.includes('--no-serving')) {
    const { applied, skipped } = await applyMergedViews(connect(access));
    const views = applied.filter((v) => !v.startsWith('CREATE SCHEMA'));
    console.log(`lake.serving: ${views.length} views applied (${views.join(', ')})`);
    if (skipped.length > 0) {
      for (const s of skipped)
        console.error(
          `lake.serving: ${s.view} not created: missing Cassandra tables ${s.missing.join(', ')}`,
        );
      process.exitCode = 1;
    }
  }
}
