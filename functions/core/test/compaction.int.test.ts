/**
 * Lake compaction against the real S3 of the local stack (versitygw at ULA_S3_ENDPOINT, default
 * http://127.0.0.1:9000; `npm run stack:up`): the same distinct events per partition before and after, one
 * sorted file per closed hour, a crash after the puts and before the deletes then a rerun, a late file, the
 * batch reader of a day whose files were swapped after it listed them, and the xAPI statement table
 * compacted beside the raw tables. Uses a bucket of its own.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store } from '../src/adapters/s3.ts';
import { utcPartitionsOfLocalDay } from '../src/batch/plan.ts';
import { RawListing, readDay } from '../src/batch/source.ts';
import { categories } from '../src/events/envelope.ts';
import { compactLake } from '../src/lake/compaction.ts';
import { rawPrefix } from '../src/lake/paths.ts';
import { xapiStatementsPrefix } from '../src/lake/xapi-statements.ts';
import { calendar } from './batch-support.ts';
import {
  type Expected,
  expectCompacted,
  expectNothingLost,
  FaultyStore,
  fingerprint,
  InjectedFault,
  lakeState,
  type SmallFilesSpec,
  smallFilesEvents,
  writeSmallFiles,
} from './compaction-support.ts';
import {
  expectNoStatementLost,
  expectStatementsCompacted,
  statementState,
  writeStatements,
} from './xapi-compaction-support.ts';

const endpoint = process.env['ULA_S3_ENDPOINT'] || 'http://127.0.0.1:9000';
process.env['AWS_ACCESS_KEY_ID'] ||= 'ula-local-access';
process.env['AWS_SECRET_ACCESS_KEY'] ||= 'ula-local-secret-key';
const bucket = 'ula-compaction-it';
const date = '2026-03-02';
const allClosed = () => Date.parse(`${date}T23:59:00Z`);

let lake: S3Store;
const clear = async () => {
  for (const prefix of [rawPrefix, xapiStatementsPrefix])
    await Promise.all((await lake.list(prefix)).map((o) => lake.delete(o.key)));
};
beforeAll(async () => {
  lake = new S3Store({ bucket, endpoint });
  await lake.client.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: { name?: string }) => {
    if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
  });
  await clear();
});
afterAll(async () => {
  await clear();
  lake.close();
});

const spec: SmallFilesSpec = {
  seed: 41,
  date,
  hours: [8, 9, 10],
  types: ['LOGIN', 'VIDEO_WATCHED', 'COURSE_VIEW'],
  perHour: 20,
  maxPerWrite: 8,
};

describe('lake compaction on S3', () => {
  let expected: Expected;

  it('keeps every partition’s distinct events: one sorted file per closed hour, the open hour untouched', async () => {
    ({ expected } = await writeSmallFiles(lake, spec));
    const before = await lakeState(lake);
    expect(before.size).toBe(9);
    for (const files of before.values()) expect(files.length).toBeGreaterThan(2);
    expectNothingLost(before, expected);
    // 11:05 UTC: hour 10 closes at 11:10 (10 minutes of lateness).
    const report = await compactLake({
      lake,
      from: date,
      to: date,
      now: () => Date.parse(`${date}T11:05:00Z`),
    });
    expect(report).toMatchObject({ partitionsClosed: 6, partitionsOpen: 3, skipped: [] });
    const after = await lakeState(lake);
    expectNothingLost(after, expected);
    for (const [p, want] of expected) {
      if (p.endsWith('/10'))
        expect(after.get(p)!.map((f) => f.key)).toEqual(before.get(p)!.map((f) => f.key));
      else expectCompacted(after.get(p), want);
    }
  });

  it('a crash after the puts and before the deletes loses nothing; the rerun gives exactly once', async () => {
    const before = await lakeState(lake);
    const faulty = new FaultyStore(lake, { op: 'delete', n: 1 });
    await expect(compactLake({ lake: faulty, from: date, to: date, now: allClosed })).rejects.toThrow(
      InjectedFault,
    );
    await faulty.settled();
    expect(faulty.calls.put).toBe(1);
    const mid = await lakeState(lake);
    expectNothingLost(mid, expected);
    // Hours 08-09 are one file each now; the first hour 10 compacted holds its old files and the new one.
    const swapped = [...mid].filter(([p, files]) => files.length === before.get(p)!.length + 1);
    expect(swapped).toHaveLength(1);
    await compactLake({ lake, from: date, to: date, now: allClosed });
    const after = await lakeState(lake);
    for (const [p, want] of expected) expectCompacted(after.get(p), want);
    const again = await compactLake({ lake, from: date, to: date, now: allClosed });
    expect(again.compacted).toEqual([]);
    expect(fingerprint(await lakeState(lake))).toEqual(fingerprint(after));
  });

  it('a late file after an hour was compacted: the next run compacts it in', async () => {
    const late: SmallFilesSpec = {
      ...spec,
      seed: 42,
      hours: [9],
      types: ['LOGIN'],
      perHour: 6,
      idPrefix: '0195cccc',
    };
    const { expected: lateExpected } = await writeSmallFiles(lake, late, smallFilesEvents(late));
    const p = `auth/${date}/09`;
    expect((await lakeState(lake)).get(p)!.length).toBeGreaterThanOrEqual(2);
    const report = await compactLake({ lake, from: date, to: date, now: allClosed });
    expect(report.compacted.map((c) => `${c.table}/${c.date}/${c.hour}`)).toEqual([p]);
    const want = new Map([...expected.get(p)!, ...lateExpected.get(p)!]);
    expect(want.size).toBe(26);
    expectCompacted((await lakeState(lake)).get(p), want);
  });

  it('the batch reader of a day whose files were compacted after it listed them reads every event', async () => {
    await clear();
    const { expected: written } = await writeSmallFiles(lake, { ...spec, seed: 43, idPrefix: '0195dddd' });
    // Local day 2026-03-02 (UTC+7) holds UTC hours 2026-03-01T17 .. 2026-03-02T16: all of the spec's.
    const files = await new RawListing(lake).files(categories, utcPartitionsOfLocalDay(calendar, date));
    expect(files.length).toBe((await lake.list(rawPrefix)).length);
    await compactLake({ lake, from: date, to: date, now: allClosed });
    const seen: string[] = [];
    const stats = await readDay(lake, files, date, calendar, (e) => seen.push(e.id));
    const ids = new Set([...written.values()].flatMap((m) => [...m.keys()]));
    expect(seen).toHaveLength(ids.size);
    expect(new Set(seen)).toEqual(ids);
    expect(stats.relisted).toBe(9);
  });
});

describe('xAPI statement table compaction on S3', () => {
  it('one file per closed hour beside the raw tables, earliest stored kept; a crash before the deletes then a rerun', async () => {
    await clear();
    const raw = await writeSmallFiles(lake, { ...spec, seed: 44, hours: [9], idPrefix: '0195eeee' });
    const { expected } = await writeStatements(lake, {
      seed: 45,
      date,
      hours: [8, 9],
      perHour: 30,
      maxPerWrite: 6,
    });
    const before = await statementState(lake);
    for (const h of ['08', '09']) expect(before.get(`${date}/${h}`)!.length).toBeGreaterThan(2);
    // The puts of every table, then the first delete fails: old and compacted files side by side.
    const faulty = new FaultyStore(lake, { op: 'delete', n: 1 });
    await expect(compactLake({ lake: faulty, from: date, to: date, now: allClosed })).rejects.toThrow(
      InjectedFault,
    );
    await faulty.settled();
    expectNoStatementLost(await statementState(lake), expected);
    expectNothingLost(await lakeState(lake), raw.expected);

    const report = await compactLake({ lake, from: date, to: date, now: allClosed });
    expect(report.compacted.filter((c) => c.table === 'xapi_statements').map((c) => c.hour)).toEqual(
      [...before].filter(([, files]) => files.length > 1).map(([p]) => p.slice(-2)),
    );
    const after = await statementState(lake);
    for (const [p, want] of expected)
      if (before.get(p)!.length > 1) expectStatementsCompacted(after.get(p), want);
    const rawAfter = await lakeState(lake);
    for (const [p, want] of raw.expected) expectCompacted(rawAfter.get(p), want);
    const again = await compactLake({ lake, from: date, to: date, now: allClosed });
    expect(again.compacted).toEqual([]);
    expect(fingerprint(await statementState(lake))).toEqual(fingerprint(after));
  });
});
