/**
 * The raw lake in Trino against the local stack (bash scripts/stack/stack.sh up): files written to S3 by
 * writeRawGroup are visible through partition projection with no partition sync, the one-row-per-event views
 * lake.events.<category> count an event once when it is in two files (redelivery, the compaction swap), a
 * filter on date/hour prunes partitions through the view, and a raw table of an older layout is re-created
 * by ensureRawTables with its files kept. The xAPI statement table reads the xapi function's files the same way,
 * and lake.serving.xapi_unmapped counts the unmapped statements per date, verb and activity type, a statement
 * resent into a second file once.
 */
import { randomInt } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackTrinoAccess } from '../../../scripts/stack/trino-credentials.ts';
import { S3Store } from '../src/adapters/s3.ts';
import type { LmsEvent } from '../src/events/envelope.ts';
import { rawPartitionPrefix, type UtcHour } from '../src/lake/paths.ts';
import { writeRawGroup } from '../src/lake/raw-lake.ts';
import { ensureRawTables, rawLakeFirstDate, trinoClient, trinoQuery } from '../src/lake/trino-tables.ts';
import {
  writeXapiStatements,
  type XapiStatementRow,
  xapiStatementsPartitionPrefix,
} from '../src/lake/xapi-statements.ts';

const S3_ENDPOINT = process.env['ULA_S3_ENDPOINT'] || 'http://127.0.0.1:9000';
const BUCKET = process.env['ULA_S3_BUCKET'] || 'lake';
process.env['AWS_ACCESS_KEY_ID'] ||= 'ula-local-access';
process.env['AWS_SECRET_ACCESS_KEY'] ||= 'ula-local-secret-key';

const store = new S3Store({ bucket: BUCKET, endpoint: S3_ENDPOINT, region: 'us-east-1' });
// Creates and drops schemas of its own: the admin.
const trino = trinoClient(stackTrinoAccess('ula_admin'));
const RUN = `${Date.now().toString(36)}${randomInt(1e6).toString(36)}`;

// Partitions of their own: random hours of days in the second half of the first projected year
// (2026-07-01 .. 2026-11-27; ingest.int.test.ts takes its days from the first half). Each test checks that
// its partition is empty before it writes, so "brand-new" is asserted, not assumed.
const firstDay = Date.parse(`${rawLakeFirstDate}T00:00:00Z`) + 181 * 86_400_000;
function freshHour(): UtcHour & { start: number } {
  const start = firstDay + randomInt(150) * 86_400_000 + randomInt(24) * 3_600_000;
  const iso = new Date(start).toISOString();
  return { date: iso.slice(0, 10), hour: iso.slice(11, 13), start };
}

const written: string[] = [];

const events = (p: { start: number }, n: number): LmsEvent[] =>
  Array.from({ length: n }, (_, i) => ({
    id: uuidv7(),
    category: 'video',
    eventType: 'VIDEO_WATCHED',
    time: new Date(p.start + i * 1000).toISOString(),
    data: {
      user_id: `SV${i % 17}`,
      role: 'student',
      course_id: `C${i % 3}`,
      video_id: `V${i % 5}`,
      run: RUN,
    },
  }));

async function write(p: UtcHour, batch: LmsEvent[], ingestTime?: Date): Promise<string> {
  const { key } = await writeRawGroup(store, { category: 'video', partition: p, events: batch }, ingestTime);
  written.push(key);
  return key;
}

const count = async (table: string, p: UtcHour): Promise<number> => {
  const [[n]] = (await trinoQuery(
    trino,
    `SELECT count(*) FROM ${table} WHERE date = '${p.date}' AND hour = '${p.hour}'`,
  )) as [[number]];
  return Number(n);
};

async function emptyPartition(): Promise<UtcHour & { start: number }> {
  for (;;) {
    const p = freshHour();
    if ((await store.list(rawPartitionPrefix('video', p))).length === 0) return p;
  }
}

beforeAll(async () => {
  await store.health().catch((e) => {
    throw new Error(`S3 not reachable at ${S3_ENDPOINT} (bash scripts/stack/stack.sh up): ${e}`);
  });
  await ensureRawTables(trino, { bucket: BUCKET });
});

afterAll(async () => {
  for (const key of written) await store.delete(key);
  store.close();
});

