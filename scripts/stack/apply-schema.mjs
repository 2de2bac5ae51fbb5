#!/usr/bin/env node
// Applies a CQL file statement by statement through cassandra-driver (no cqlsh needed).
//
//   node scripts/stack/apply-schema.mjs [cassandra/schema.cql]
//
// Env: ULA_CASSANDRA_CONTACT_POINTS (default 127.0.0.1 here, "host[:port]" comma list), ULA_CASSANDRA_LOCAL_DC
// (default datacenter1), declared and checked by functions/core/src/settings.ts (imported through Node's type
// stripping). Idempotent as long as the file is (CREATE ... IF NOT EXISTS).
// Splitting: `--` and `//` line comments and `/* */` block comments are dropped, and the text is cut at
// every `;` outside a quoted string ('...', "...", $$...$$), so a `;` inside a comment string is safe.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readSettings, shared } from '../../functions/core/src/settings.ts';

const require = createRequire(import.meta.url);

/** Splits CQL text into statements (without the trailing `;`), comments removed. */
export function splitCql(text) {
  const out = [];
  let cur = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    const two = text.slice(i, i + 2);
    if (two === '--' || two === '//') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (two === '/*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      cur += ' ';
      continue;
    }
    if (two === '$$') {
      const end = text.indexOf('$$', i + 2);
      const stop = end < 0 ? n : end + 2;
      cur += text.slice(i, stop);
      i = stop;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < n) {
        if (text[j] === c && text[j + 1] === c)
          j += 2; // doubled quote = escaped quote
        else if (text[j] === c) break;
        else j++;
      }
      cur += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === ';') {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
      i++;
      continue;
    }
    cur += c;
    i++;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

async function main() {
  const file = process.argv[2] ?? 'cassandra/schema.cql';
  const statements = splitCql(readFileSync(file, 'utf8'));
  const cassandra = require('cassandra-driver');
  const settings = readSettings(process.env, {
    contactPoints: shared.cassandraContactPoints,
    localDataCenter: shared.cassandraLocalDc,
  });
  const client = new cassandra.Client({
    contactPoints: settings.contactPoints.length > 0 ? settings.contactPoints : ['127.0.0.1'],
    localDataCenter: settings.localDataCenter,
    socketOptions: { connectTimeout: 5000, readTimeout: 60000 },
  });
  const t0 = Date.now();
  try {
    await client.connect();
    for (const [k, stmt] of statements.entries()) {
      try {
        await client.execute(stmt);
      } catch (e) {
        throw new Error(`statement ${k + 1}/${statements.length} failed: ${e.message}\n${stmt}`);
      }
    }
    console.log(`applied ${statements.length} statements from ${file} in ${Date.now() - t0} ms`);
  } finally {
    await client.shutdown();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(`apply-schema: ${e.message}`);
    process.exit(1);
  });
}
