/**
 * Applies trino/views/merged.sql (the merged batch+speed views) to a Trino server, and runs queries
 * through `trino-client` (0.2.9; failures come back in `result.error`, not as exceptions).
 * CLI: `npx tsx functions/serving/src/trino/views.ts` (env ULA_TRINO_URL, ULA_TRINO_USER, ULA_TRINO_PASSWORD,
 * ULA_TRINO_CA_FILE, ULA_CASSANDRA_KEYSPACE, ULA_TIMEZONE; `ula_serving` may create the lake.serving views).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connectTrino, type TrinoAccess, trinoAccess } from '@ula/core/lake/trino-access';
import { readSettings, shared } from '@ula/core/settings';

const repoFile = (path: string) => fileURLToPath(new URL(`../../../../${path}`, import.meta.url));

export interface MergedViewOptions {
  /** Schema holding the views (default lake.serving). */
  schema?: string;
  /** Cassandra catalog.keyspace (default cassandra.<ULA_CASSANDRA_KEYSPACE or lms_analytics>). */
  cassandra?: string;
  /** Analytics time zone (default ULA_TIMEZONE or Asia/Ho_Chi_Minh). */
  timeZone?: string;
}

/** The variables this module reads (declared in @ula/core/settings), checked when it reads them. */
const settings = () =>
  readSettings(process.env, {
    keyspace: shared.cassandraKeyspace,
    timeZone: shared.timeZone,
  });

/** A client with ACCESS (default: the environment's, trino-access.ts). */
export const connect = (access: TrinoAccess = trinoAccess()) =>
  connectTrino(access, { source: 'ula-serving' });

export type TrinoClient = ReturnType<typeof connect>;

/** The statements of merged.sql with placeholders filled in. */
export function mergedViewStatements(options: MergedViewOptions = {}): string[] {
  const values: Record<string, string> = {
    schema: options.schema ?? 'lake.serving',
    cassandra: options.cassandra ?? `cassandra.${settings().keyspace}`,
    tz: options.timeZone ?? settings().timeZone,
  };
  for (const [k, v] of Object.entries(values))
    if (!/^[A-Za-z0-9_./]+$/.test(v))
      throw new Error(`merged views: ${k} ${JSON.stringify(v)} is not a plain name`);
  return fillMergedSql(values);
}

function fillMergedSql(values: Record<string, string>): string[] {
  const sql = readFileSync(repoFile('trino/views/merged.sql'), 'utf8');
  return sql
    .split(/^;\s*$/m)
    .map((block) =>
      block
        .split('\n')
        .filter((line) => !line.trim().startsWith('--'))
        .join('\n')
        .trim(),
    )
    .filter((s) => s.length > 0)
    .map((s) => s.replace(/\$\{(\w+)\}/g, (_, name: string) => values[name] ?? `\${${name}}`));
}

/** Placeholder of the analytics time zone in trino/lake/serving_views.sql, filled in by the deploy. */
export const servingViewsTimeZonePlaceholder = `\${ULA_TIMEZONE}`;

/**
 * The contents of trino/lake/serving_views.sql: merged.sql for the deployment (lake.serving over
 * cassandra.lms_analytics), one statement per `;`, for the Trino CLI (scripts/deploy_minikube.sh's Job
 * trino-lake). The time zone stays the placeholder `${ULA_TIMEZONE}`, which the deploy script fills in
 * when it renders the file. Written by `npx tsx scripts/trino-lake.ts --write`; a unit test keeps it current.
 */
export function servingViewsSqlFile(): string {
  const statements = fillMergedSql({
    schema: 'lake.serving',
    cassandra: 'cassandra.lms_analytics',
    tz: servingViewsTimeZonePlaceholder,
  });
  return [
    '-- Generated from trino/views/merged.sql by functions/serving/src/trino/views.ts (servingViewsSqlFile; write',
    '-- it with `npx tsx scripts/trino-lake.ts --write`); a unit test checks this file is up to date.',
    '-- The merged batch+speed views lake.serving.* over cassandra.lms_analytics, for the Trino CLI',
    `-- (\`trino -f\`). ${servingViewsTimeZonePlaceholder} is the analytics time zone: scripts/deploy_minikube.sh fills it in.`,
    '-- The local stack applies the same views through trino-client (scripts/trino-lake.ts).',
    '',
    ...statements.map((s) => `${s};\n`),
  ].join('\n');
}

/** The example queries of trino/queries/examples.sql, by name. */
export function exampleQueries(): { name: string; sql: string }[] {
  const text = readFileSync(repoFile('trino/queries/examples.sql'), 'utf8');
  return text
    .split(/^-- name: /m)
    .slice(1)
    .map((block) => {
      const [name, ...rest] = block.split('\n');
      const sql = rest
        .filter((l) => !l.trim().startsWith('--'))
        .join('\n')
        .trim()
        .replace(/;\s*$/, '');
      return { name: name!.trim(), sql };
    });
}

export interface QueryAnswer {
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

/** Runs one statement to completion; throws with Trino's message when it fails. */
export async function query(trino: TrinoClient, sql: string): Promise<QueryAnswer> {
  const iterator = await trino.query(sql);
  const answer: QueryAnswer = { columns: [], rows: [] };
  for await (const result of iterator) {
    if (result.error)
      throw new Error(`Trino: ${result.error.message} [${sql.slice(0, 120).replace(/\s+/g, ' ')}]`);
    if (result.columns) answer.columns = result.columns.map((c) => ({ name: c.name, type: c.type }));
    if (result.data) answer.rows.push(...result.data);
  }
  return answer;
}

/** Waits until Trino answers queries (it answers "still initializing" for a while after a start). */
export async function waitForTrino(trino: TrinoClient, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await query(trino, 'SELECT 1');
      return;
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** Rows as objects keyed by column name. */
export const records = (a: QueryAnswer) =>
  a.rows.map((r) => Object.fromEntries(a.columns.map((c, i) => [c.name, r[i]])) as Record<string, unknown>);

/**
 * Creates (or replaces) every merged view whose Cassandra tables exist; views over tables that are not
 * there (a batch view not declared yet) are skipped and reported, never half-created.
 */
export async function applyMergedViews(trino: TrinoClient, options: MergedViewOptions = {}) {
  const statements = mergedViewStatements(options);
  const cassandra = options.cassandra ?? `cassandra.${settings().keyspace}`;
  const existing = new Set(
    records(await query(trino, `SHOW TABLES FROM ${cassandra}`)).map((r) => String(r['Table'])),
  );
  const applied: string[] = [];
  const skipped: { view: string; missing: string[] }[] = [];
  const escaped = cassandra.replace('.', '\\.');
  for (const sql of statements) {
    const view = /VIEW\s+(\S+)/i.exec(sql)?.[1] ?? sql.slice(0, 40);
    const tables = [...sql.matchAll(new RegExp(`${escaped}\\.(\\w+)`, 'g'))].map((m) => m[1]!);
    const missing = [...new Set(tables.filter((t) => !existing.has(t)))];
    if (missing.length > 0) {
      skipped.push({ view, missing });
      continue;
    }
    await query(trino, sql);
    applied.push(view);
  }
  return { applied, skipped };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await applyMergedViews(connect());
  for (const v of result.applied) console.log(`applied ${v}`);
  for (const s of result.skipped)
    console.log(`skipped ${s.view}: missing Cassandra tables ${s.missing.join(', ')}`);
}