describe('raw lake in Trino (partition projection, one row per event)', () => {
  it('sees a brand-new hour partition with no sync call', async () => {
    const p = await emptyPartition();
    expect(await count('lake.raw.video', p)).toBe(0);
    const batch = events(p, 137);
    await write(p, batch.slice(0, 60));
    await write(p, batch.slice(60));
    expect(await count('lake.raw.video', p)).toBe(137);
    expect(await count('lake.events.video', p)).toBe(137);
    const rows = await trinoQuery(
      trino,
      `SELECT count(DISTINCT event_id), min(event_time), count_if(json_extract_scalar(data, '$.run') = '${RUN}')
         FROM lake.events.video WHERE date = '${p.date}' AND hour = '${p.hour}'`,
    );
    expect(rows).toEqual([[137, new Date(p.start).toISOString().replace('T', ' ').slice(0, 23), 137]]);
  });

  it('counts an event once while compaction swaps files (old files + compacted file), and after', async () => {
    const p = await emptyPartition();
    const batch = events(p, 90);
    const accepted = new Date('2026-12-01T00:00:00.000Z');
    // Ingest wrote two files, the second redelivering three events of the first one a minute later.
    const old = [
      await write(p, batch.slice(0, 50), accepted),
      await write(p, [...batch.slice(50), ...batch.slice(0, 3)], new Date(accepted.getTime() + 60_000)),
    ];
    expect(await count('lake.raw.video', p)).toBe(93);
    expect(await count('lake.events.video', p)).toBe(90);
    // The compacted file (every event once, first accepted copy) is written before the old files go.
    await write(p, batch, accepted);
    expect(await count('lake.raw.video', p)).toBe(183);
    expect(await count('lake.events.video', p)).toBe(90);
    const [[redelivered]] = (await trinoQuery(
      trino,
      `SELECT count(*) FROM lake.events.video WHERE date = '${p.date}' AND hour = '${p.hour}'
          AND event_id IN (${batch
            .slice(0, 3)
            .map((e) => `'${e.id}'`)
            .join(', ')}) AND ingest_time = TIMESTAMP '2026-12-01 00:00:00.000'`,
    )) as [[number]];
    expect(redelivered).toBe(3);
    for (const key of old) await store.delete(key);
    expect(await count('lake.raw.video', p)).toBe(90);
    expect(await count('lake.events.video', p)).toBe(90);
  });

  it('prunes partitions through the events view (a WHERE on date/hour reaches the table scan)', async () => {
    const p = freshHour();
    const [[plan]] = (await trinoQuery(
      trino,
      `EXPLAIN SELECT event_type, count(*) FROM lake.events.video
         WHERE date = '${p.date}' AND hour = '${p.hour}' GROUP BY event_type`,
    )) as [[string]];
    expect(plan).toMatch(new RegExp(`date := date:string:PARTITION_KEY\\s*:: \\[\\[${p.date}\\]\\]`));
    expect(plan).toMatch(new RegExp(`hour := hour:string:PARTITION_KEY\\s*:: \\[\\[${p.hour}\\]\\]`));
    const [[range]] = (await trinoQuery(
      trino,
      `EXPLAIN SELECT count(*) FROM lake.events.video WHERE date BETWEEN '2026-07-01' AND '2026-07-03'`,
    )) as [[string]];
    expect(range).toMatch(
      /date := date:string:PARTITION_KEY\s*:: \[\[2026-07-01\], \[2026-07-02\], \[2026-07-03\]\]/,
    );
  });

  it('re-creates a raw table of an older layout (no projection), keeping its files', async () => {
    const p = await emptyPartition();
    const key = await write(p, events(p, 25));
    const lake = { bucket: BUCKET, schema: `raw_upgrade_${RUN}`, events: `events_upgrade_${RUN}` };
    const old = `lake.${lake.schema}.video`;
    try {
      await trinoQuery(trino, `CREATE SCHEMA lake.${lake.schema}`);
      // The table as an earlier version created it: no partition projection, partitions need a sync.
      await trinoQuery(
        trino,
        `CREATE TABLE ${old} (event_id varchar, ingest_time timestamp(3), date varchar, hour varchar)
           WITH (format = 'PARQUET', external_location = 's3://${BUCKET}/raw/video/', partitioned_by = ARRAY['date', 'hour'])`,
      );
      expect(await count(old, p)).toBe(0);
      const report = await ensureRawTables(trino, { ...lake, serving: lake.events });
      expect(report.recreated).toEqual([old]);
      expect(await count(old, p)).toBe(25);
      expect(await count(`lake.${lake.events}.video`, p)).toBe(25);
      expect((await ensureRawTables(trino, { ...lake, serving: lake.events })).recreated).toEqual([]);
    } finally {
      await dropSchemas(lake.schema, lake.events);
    }
    // Dropping the external tables left the files in place.
    expect((await store.list(rawPartitionPrefix('video', p))).map((o) => o.key)).toEqual([key]);
  });
});

