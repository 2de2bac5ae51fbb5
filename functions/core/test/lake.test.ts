import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDirStore } from '../src/adapters/local-dir.ts';
import type { LmsEvent } from '../src/events/envelope.ts';
import { decodeRawParquet, encodeRawParquet } from '../src/lake/parquet.ts';
import { batchName, parseRawKey, utcHourOf } from '../src/lake/paths.ts';
import { groupRawEvents, listRawPartitions, readRawEvents, writeRawGroup } from '../src/lake/raw-lake.ts';
import { rawColumns, toRawRow } from '../src/lake/raw-schema.ts';

const ev = (i: number, time: string, category: 'video' | 'auth' = 'video'): LmsEvent => ({
  id: `0192f3a4-5b6c-7d8e-9f01-${String(i).padStart(12, '0')}`,
  category,
  eventType: category === 'video' ? 'VIDEO_WATCHED' : 'LOGIN',
  time,
  data: {
    user_id: `SV${i}`,
    role: 'student',
    ...(category === 'video' ? { course_id: `C${i % 3}` } : {}),
    unknown: { kept: ['é', 1] },
  },
});

let dir: string;
let store: LocalDirStore;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ula-lake-'));
  store = new LocalDirStore(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('raw lake files', () => {
  it('round-trips every column through Parquet', async () => {
    const ingest = new Date('2026-11-01T03:00:00.123Z');
    const rows = [ev(1, '2026-11-01T02:03:04.005Z'), ev(2, '2026-11-01T02:59:59.999Z', 'auth')].map((e) =>
      toRawRow(e, ingest),
    );
    const back = await decodeRawParquet(encodeRawParquet(rows));
    expect(back).toEqual(rows);
    expect(back[1]!.course_id).toBeNull();
    expect(JSON.parse(back[0]!.data)).toEqual({
      user_id: 'SV1',
      role: 'student',
      course_id: 'C1',
      unknown: { kept: ['é', 1] },
    });
  });

  it('partitions by UTC date and hour, names files by their set of event ids', () => {
    expect(utcHourOf('2026-11-01T23:30:00.000+07:00')).toEqual({ date: '2026-11-01', hour: '16' });
    expect(batchName(['b', 'a'])).toBe(batchName(['a', 'b']));
    expect(batchName(['a'])).not.toBe(batchName(['a', 'b']));
    expect(parseRawKey('raw/video/date=2026-11-01/hour=02/abc.parquet')).toEqual({
      category: 'video',
      date: '2026-11-01',
      hour: '02',
    });
  });

  it('writes one file per (category, date, hour); a retried batch overwrites its file', async () => {
    const events = [
      ev(1, '2026-11-01T02:00:00.000Z'),
      ev(2, '2026-11-01T02:30:00.000Z'),
      ev(3, '2026-11-01T03:00:00.000Z'),
      ev(4, '2026-11-02T00:00:00.000Z', 'auth'),
      ev(1, '2026-11-01T02:00:00.000Z'), // same id twice in a batch: stored once
    ];
    const groups = [...groupRawEvents(events).values()];
    expect(groups.map((g) => g.events.length)).toEqual([2, 1, 1]);
    for (const g of groups) await writeRawGroup(store, g);
    for (const g of groups) await writeRawGroup(store, g); // retry: same keys
    const video = await listRawPartitions(store, 'video', '2026-11-01', '2026-11-01');
    expect(video.map((f) => [f.date, f.hour])).toEqual([
      ['2026-11-01', '02'],
      ['2026-11-01', '03'],
    ]);
    expect(video[0]!.lastModified).toBeInstanceOf(Date);
    const read = await readRawEvents(store, video[0]!.key);
    expect(read.map((e) => e.id)).toEqual([events[0]!.id, events[1]!.id]);
    expect(read[0]).toMatchObject({
      category: 'video',
      eventType: 'VIDEO_WATCHED',
      time: events[0]!.time,
      data: events[0]!.data,
    });
    expect(await listRawPartitions(store, 'video', '2026-11-02', '2026-12-31')).toEqual([]);
    expect(await listRawPartitions(store, 'auth', '2026-10-01', '2026-11-30')).toHaveLength(1);
  });

  it('is read by DuckDB with the declared column types', async () => {
    const db = await DuckDBInstance.create();
    const c = await db.connect();
    const r = await c.runAndReadAll(
      `select * from parquet_schema('${dir}/raw/video/date=2026-11-01/hour=02/*.parquet') where name <> 'root'`,
    );
    const schema = r.getRowObjectsJson();
    expect(schema.map((x) => x['name'])).toEqual(rawColumns.map((c) => c.name));
    const rows = (
      await c.runAndReadAll(
        `select event_id, event_time, json_extract_string(data, '$.unknown.kept[0]') k, date, hour
           from read_parquet('${dir}/raw/video/*/*/*.parquet', hive_partitioning = true) order by event_id`,
      )
    ).getRowObjectsJson();
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({
      event_time: '2026-11-01 02:00:00+00',
      k: 'é',
      date: '2026-11-01',
      hour: '02',
    });
    c.closeSync();
  });
});

describe('Trino raw tables', () => {
  it('trino/lake/raw_tables.sql is the DDL generated from raw-schema.ts', async () => {
    const { readFile } = await import('node:fs/promises');
    const { rawTablesSqlFile } = await import('../src/lake/trino-tables.ts');
    const file = await readFile(new URL('../../../trino/lake/raw_tables.sql', import.meta.url), 'utf8');
    expect(file).toBe(rawTablesSqlFile());
  });

  it('projects every hour partition (no sync call) and has a one-row-per-event view per category', async () => {
    const { rawTablesDdl } = await import('../src/lake/trino-tables.ts');
    const { categories } = await import('../src/events/envelope.ts');
    const ddl = rawTablesDdl();
    expect(ddl.join('\n')).not.toMatch(/sync_partition_metadata/);
    for (const c of categories) {
      const table = ddl.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS lake.raw.${c} `));
      expect(table).toContain('partition_projection_enabled = true');
      expect(table).toContain(
        `partition_projection_location_template = 's3://lake/raw/${c}/date=\${date}/hour=\${hour}/'`,
      );
      const view = ddl.find((s) => s.startsWith(`CREATE OR REPLACE VIEW lake.events.${c}\n`));
      expect(view).toContain(`FROM lake.raw.${c}\n`);
      expect(view).toContain('PARTITION BY date, hour, event_id ORDER BY ingest_time');
    }
    // The layout tag changes with the definition (what makes ensureRawTables re-create older tables).
    expect(rawTablesDdl({ bucket: 'other' })[1]).not.toBe(ddl[1]);
    const tag = (s: string) => /\[layout \w+\]/.exec(s)?.[0];
    expect(tag(rawTablesDdl({ bucket: 'other' })[1]!)).not.toBe(tag(ddl[1]!));
  });

  it('has the xAPI statement table over xapi/statements/ (projected like the raw tables) and the unmapped view', async () => {
    const { rawTablesDdl } = await import('../src/lake/trino-tables.ts');
    const { xapiStatementColumns, xapiStatementsPrefix } = await import('../src/lake/xapi-statements.ts');
    const ddl = rawTablesDdl({ bucket: 'b' });
    const table = ddl.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS lake.raw.xapi_statements '));
    expect(xapiStatementsPrefix).toBe('xapi/statements/');
    expect(table).toContain(`external_location = 's3://b/xapi/statements/'`);
    expect(table).toContain('partition_projection_enabled = true');
    expect(table).toContain(
      `partition_projection_location_template = 's3://b/xapi/statements/date=\${date}/hour=\${hour}/'`,
    );
    for (const c of xapiStatementColumns) expect(table).toContain(`  ${c.name} ${c.trino},\n`);
    // The view reads columns the table has, filters the unmapped ones and keeps the partition column.
    const names = new Set(xapiStatementColumns.map((c) => c.name));
    for (const column of ['statement_id', 'verb', 'activity_type', 'rule', 'stored'])
      expect(names, column).toContain(column);
    const view = ddl.find((s) => s.startsWith('CREATE OR REPLACE VIEW lake.serving.xapi_unmapped\n'));
    expect(view).toContain(
      'FROM lake.raw.xapi_statements\nWHERE rule IS NULL\nGROUP BY date, verb, activity_type',
    );
    expect(view).toContain('count(DISTINCT statement_id)');
    // The schema exists before the view is created.
    expect(ddl.indexOf('CREATE SCHEMA IF NOT EXISTS lake.serving')).toBeLessThan(ddl.indexOf(view!));
  });
});
