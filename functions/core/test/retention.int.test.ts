/**
 * The lake's retention against the real S3 of the local stack (ULA_S3_ENDPOINT, default
 * http://127.0.0.1:9000; `npm run stack:up`): the prefix listings below the horizon, deletes of many files
 * per partition, the boundary date kept, the raw horizon saved, a rerun with nothing left to do, a dry run
 * that changes nothing, and the batch over the S3 lake after it leaving the removed days' views as they
 * were. Uses a bucket of its own.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store } from '../src/adapters/s3.ts';
import { openSqliteViewStore } from '../src/adapters/sqlite.ts';
import { retainLake } from '../src/batch/retain.ts';
import { rawHorizonKey } from '../src/batch/state.ts';
import { datesBetween } from '../src/views/time.ts';
import { batchFixture, ev, readRows, writeLake } from './batch-support.ts';

const endpoint = process.env['ULA_S3_ENDPOINT'] || 'http://127.0.0.1:9000';
process.env['AWS_ACCESS_KEY_ID'] ||= 'ula-local-access';
process.env['AWS_SECRET_ACCESS_KEY'] ||= 'ula-local-secret-key';
const bucket = 'ula-retention-it';
const reference = '2026-03-14';
const now = () => Date.parse(`${reference}T12:00:00Z`);
const limits = { rawDays: 10, personalDays: 12 }; // keep from 2026-03-04 / 2026-03-02

let lake: S3Store;
const allKeys = async () => (await lake.list('')).map((o) => o.key);
const clear = async () => Promise.all((await lake.list('')).map((o) => lake.delete(o.key)));
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

// Local days (UTC+7) 2026-03-01 .. 03-06, each reading two UTC dates (06:00 local is 23:00 UTC the day before).
const days = datesBetween('2026-03-01', '2026-03-06');
const events = days.flatMap((d, i) => [
  ev('LOGIN', `${d}T06:00`, `SV00${i}`, { session_id: `0000000${i}-1111-4111-8111-111111111111` }),
  ev('LOGIN', `${d}T12:00`, 'SV100', { session_id: `0000000${i}-2222-4222-8222-222222222222` }),
]);

describe('retention on S3', () => {
  it('removes whole UTC dates before the limits, keeps the rest, and the batch keeps the old days', async () => {
    const fixture = batchFixture(openSqliteViewStore(':memory:'), lake);
    try {
      await writeLake(lake, events);
      // 40 small files in one expired hour (more than one round of concurrent deletes).
      for (let i = 0; i < 40; i++)
        await lake.put(`xapi/statements/date=2026-03-01/hour=05/f${i}.parquet`, new Uint8Array([i]));
      await lake.put('xapi/statements/date=2026-03-04/hour=00/kept.parquet', new Uint8Array([1]));
      await lake.put('personal/profile/date=2026-03-01/hour=23/p.parquet', new Uint8Array([1]));
      await lake.put('personal/profile/date=2026-03-02/hour=00/p.parquet', new Uint8Array([1]));
      await lake.put('dead-letter/date=2026-02-01/hour=00/d.ndjson', new Uint8Array([1]));
      await fixture.run({ job: 'auth', from: days[0]!, to: days.at(-1)! });
      const dau = await readRows(fixture.store, 'auth_daily_active_users');
      const summary = await readRows(fixture.store, 'auth_user_activity_summary');
      expect(dau.map((r) => r['date'])).toEqual(days);

      const before = await allKeys();
      const dry = await retainLake({ lake, reference, limits, now, dryRun: true });
      expect(await allKeys()).toEqual(before);

      const report = await retainLake({ lake, reference, limits, now });
      expect(report.partitions).toEqual(dry.partitions);
      expect(report.partitions.map((p) => `${p.table} ${p.date} ${p.files}`)).toEqual([
        'auth 2026-02-28 1',
        'auth 2026-03-01 2',
        'auth 2026-03-02 2',
        'auth 2026-03-03 2',
        'xapi_statements 2026-03-01 40',
        'personal_profile 2026-03-01 1',
        'dead_letter 2026-02-01 1',
      ]);
      const after = await allKeys();
      expect(after.filter((k) => /^raw\/auth\/date=2026-03-0[0-3]|date=2026-02/.test(k))).toEqual([]);
      expect(after).toContain('xapi/statements/date=2026-03-04/hour=00/kept.parquet');
      expect(after).toContain('personal/profile/date=2026-03-02/hour=00/p.parquet');
      expect(after.filter((k) => k.startsWith('raw/auth/date=2026-03-04/'))).toHaveLength(2);
      expect(await lake.get(rawHorizonKey)).toBeDefined();
      expect((await retainLake({ lake, reference, limits, now })).partitions).toEqual([]);
      expect(await allKeys()).toEqual(after);

      // The batch over the same range again: local days 03-01 .. 03-04 read removed dates and stay.
      const rerun = await fixture.run({ job: 'auth', from: days[0]!, to: days.at(-1)! });
      expect(rerun.daysRecomputed).toEqual(['2026-03-05', '2026-03-06']);
      expect(await readRows(fixture.store, 'auth_daily_active_users')).toEqual(dau);
      expect(await readRows(fixture.store, 'auth_user_activity_summary')).toEqual(summary);
    } finally {
      await fixture.close();
    }
  });
});