describe('xAPI statements in Trino', () => {
  const statement = (
    p: { start: number },
    i: number,
    verb: string,
    rule: string | null,
  ): XapiStatementRow => ({
    statement_id: uuidv7(),
    verb,
    activity_type: `https://ula.example/test/${RUN}/type-${i % 2}`,
    object_id: `https://ula.example/test/${RUN}/object-${i}`,
    user_id: `u${i}`,
    registration: null,
    rule,
    event_ids: '',
    event_types: '',
    statement_time: new Date(p.start + i * 1000),
    stored: new Date(p.start + i * 1000 + 500),
    version: '1.0.3',
    statement: JSON.stringify({ run: RUN, i }),
  });

  it('reads a new hour of statements with no sync call and counts the unmapped ones per verb and type', async () => {
    let p = freshHour();
    while ((await store.list(xapiStatementsPartitionPrefix(p))).length > 0) p = freshHour();
    const unknownVerb = `https://ula.example/test/${RUN}/verbs/pondered`;
    const rows = [
      ...Array.from({ length: 5 }, (_, i) => statement(p, i, unknownVerb, null)),
      ...Array.from({ length: 3 }, (_, i) =>
        statement(p, 10 + i, 'http://adlnet.gov/expapi/verbs/logged-in', 'session-login'),
      ),
    ];
    const files = await writeXapiStatements(store, rows);
    // A statement resent after a crash between its lake write and its registry row sits in a second file.
    files.push(...(await writeXapiStatements(store, [rows[0]!])));
    written.push(...files.map((f) => f.key));
    expect(await count('lake.raw.xapi_statements', p)).toBe(9);
    const unmapped = await trinoQuery(
      trino,
      `SELECT activity_type, statements FROM lake.serving.xapi_unmapped
         WHERE date = '${p.date}' AND verb = '${unknownVerb}' ORDER BY activity_type`,
    );
    // Five unmapped statements: i = 0, 2, 4 of type-0 (i = 0 twice in the lake), i = 1, 3 of type-1.
    expect(unmapped).toEqual([
      [`https://ula.example/test/${RUN}/type-0`, 3],
      [`https://ula.example/test/${RUN}/type-1`, 2],
    ]);
    const mapped = await trinoQuery(
      trino,
      `SELECT count(*) FROM lake.serving.xapi_unmapped WHERE date = '${p.date}' AND verb LIKE '%logged-in'`,
    );
    expect(mapped).toEqual([[0]]);
  });

  it('prunes partitions through the unmapped view (a WHERE on date reaches the table scan)', async () => {
    const [[plan]] = (await trinoQuery(
      trino,
      `EXPLAIN SELECT * FROM lake.serving.xapi_unmapped WHERE date = '2026-07-02'`,
    )) as [[string]];
    expect(plan).toMatch(/date := date:string:PARTITION_KEY\s*:: \[\[2026-07-02\]\]/);
  });
});

async function dropSchemas(raw: string, views: string): Promise<void> {
  for (const [schema, kind] of [
    [views, 'VIEW'],
    [raw, 'TABLE'],
  ] as const) {
    const tables = await trinoQuery(trino, `SHOW TABLES FROM lake.${schema}`).catch(() => []);
    for (const [t] of tables) await trinoQuery(trino, `DROP ${kind} IF EXISTS lake.${schema}.${t}`);
    await trinoQuery(trino, `DROP SCHEMA IF EXISTS lake.${schema}`);
  }
}
