/**
 * One-off upgrade of a view store written before the listing tables' partitions followed the list's order
 * (student_directory, course_directory and risk_ranking had 16 partitions by a hash of the id): reads every
 * row of each (a scan, once), gives it the bucket its declaration derives now, and makes those rows the
 * whole content of every listing partition (`replacePartitions`, so no copy stays under its old bucket).
 * The store comes from the usual settings (ULA_CASSANDRA_CONTACT_POINTS and ULA_CASSANDRA_KEYSPACE, else
 * the SQLite file under ULA_DATA_DIR). Safe to run again: a store already upgraded is rewritten unchanged.
 *
 *   node scripts/toolchain.mjs tsx scripts/stack/rebucket-listings.ts
 */

import { listingBuckets } from '../../functions/core/src/categories/student-course/risk.ts';
import { loadConfig } from '../../functions/core/src/config.ts';
import { openViewStore, type Row } from '../../functions/core/src/index.ts';
import { batchViews } from '../../functions/core/src/views/batch-catalogue.ts';
import { tableNamed } from '../../functions/core/src/views/catalogue.ts';

const listingTables = ['student_directory', 'course_directory', 'risk_ranking'];

const store = openViewStore(loadConfig());
try {
  for (const name of listingTables) {
    const view = batchViews.find((v) => v.name === name);
    const bucketOf = view?.derived?.['bucket'];
    if (!bucketOf) throw new Error(`${name}: no derived bucket column in its declaration`);
    const table = tableNamed(name);
    const rows: Row[] = [];
    let pageState: string | undefined;
    do {
      const page = await store.scan(table, { limit: 5000, ...(pageState ? { pageState } : {}) });
      rows.push(...page.rows);
      pageState = page.pageState;
    } while (pageState);
    let moved = 0;
    const rebucketed = rows.map((row) => {
      const bucket = bucketOf.value(row, {}, {});
      if (bucket !== row['bucket']) moved++;
      return { ...row, bucket };
    });
    const partitions = Array.from({ length: listingBuckets }, (_, bucket) => ({ bucket }));
    await store.replacePartitions(table, partitions, rebucketed);
    process.stdout.write(`${name}: ${rows.length} rows, ${moved} moved to their ordered partition\n`);
  }
} finally {
  await store.close();
}
