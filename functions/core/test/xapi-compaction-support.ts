/**
 * Helpers for the xAPI statement table's compaction tests: statements written as the LRS writes them (one
 * file per group commit and UTC hour of `stored`, a retried flush of the same ids replacing its file), some
 * resent after a crash (the same statement_id in a later commit, stored later), the expectation computed
 * from the files written (never from the code under test), and a reader of the table's state.
 */
import { expect } from 'vitest';
import type { ObjectStore } from '../src/adapters/object-store.ts';
import { utcHourOf } from '../src/lake/paths.ts';
import {
  decodeXapiStatements,
  writeXapiStatements,
  type XapiStatementRow,
  xapiStatementsPartitionPrefix,
  xapiStatementsPrefix,
} from '../src/lake/xapi-statements.ts';
import { prng } from './batch-oracle.ts';

const hourMs = 3_600_000;

/** Per `date/hour` of stored, per statement id: the row expected after compaction (the earliest stored). */
export type ExpectedStatements = Map<string, Map<string, XapiStatementRow>>;

const partitionOfStored = (stored: Date) => {
  const p = utcHourOf(stored);
  return `${p.date}/${p.hour}`;
};

export function statementRow(id: string, stored: Date, r: ReturnType<typeof prng>): XapiStatementRow {
  const user = `SV${String(r.int(1, 40)).padStart(3, '0')}`;
  const statementTime = new Date(stored.getTime() - r.int(0, 60_000));
  const mapped = r.chance(0.8);
  return {
    statement_id: id,
    verb: mapped ? 'http://adlnet.gov/expapi/verbs/completed' : 'http://example.edu/verbs/bookmarked',
    activity_type: 'http://adlnet.gov/expapi/activities/course',
    object_id: `https://lms.example.edu/course/${r.int(1, 5)}`,
    user_id: user,
    registration: null,
    rule: mapped ? 'course-completed' : null,
    event_ids: mapped ? `${id}-e1` : '',
    event_types: mapped ? 'COURSE_COMPLETED' : '',
    statement_time: statementTime,
    stored,
    version: '1.0.3',
    // The stored form carries `stored`: a resend's row differs from the first copy's.
    statement: JSON.stringify({ id, actor: { account: { name: user } }, stored: stored.toISOString() }),
  };
}

export interface StatementsSpec {
  seed: number;
  /** UTC date of `stored`. */
  date: string;
  /** UTC hours (0-23) of the first copies' `stored`. */
  hours: number[];
  perHour: number;
  /** Statements per group commit at most. */
  maxPerWrite: number;
  /** Share of statements resent (default 0.25). */
  resendShare?: number;
  /** Unique id namespace (tests sharing a lake must not share ids). */
  idPrefix?: string;
}

/**
 * Statements of `hours` (`perHour` each, one at the first and one at the last millisecond of the hour),
 * written in group commits of up to `maxPerWrite` in stored order; a share of each commit's statements is
 * resent in a later commit, stored 1 ms to 10 minutes later (sometimes the next hour). Returns what the
 * table must hold after compaction.
 */
export async function writeStatements(
  lake: ObjectStore,
  spec: StatementsSpec,
): Promise<{ expected: ExpectedStatements; files: number; rows: number }> {
  const r = prng(spec.seed);
  const rows: XapiStatementRow[] = [];
  let n = 0;
  for (const hour of spec.hours) {
    const start = Date.parse(`${spec.date}T${String(hour).padStart(2, '0')}:00:00.000Z`);
    for (let i = 0; i < spec.perHour; i++) {
      const ms = i === 0 ? start : i === 1 ? start + hourMs - 1 : start + r.int(0, hourMs - 1);
      const id = `${spec.idPrefix ?? '0195cccc'}-0000-4000-8000-${(++n).toString(16).padStart(12, '0')}`;
      const row = statementRow(id, new Date(ms), r);
      rows.push(row);
      if (r.chance(spec.resendShare ?? 0.25))
        rows.push({ ...row, stored: new Date(ms + r.int(1, 600_000)), statement: `${row.statement} ` });
    }
  }
  rows.sort((a, b) => a.stored.getTime() - b.stored.getTime());
  // The files written, by key: a later commit of the same ids in the same hour replaces the file
  // (files are named by their ids), as the LRS's retried flush does.
  const files = new Map<string, XapiStatementRow[]>();
  for (let i = 0; i < rows.length; ) {
    // A group commit never holds one id twice (the LRS refuses that): a commit ends before a repeated id.
    const commit: XapiStatementRow[] = [];
    const ids = new Set<string>();
    for (let size = r.int(1, spec.maxPerWrite); i < rows.length && commit.length < size; i++) {
      if (ids.has(rows[i]!.statement_id)) break;
      ids.add(rows[i]!.statement_id);
      commit.push(rows[i]!);
    }
    for (const { key } of await writeXapiStatements(lake, commit))
      files.set(
        key,
        commit.filter((row) => key.startsWith(xapiStatementsPartitionPrefix(utcHourOf(row.stored)))),
      );
  }
  const expected: ExpectedStatements = new Map();
  for (const row of [...files.values()].flat()) {
    const p = partitionOfStored(row.stored);
    const ids = expected.get(p) ?? new Map<string, XapiStatementRow>();
    expected.set(p, ids);
    const kept = ids.get(row.statement_id);
    if (!kept || row.stored.getTime() < kept.stored.getTime()) ids.set(row.statement_id, row);
  }
  return { expected, files: files.size, rows: [...files.values()].flat().length };
}

export interface StatementFile {
  key: string;
  bytes: Uint8Array;
  rows: XapiStatementRow[];
}

/** Every statement file, decoded, by `date/hour`. */
export async function statementState(lake: ObjectStore): Promise<Map<string, StatementFile[]>> {
  const out = new Map<string, StatementFile[]>();
  for (const o of await lake.list(xapiStatementsPrefix)) {
    const m = /date=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\//.exec(o.key);
    if (!m) throw new Error(`not a statement file: ${o.key}`);
    const bytes = await lake.get(o.key);
    if (!bytes) continue;
    const p = `${m[1]}/${m[2]}`;
    out.set(p, [...(out.get(p) ?? []), { key: o.key, bytes, rows: await decodeXapiStatements(bytes) }]);
  }
  return out;
}

/** Every expected statement id is in its hour, and no other id. */
export function expectNoStatementLost(state: Map<string, StatementFile[]>, expected: ExpectedStatements) {
  for (const [p, want] of expected) {
    const ids = new Set((state.get(p) ?? []).flatMap((f) => f.rows.map((r) => r.statement_id)));
    expect([...ids].sort(), p).toEqual([...want.keys()].sort());
  }
  expect([...state.keys()].sort()).toEqual([...expected.keys()].sort());
}

/** A compacted hour: one file, one row per id (the earliest stored, whole), sorted by stored. */
export function expectStatementsCompacted(
  files: StatementFile[] | undefined,
  want: Map<string, XapiStatementRow>,
) {
  expect(files).toHaveLength(1);
  const rows = files![0]!.rows;
  expect(rows).toHaveLength(want.size);
  for (let i = 1; i < rows.length; i++)
    expect(rows[i]!.stored.getTime()).toBeGreaterThanOrEqual(rows[i - 1]!.stored.getTime());
  for (const row of rows) expect(row).toEqual(want.get(row.statement_id));
}
