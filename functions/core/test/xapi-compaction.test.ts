/**
 * Compaction of the xAPI statement table (`xapi/statements/`, lake/compaction.ts xapiStatementTable) on a
 * local-dir lake: statements written as the LRS writes them (one file per group commit and UTC hour of
 * `stored`), some resent after a crash (the same statement_id in another file, stored later). Expected rows
 * are computed from the rows written: per hour, one row per statement id, the earliest stored kept, sorted
 * by stored; the open hour untouched; a crash at every step loses nothing and a rerun writes the reference
 * bytes; the batch entry point's compact run compacts raw and statement tables and records the run.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDirStore } from '../src/adapters/local-dir.ts';
import type { ObjectStore } from '../src/adapters/object-store.ts';
import { openSqliteViewStore } from '../src/adapters/sqlite.ts';
import { runCompaction } from '../src/batch/compact.ts';
import { compactLake, xapiStatementTable } from '../src/lake/compaction.ts';
import { writeXapiStatements } from '../src/lake/xapi-statements.ts';
import { batchRuns } from '../src/views/system-tables.ts';
import { prng } from './batch-oracle.ts';
import {
  type CrashScenario,
  crashAtEveryCall,
  crashBeforeDeletes,
  crashCases,
  expectCompacted,
  expectNothingLost,
  fingerprint,
  lakeState,
  writeSmallFiles,
} from './compaction-support.ts';
import {
  type ExpectedStatements,
  expectNoStatementLost,
  expectStatementsCompacted,
  type StatementFile,
  type StatementsSpec,
  statementRow,
  statementState,
  writeStatements,
} from './xapi-compaction-support.ts';

const date = '2026-03-02';
const allClosed = () => Date.parse(`${date}T23:59:00Z`);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ula-xapi-compaction-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
let lakes = 0;
const newLake = () => new LocalDirStore(join(root, `lake-${++lakes}`));

const compactStatements = (lake: ObjectStore, now = allClosed) =>
  compactLake({ lake, from: date, to: date, now, tables: [xapiStatementTable] });

const spec: StatementsSpec = { seed: 51, date, hours: [8, 9, 10], perHour: 60, maxPerWrite: 9 };

describe('xAPI statement table compaction', () => {
  it('rewrites each closed hour into one file sorted by stored, the earliest copy of a resent id kept; the open hour untouched', async () => {
    const lake = newLake();
    const { expected, files, rows } = await writeStatements(lake, spec);
    const before = await statementState(lake);
    // The fixture is what it claims: many files per hour, resent ids within an hour, nothing lost yet.
    for (const p of ['08', '09', '10']) expect(before.get(`${date}/${p}`)!.length).toBeGreaterThan(5);
    expect([...before.values()].flat()).toHaveLength(files);
    const distinct = [...expected.values()].reduce((sum, ids) => sum + ids.size, 0);
    expect(rows - distinct).toBeGreaterThan(20);
    expectNoStatementLost(before, expected);

    // 11:05 UTC: hours 08 and 09 are closed; 10 closes at 11:10, and resends stored in 11 are open too.
    const report = await compactStatements(lake, () => Date.parse(`${date}T11:05:00Z`));
    expect(report.skipped).toEqual([]);
    expect(report.partitionsClosed).toBe(2);
    expect(report.partitionsOpen).toBe(expected.size - 2);
    expect(report.compacted.map((c) => `${c.table}/${c.hour}`).sort()).toEqual([
      'xapi_statements/08',
      'xapi_statements/09',
    ]);
    const after = await statementState(lake);
    expectNoStatementLost(after, expected);
    for (const [p, want] of expected) {
      const open = p >= `${date}/10`;
      if (open) {
        expect(fingerprint(new Map([[p, after.get(p)!]])), p).toEqual(
          fingerprint(new Map([[p, before.get(p)!]])),
        );
        continue;
      }
      expectStatementsCompacted(after.get(p), want);
      const done = report.compacted.find((c) => `${c.date}/${c.hour}` === p)!;
      const rowsBefore = before.get(p)!.reduce((sum, f) => sum + f.rows.length, 0);
      expect(done).toMatchObject({ filesBefore: before.get(p)!.length, filesAfter: 1, events: want.size });
      expect(done.duplicatesDropped).toBe(rowsBefore - want.size);
      expect(done.duplicatesDropped).toBeGreaterThan(0);
    }

    // Once every hour is closed, the rest are compacted too; a rerun changes nothing (same keys, same bytes).
    await compactStatements(lake);
    const final = await statementState(lake);
    for (const [p, want] of expected) expectStatementsCompacted(final.get(p), want);
    const again = await compactStatements(lake);
    expect(again.compacted).toEqual([]);
    expect(again.partitionsClosed).toBe(expected.size);
    expect(fingerprint(await statementState(lake))).toEqual(fingerprint(final));
  }, 60_000);

  it('a late statement file in a compacted hour is merged by the next run', async () => {
    const lake = newLake();
    const { expected } = await writeStatements(lake, { ...spec, seed: 52, hours: [9] });
    await compactStatements(lake);
    const p = `${date}/09`;
    const [compacted] = (await statementState(lake)).get(p)!;
    // A resend of a compacted statement (stored later, same hour) and a new statement land after the run.
    const r = prng(53);
    const first = compacted!.rows[0]!;
    const resend = {
      ...first,
      stored: new Date(first.stored.getTime() + 1),
      statement: `${first.statement} `,
    };
    const fresh = statementRow('0195dddd-0000-4000-8000-000000000001', new Date(`${date}T09:30:00Z`), r);
    await writeXapiStatements(lake, [resend, fresh]);
    expect((await statementState(lake)).get(p)).toHaveLength(2);
    const report = await compactStatements(lake);
    expect(report.compacted).toMatchObject([{ table: 'xapi_statements', hour: '09', duplicatesDropped: 1 }]);
    const want = new Map([...expected.get(p)!, [fresh.statement_id, fresh]]);
    expectStatementsCompacted((await statementState(lake)).get(p), want);
  }, 60_000);
});

describe('a crash at every step of a statement table compaction', () => {
  const small: StatementsSpec = {
    seed: 61,
    date,
    hours: [9, 10],
    perHour: 10,
    maxPerWrite: 4,
    resendShare: 0.4,
  };
  let template: string;
  let expected: ExpectedStatements;
  let reference: Record<string, string>;
  let inputFiles: number;
  beforeAll(async () => {
    const lake = newLake();
    template = lake.root;
    ({ expected, files: inputFiles } = await writeStatements(lake, small));
    const copy = newLake();
    await cp(template, copy.root, { recursive: true });
    await compactStatements(copy);
    reference = fingerprint(await statementState(copy));
    expect(Object.keys(reference)).toHaveLength(expected.size);
    for (const files of (await statementState(lake)).values()) expect(files.length).toBeGreaterThan(1);
  });

  const scenario = (): CrashScenario<Map<string, StatementFile[]>> => ({
    copy: async () => {
      const lake = newLake();
      await cp(template, lake.root, { recursive: true });
      return lake;
    },
    compact: (lake) => compactStatements(lake),
    state: statementState,
    expectNothingLost: (state) => expectNoStatementLost(state, expected),
    expectCompacted: (state) => {
      for (const [p, want] of expected) expectStatementsCompacted(state.get(p), want);
    },
    reference,
  });

  it.each(crashCases)(
    'call n of %s failing (after it completed: %s), for every n: nothing lost; a rerun writes the reference bytes',
    async (op, after) => {
      const faults = await crashAtEveryCall(scenario(), op, after);
      // Every call of a run was failed once: a list per date, a put per hour, a get and a delete per file.
      expect(faults).toBeGreaterThanOrEqual(
        { list: 1, get: inputFiles, put: expected.size, delete: inputFiles }[op],
      );
    },
    120_000,
  );

  it('a crash after the put, before the deletes: old files beside the compacted one, then a rerun gives one', async () => {
    await crashBeforeDeletes(scenario());
  }, 60_000);
});

describe('the batch entry point’s compact run', () => {
  it('compacts the raw event tables and the statement table in one run, recorded in batch_runs', async () => {
    const lake = newLake();
    const raw = await writeSmallFiles(lake, {
      seed: 71,
      date,
      hours: [9],
      types: ['LOGIN', 'VIDEO_WATCHED'],
      perHour: 20,
      maxPerWrite: 6,
    });
    const statements = await writeStatements(lake, {
      seed: 72,
      date,
      hours: [9],
      perHour: 30,
      maxPerWrite: 7,
    });
    // Hours with more than one file are compacted (a resend stored in the next hour may be alone there).
    const statementFiles = await statementState(lake);
    const compactedHours = [...statementFiles].filter(([, files]) => files.length > 1).map(([p]) => p);
    expect(compactedHours).toContain(`${date}/09`);
    const views = openSqliteViewStore(':memory:');
    try {
      const report = await runCompaction({
        request: { job: 'compact', from: date, to: date },
        runId: 'compact-both',
        lake,
        views,
        now: allClosed,
      });
      const byTable = new Map(report.compacted.map((c) => [`${c.table}/${c.hour}`, c]));
      expect([...byTable.keys()].sort()).toEqual(
        ['auth/09', 'video/09', ...compactedHours.map((p) => `xapi_statements/${p.slice(-2)}`)].sort(),
      );
      const rawState = await lakeState(lake);
      expectNothingLost(rawState, raw.expected);
      for (const [p, want] of raw.expected) expectCompacted(rawState.get(p), want);
      const xapiState = await statementState(lake);
      for (const [p, want] of statements.expected) {
        if (compactedHours.includes(p)) expectStatementsCompacted(xapiState.get(p), want);
        else
          expect(xapiState.get(p), `${p}: a single file, nothing to compact`).toEqual(statementFiles.get(p));
      }
      // The run row counts every table's rows and files: events_read = distinct rows of the compacted hours.
      const distinct = (ids: Iterable<Map<string, unknown>>) => [...ids].reduce((sum, m) => sum + m.size, 0);
      const compactedStatements = [...statements.expected]
        .filter(([p]) => compactedHours.includes(p))
        .map(([, ids]) => ids);
      const [run] = await views.readPartition(batchRuns, { run_id: 'compact-both' });
      expect(run).toMatchObject({
        job: 'compact',
        status: 'succeeded',
        events_read: distinct(raw.expected.values()) + distinct(compactedStatements),
        rows_written: byTable.size,
      });
    } finally {
      await views.close();
    }
  }, 60_000);
});
