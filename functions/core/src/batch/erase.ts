/**
 * The erasure job (`--job erase --user <id> [--events] [--request <id>]`, issue 24): removes one user's data.
 *
 * 1. Personal data: the user's rows of the restricted table `personal/profile/` (always).
 * 2. With `events`: every event of the user in the raw lake (the events whose `user_id`, or another user-id
 *    field such as a grade's `student_id`, is the user) and the user's xAPI statements. Each partition that
 *    holds any is rewritten by the compaction's own swap (`compactPartition`) over the rows that remain:
 *    the remaining rows are written (named by their ids) before the old files are deleted.
 * 3. With `events`: the rows keyed by the user in every stored batch view and the user's speed facts (count
 *    facts of the user's events, distinct facts whose member is the user) are deleted by key; then the
 *    batch state is dropped and the whole history recomputed, so every aggregate the user was part of is
 *    exact again. Incremental recomputation cannot do it: days older than the state retention keep no
 *    partial to remove, min/max/distinct states cannot take a contribution out, and the rewritten files
 *    change every fingerprint. Rows that only the user's events fed (a teacher's workload over the user's
 *    grades alone) are found by running the batch over the user's events alone (in memory) and deleted
 *    before the rebuild, which writes back those that still exist. With a retention horizon (batch/retain.ts)
 *    the days before it cannot be recomputed, so the batch is not rebuilt: the user's own rows still go,
 *    the aggregates keep the user's anonymous contribution, and the audit record says so.
 *
 * The id given may be the real one or the pseudonym; with `ULA_PSEUDONYMIZE=hmac` both are matched.
 *
 * Faults: the job first surveys what it will remove and writes a journal (`audit/erasure_pending/<hash>.json`:
 * counts, the partitions to rewrite, the view partitions to clean, no user id), then runs its steps in
 * order, recording each in the journal. Every step is idempotent (a rewrite finds no user row left, a
 * delete of a deleted key is no error, the rebuild starts over), so a rerun after a crash anywhere resumes
 * at the first unfinished step and reports the surveyed counts. The audit record
 * (`audit/erasure/<hash>.parquet`, no personal data: the request id is the link) is written last; a
 * request whose record exists is finished, and a rerun changes nothing and says so.
 */
import { createHash } from 'node:crypto';
import type { ObjectInfo, ObjectStore } from '../adapters/object-store.ts';
import { openSqliteViewStore } from '../adapters/sqlite.ts';
import type { ViewStore } from '../adapters/view-store.ts';
import type { RiskThresholds } from '../categories/student-course/risk.ts';
import { definitionOf } from '../events/catalogue.ts';
import { userIdFieldsOf } from '../events/define.ts';
import { type Category, categories, cloudEventType } from '../events/envelope.ts';
import {
  type CompactableTable,
  compactPartition,
  rawEventTable,
  xapiStatementTable,
} from '../lake/compaction.ts';
import { decodeErasureAudit, encodeErasureAudit, erasureAuditKey } from '../lake/erasure-audit.ts';
import {
  decodePersonalData,
  encodePersonalData,
  type PersonalDataRow,
  personalDataPrefix,
} from '../lake/personal-data.ts';
import { groupRawEvents, parquetContentType, writeRawGroup } from '../lake/raw-lake.ts';
import { fromRawRow, type RawEventRow } from '../lake/raw-schema.ts';
import type { XapiStatementRow } from '../lake/xapi-statements.ts';
import type { Pseudonymize } from '../privacy/pseudonym.ts';
import { batchViews } from '../views/batch-catalogue.ts';
import type { Row, TableDefinition } from '../views/columns.ts';
import type { BatchViewDefinition } from '../views/define.ts';
import { speedFacts } from '../views/engine.ts';
import { speedViews } from '../views/speed-catalogue.ts';
import { batchTable, speedTable } from '../views/tables.ts';
import { addDays, type LocalCalendar, utcDate } from '../views/time.ts';
import { runBatch } from './job.ts';
import { recordedRun } from './recorded-run.ts';
import { type ErasureRequest, eraseJob } from './request.ts';
import { readRawHorizon, statePrefix } from './state.ts';

/** State the rebuild keeps: the retention's horizon (state/_retention/). */
const keptStatePrefix = `${statePrefix}_retention/`;

/** The journal of a request in progress (its own prefix: the audit table's folder holds records only). */
export const journalPrefix = 'audit/erasure_pending/';
const requestHash = (requestId: string) => createHash('sha256').update(requestId).digest('hex').slice(0, 32);
export const auditKey = erasureAuditKey;
export const journalKey = (requestId: string) => `${journalPrefix}${requestHash(requestId)}.json`;

/** Key columns that name a user in batch views. */
const userColumns = ['user_id', 'student_id'];

export interface ErasureOptions {
  request: ErasureRequest;
  runId: string;
  lake: ObjectStore;
  views: ViewStore;
  calendar: LocalCalendar;
  /** The pseudonymizer in force (`userIdPseudonymizer(env)`), undefined when off. */
  pseudonymize?: Pseudonymize | undefined;
  now?: () => number;
  lookbackDays?: number;
  stateRetentionDays?: number;
  graceMs?: number;
  risk?: RiskThresholds;
  log?: (entry: Record<string, unknown>) => void;
}

/** What the survey found, in counts and non-personal locations (no user id). */
interface Survey {
  personal: { rows: number; files: number; partitions: Partition[] };
  lake: { events: number; statements: number; files: number; partitions: Partition[] };
  /** Per batch view: rows keyed by the user, and the partitions they are in (`user`: the user's own). */
  views: { view: string; rows: number; partitions: Row[] | 'user' }[];
  /** Per speed view: the user's fact keys (member `userMember` stands for the user id). */
  speed: { view: string; rows: number; facts: Row[] }[];
  /**
   * Per stored batch view: the keys of rows the user's events fed (besides the user's own rows), deleted
   * before the rebuild so that a grain only the user made (a teacher's workload on the user's grades, a
   * score band only the user was in) goes: the batch rewrites only the keys it produces.
   */
  fed: { view: string; keys: Row[] }[];
  /** The local days the batch recomputes (every day of the lake), or none. */
  range: { from: string; to: string } | null;
  /**
   * Whether the batch is rebuilt: not when the raw lake has a retention horizon (batch/retain.ts), whose
   * older days cannot be recomputed (their files are gone): rebuilding would lose them from every view.
   */
  rebuild: boolean;
}
interface Partition {
  table: string;
  date: string;
  hour: string;
}
type Step = 'personal' | 'lake' | 'views' | 'speed' | 'rebuild';
interface Journal {
  requestId: string;
  runId: string;
  startedAt: number;
  events: boolean;
  survey: Survey;
  done: Step[];
  /** Local days the rebuild recomputed (once it is done). */
  daysRecomputed?: number;
}

export interface ErasureReport {
  requestId: string;
  /** A finished request rerun: nothing was changed. */
  alreadyDone: boolean;
  events: boolean;
  personalRows: number;
  eventsRemoved: number;
  statementsRemoved: number;
  filesRewritten: number;
  viewRows: Record<string, number>;
  speedRows: Record<string, number>;
  daysRecomputed: number;
  /**
   * The batch was rebuilt without the user's events; false without `events`, when the lake held none of
   * theirs, or when a retention horizon kept the aggregates (logged as `erasure_aggregates_kept`).
   */
  aggregatesRecomputed: boolean;
  ms: number;
}

/** Stands for the user id in journaled speed fact keys, so the journal never holds it. */
const userMember = '\u0000user';

/** The personal-data table as compaction sees it (its swap is reused to rewrite it). */
const personalTable: CompactableTable<PersonalDataRow> = {
  name: 'personal_profile',
  prefix: personalDataPrefix,
  decode: decodePersonalData,
  encode: encodePersonalData,
  id: (row) => row.event_id,
  sortTime: (row) => row.event_time.getTime(),
  acceptedTime: (row) => row.ingest_time.getTime(),
};

const lakeTables = (): CompactableTable[] => [
  ...categories.map((c) => rawEventTable(c) as CompactableTable),
  xapiStatementTable as CompactableTable,
];
const tableNamed = (name: string): CompactableTable => {
  if (name === personalTable.name) return personalTable as CompactableTable;
  const table = lakeTables().find((t) => t.name === name);
  if (!table) throw new Error(`unknown lake table ${name}`);
  return table;
};

/** The user-id fields of an event type beyond `user_id` (a grade's `student_id`). */
const otherUserFields = new Map<string, string[]>();
function otherUserFieldsOf(category: string, eventType: string): string[] {
  const type = cloudEventType(category as Category, eventType);
  let fields = otherUserFields.get(type);
  if (!fields) {
    const definition = definitionOf(type);
    fields = definition ? userIdFieldsOf(definition).filter((f) => f !== 'user_id') : [];
    otherUserFields.set(type, fields);
  }
  return fields;
}

/** Whether a lake row belongs to the user (raw events: any user-id field; statements: the actor). */
function rowMatcher(table: CompactableTable, ids: ReadonlySet<string>): (row: unknown) => boolean {
  if (table.name === personalTable.name)
    return (row) => {
      const r = row as PersonalDataRow;
      return ids.has(r.user_id) || (r.original_user_id !== null && ids.has(r.original_user_id));
    };
  if (table.name === xapiStatementTable.name)
    return (row) => {
      const r = row as XapiStatementRow;
      return r.user_id !== null && ids.has(r.user_id);
    };
  return (row) => {
    const r = row as RawEventRow;
    if (ids.has(r.user_id)) return true;
    const fields = otherUserFieldsOf(r.category, r.event_type);
    if (fields.length === 0) return false;
    const data = JSON.parse(r.data) as Record<string, unknown>;
    return fields.some((f) => typeof data[f] === 'string' && ids.has(data[f] as string));
  };
}

const fileKeyPattern = /date=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/[^/]+\.parquet$/;

/** Reads every file of a table (8 reads ahead), passing each file's rows to `visit`. */
async function scanTable(
  lake: ObjectStore,
  table: CompactableTable,
  visit: (key: string, rows: unknown[]) => void,
): Promise<{ first?: string; last?: string }> {
  const keys = (await lake.list(table.prefix)).map((o) => o.key).filter((k) => fileKeyPattern.test(k));
  const reads: (Promise<Uint8Array | undefined> | undefined)[] = [];
  let first: string | undefined;
  let last: string | undefined;
  for (let i = 0; i < keys.length; i++) {
    for (let j = reads.length; j <= i + 8 && j < keys.length; j++) {
      const read = lake.get(keys[j]!);
      read.catch(() => {});
      reads.push(read);
    }
    const bytes = await reads[i];
    reads[i] = undefined;
    const date = fileKeyPattern.exec(keys[i]!)![1]!;
    if (first === undefined || date < first) first = date;
    if (last === undefined || date > last) last = date;
    // A file gone since the listing was compacted meanwhile: its rows are in a file listed after it, or
    // written after the listing (a rerun of the survey then finds them).
    if (bytes) visit(keys[i]!, await table.decode(bytes));
  }
  return { ...(first ? { first } : {}), ...(last ? { last } : {}) };
}

const partitionOf = (table: CompactableTable, key: string): Partition => {
  const m = fileKeyPattern.exec(key)!;
  return { table: table.name, date: m[1]!, hour: m[2]! };
};

/** The user ids to match: the one given and, when pseudonymising, its pseudonym. */
export function userIdsOf(user: string, pseudonymize: Pseudonymize | undefined): Set<string> {
  return new Set([user, ...(pseudonymize ? [pseudonymize(user)] : [])]);
}

/** The stored batch tables with a user key column, and that column. */
export const userKeyedViews = (): {
  view: BatchViewDefinition<never>;
  table: TableDefinition;
  column: string;
}[] =>
  batchViews
    .filter((v) => !v.intermediate)
    .flatMap((view) => {
      const table = batchTable(view);
      const keys = [...table.partitionKey, ...table.clustering.map((c) => c.name)];
      const column = keys.find((k) => userColumns.includes(k));
      return column ? [{ view, table, column }] : [];
    });

/**
 * The partitions of a user-keyed table that are not the user's own, where the user's rows can be: each
 * partition column's values from what the user's events and own rows name (dates of the events and the
 * trailing window after them, courses), a derived column's value for the user or its whole domain.
 */
export function candidatePartitions(
  view: BatchViewDefinition<never>,
  table: TableDefinition,
  ids: ReadonlySet<string>,
  known: {
    dates: ReadonlySet<string>;
    /** The columns whose values the user's events and own rows name (none found: no partition to read). */
    columns: ReadonlySet<string>;
    values: ReadonlyMap<string, ReadonlySet<string>>;
  },
): Row[] {
  let partitions: Row[] = [{}];
  for (const column of table.partitionKey) {
    let values: unknown[];
    const derived = view.derived?.[column];
    if (column === 'date') {
      const dates = new Set<string>();
      for (const date of known.dates)
        for (let k = 0; k < (view.trailingDays ?? 1); k++) dates.add(addDays(date, k));
      values = [...dates];
    } else if (derived?.domain) values = [...derived.domain];
    else if (derived) {
      values = [
        ...new Set(
          [...ids].map((id) => derived.value(Object.fromEntries(userColumns.map((c) => [c, id])), {}, {})),
        ),
      ];
    } else if (known.columns.has(column)) values = [...(known.values.get(column) ?? [])];
    else
      throw new Error(`erasure: no way to find the partitions of ${view.name} (by ${column}) holding a user`);
    partitions = partitions.flatMap((p) => values.map((v) => ({ ...p, [column]: v }) as Row));
  }
  return partitions;
}

export async function runErasure(options: ErasureOptions): Promise<ErasureReport> {
  const { request, lake, views, runId } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const started = Date.now();
  const requestId = request.requestId ?? runId;
  const ids = userIdsOf(request.user, options.pseudonymize);

  const audit = await lake.get(auditKey(requestId));
  if (audit) {
    await lake.delete(journalKey(requestId)); // left by a crash after the record was written
    const report = { ...(await decodeAudit(audit)), alreadyDone: true, ms: Date.now() - started };
    log({ event: 'erasure_already_done', requestId });
    return report;
  }

  let journal: Journal;
  const saved = await lake.get(journalKey(requestId));
  if (saved) {
    journal = JSON.parse(Buffer.from(saved).toString('utf8')) as Journal;
    log({ event: 'erasure_resumed', requestId, done: journal.done });
  } else {
    const survey = await surveyUser(options, ids);
    journal = { requestId, runId, startedAt: now(), events: request.events, survey, done: [] };
    await saveJournal(lake, journal);
    log({
      event: 'erasure_surveyed',
      requestId,
      personalRows: survey.personal.rows,
      events: survey.lake.events,
      statements: survey.lake.statements,
      files: survey.personal.files + survey.lake.files,
    });
  }
  const { survey } = journal;
  const step = async (name: Step, work: () => Promise<void>) => {
    if (journal.done.includes(name)) return;
    const stepStarted = Date.now();
    await work();
    journal.done.push(name);
    await saveJournal(lake, journal);
    log({ event: 'erasure_step_done', requestId, step: name, ms: Date.now() - stepStarted });
  };

  await step('personal', () => rewritePartitions(lake, survey.personal.partitions, ids));
  if (journal.events) {
    await step('lake', () => rewritePartitions(lake, survey.lake.partitions, ids));
    await step('views', () => deleteViewRows(views, survey, ids));
    await step('speed', () => deleteSpeedFacts(views, survey, ids));
    await step('rebuild', async () => {
      if (!survey.range || !survey.rebuild) return;
      const tables = new Map(batchViews.map((v) => [v.name, batchTable(v)]));
      for (const { view, keys } of survey.fed) await views.deleteRows(tables.get(view)!, keys);
      // 16 deletes at a time: a long history keeps thousands of state objects.
      const stale = (await lake.list(statePrefix)).filter((o) => !o.key.startsWith(keptStatePrefix));
      for (let i = 0; i < stale.length; i += 16)
        await Promise.all(stale.slice(i, i + 16).map((o) => lake.delete(o.key)));
      const batch = await runBatch({
        request: { job: 'all', ...survey.range },
        runId: `${runId}-rebuild`,
        lake,
        views,
        calendar: options.calendar,
        now,
        ...(options.lookbackDays !== undefined ? { lookbackDays: options.lookbackDays } : {}),
        ...(options.stateRetentionDays !== undefined
          ? { stateRetentionDays: options.stateRetentionDays }
          : {}),
        ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
        ...(options.risk ? { risk: options.risk } : {}),
        log,
      });
      journal.daysRecomputed = batch.daysRecomputed.length;
    });
    if (!survey.rebuild && survey.lake.events > 0)
      log({
        event: 'erasure_aggregates_kept',
        requestId,
        reason:
          'the raw lake has a retention horizon: days before it cannot be recomputed, so the aggregates the user was part of keep their contribution (their own rows are deleted)',
      });
  }

  const report: ErasureReport = {
    requestId,
    alreadyDone: false,
    events: journal.events,
    personalRows: survey.personal.rows,
    eventsRemoved: survey.lake.events,
    statementsRemoved: survey.lake.statements,
    filesRewritten: survey.personal.files + survey.lake.files,
    viewRows: Object.fromEntries(survey.views.filter((v) => v.rows > 0).map((v) => [v.view, v.rows])),
    speedRows: Object.fromEntries(survey.speed.filter((v) => v.rows > 0).map((v) => [v.view, v.rows])),
    daysRecomputed: journal.daysRecomputed ?? 0,
    aggregatesRecomputed: journal.events && survey.rebuild,
    ms: 0,
  };
  await lake.put(
    auditKey(requestId),
    auditRow(report, { runId, startedAt: journal.startedAt, finishedAt: now() }),
    parquetContentType,
  );
  await lake.delete(journalKey(requestId));
  report.ms = Date.now() - started;
  log({ event: 'erasure_done', requestId, ms: report.ms });
  return report;
}

/**
 * The erasure as a run of the batch entry point: recorded in `batch_runs` (running → succeeded/failed) like
 * the other jobs, so the trigger service and Airflow read its status the same way. The row holds no user id.
 */
export function runErasureJob(options: ErasureOptions): Promise<ErasureReport> {
  const now = options.now ?? Date.now;
  const today = utcDate(now());
  return recordedRun(
    {
      views: options.views,
      run: { runId: options.runId, job: eraseJob, from: today, to: today },
      now,
      counts: (report) => ({
        eventsRead: report.eventsRemoved,
        rowsWritten: Object.values(report.viewRows).reduce((n, r) => n + r, 0),
      }),
      failure: (message) =>
        `erasure failed: ${message} (rerun the same request: it resumes where it stopped)`,
    },
    () => runErasure(options),
  );
}

const saveJournal = (lake: ObjectStore, journal: Journal) =>
  lake.put(journalKey(journal.requestId), Buffer.from(JSON.stringify(journal)), 'application/json');

/** Finds what the request removes; reads the lake (and, for events, the views) but changes nothing. */
async function surveyUser(options: ErasureOptions, ids: ReadonlySet<string>): Promise<Survey> {
  const { lake, views, calendar, request } = options;
  const survey: Survey = {
    personal: { rows: 0, files: 0, partitions: [] },
    lake: { events: 0, statements: 0, files: 0, partitions: [] },
    views: [],
    speed: [],
    fed: [],
    range: null,
    rebuild: false,
  };
  const collect = async (
    table: CompactableTable,
    into: { files: number; partitions: Partition[] },
    onRow: (row: unknown) => void,
  ) => {
    const match = rowMatcher(table, ids);
    const seen = new Set<string>();
    const span = await scanTable(lake, table, (key, rows) => {
      const mine = rows.filter(match);
      if (mine.length === 0) return;
      into.files++;
      const p = partitionOf(table, key);
      const id = `${p.date}/${p.hour}`;
      if (!seen.has(id)) into.partitions.push(p);
      seen.add(id);
      for (const row of mine) onRow(row);
    });
    return span;
  };

  const personalIds = new Set<string>();
  await collect(personalTable as CompactableTable, survey.personal, (row) =>
    personalIds.add((row as PersonalDataRow).event_id),
  );
  survey.personal.rows = personalIds.size;
  if (!request.events) return survey;

  const events = new Map<string, RawEventRow>();
  const statements = new Set<string>();
  let first: string | undefined;
  let last: string | undefined;
  for (const table of lakeTables()) {
    const isStatements = table.name === xapiStatementTable.name;
    const span = await collect(table, survey.lake, (row) => {
      if (isStatements) statements.add((row as XapiStatementRow).statement_id);
      else events.set((row as RawEventRow).event_id, row as RawEventRow);
    });
    if (isStatements) continue;
    if (span.first && (first === undefined || span.first < first)) first = span.first;
    if (span.last && (last === undefined || span.last > last)) last = span.last;
  }
  survey.lake.events = events.size;
  survey.lake.statements = statements.size;
  // Local days of the whole lake: a UTC date is within a day of the local dates it holds.
  if (first && last) survey.range = { from: addDays(first, -1), to: addDays(last, 1) };

  // Nothing to recompute when the lake held no event of the user (a second request for an erased user).
  survey.rebuild = survey.range !== null && events.size > 0 && (await readRawHorizon(lake)) === undefined;
  if (survey.range && survey.rebuild)
    survey.fed = await fedKeys(options, [...events.values()], survey.range, ids);

  // Batch views: the user's own partitions, then the candidates their rows and events name.
  const dates = new Set<string>();
  const values = new Map<string, Set<string>>();
  const note = (column: string, value: unknown) => {
    if (typeof value !== 'string' || ids.has(value)) return;
    const set = values.get(column) ?? new Set<string>();
    values.set(column, set);
    set.add(value);
  };
  for (const row of events.values()) {
    dates.add(calendar.date(row.event_time.getTime()));
    note('course_id', row.course_id);
  }
  const keyed = userKeyedViews();
  // Columns whose values the events (course_id) or the user's own rows (any of their columns) name.
  const columns = new Set(['course_id']);
  for (const { table, column } of keyed) {
    if (!table.partitionKey.every((k) => k === column)) continue;
    for (const c of table.columns) columns.add(c.name);
    const rows = await views.readPartitions(
      table,
      [...ids].map((id) => ({ [column]: id })),
    );
    for (const row of rows) for (const [k, v] of Object.entries(row)) if (k !== column) note(k, v);
    survey.views.push({ view: table.name, rows: rows.length, partitions: 'user' });
  }
  for (const { view, table, column } of keyed) {
    if (table.partitionKey.every((k) => k === column)) continue;
    const partitions = candidatePartitions(view, table, ids, { dates, columns, values });
    const rows = (await views.readPartitions(table, partitions)).filter((r) => ids.has(String(r[column])));
    const holding = partitionsHolding(table, rows);
    survey.views.push({ view: table.name, rows: rows.length, partitions: holding });
  }

  // Speed facts of the user's events still within the speed tables' time to live.
  const context = { calendar };
  const horizon = (options.now ?? Date.now)() - 86_400_000;
  for (const view of speedViews) {
    const table = speedTable(view);
    const since = horizon - (table.ttlSeconds ?? 0) * 1000;
    const facts = new Map<string, Row>();
    for (const row of events.values()) {
      if (row.event_time.getTime() < since || !view.sources.includes(row.category as Category)) continue;
      for (const fact of speedFacts(view, fromRawRow(row), context)) {
        const member = String(fact['member']);
        if (member !== row.event_id && !ids.has(member)) continue; // a distinct value others share
        const key: Row = { ...fact, member: ids.has(member) ? userMember : member };
        delete key['value'];
        facts.set(JSON.stringify(key), key);
      }
    }
    if (facts.size === 0) continue;
    const windows = [...new Set([...facts.values()].map((f) => f['window_start'] as number))];
    const stored = await views.readPartitions(
      table,
      windows.map((w) => ({ window_start: w })),
    );
    const wanted = new Set(
      [...facts.values()].flatMap((f) => [...expandMember(f, ids)].map((k) => factIdentity(table, k))),
    );
    const rows = stored.filter((r) => wanted.has(factIdentity(table, r))).length;
    survey.speed.push({ view: view.name, rows, facts: [...facts.values()] });
  }
  return survey;
}

/**
 * The keys of every stored view's rows that the user's events alone produce: the batch run over a lake
 * holding only those events (in memory). Keys naming the user are left out (the user's rows are deleted by
 * key anyway, and the journal holds no user id).
 */
async function fedKeys(
  options: ErasureOptions,
  events: readonly RawEventRow[],
  range: { from: string; to: string },
  ids: ReadonlySet<string>,
): Promise<{ view: string; keys: Row[] }[]> {
  const lake = new MemoryStore();
  const store = openSqliteViewStore(':memory:');
  try {
    for (const group of groupRawEvents(events.map(fromRawRow)).values()) await writeRawGroup(lake, group);
    await runBatch({
      request: { job: 'all', ...range },
      runId: 'erase-fed-keys',
      lake,
      views: store,
      calendar: options.calendar,
      ...(options.now ? { now: options.now } : {}),
      ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
      ...(options.risk ? { risk: options.risk } : {}),
    });
    const out: { view: string; keys: Row[] }[] = [];
    for (const view of batchViews.filter((v) => !v.intermediate)) {
      const table = batchTable(view);
      const columns = [...table.partitionKey, ...table.clustering.map((c) => c.name)];
      const keys: Row[] = [];
      let pageState: string | undefined;
      do {
        const page = await store.scan(table, { limit: 5000, ...(pageState ? { pageState } : {}) });
        for (const row of page.rows) {
          const key = Object.fromEntries(columns.map((c) => [c, row[c] ?? null])) as Row;
          if (!Object.values(key).some((v) => typeof v === 'string' && [...ids].some((id) => v.includes(id))))
            keys.push(key);
        }
        pageState = page.pageState;
      } while (pageState);
      if (keys.length > 0) out.push({ view: view.name, keys });
    }
    return out;
  } finally {
    await store.close();
  }
}

/** A lake in memory, for the batch run over the user's events alone. */
class MemoryStore implements ObjectStore {
  private readonly objects = new Map<string, { body: Uint8Array; lastModified: Date }>();
  async put(key: string, body: Uint8Array) {
    this.objects.set(key, { body, lastModified: new Date() });
  }
  async get(key: string) {
    return this.objects.get(key)?.body;
  }
  async list(prefix: string): Promise<ObjectInfo[]> {
    return [...this.objects]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, o]) => ({ key, size: o.body.byteLength, lastModified: o.lastModified }));
  }
  async delete(key: string) {
    this.objects.delete(key);
  }
  async health() {}
  uri(key: string) {
    return `memory:///${key}`;
  }
}

const factIdentity = (table: TableDefinition, row: Row) =>
  JSON.stringify([...table.partitionKey, ...table.clustering.map((c) => c.name)].map((k) => row[k] ?? null));

function* expandMember(fact: Row, ids: ReadonlySet<string>): Generator<Row> {
  if (fact['member'] !== userMember) yield fact;
  else for (const id of ids) yield { ...fact, member: id };
}

function partitionsHolding(table: TableDefinition, rows: readonly Row[]): Row[] {
  const out = new Map<string, Row>();
  for (const row of rows) {
    const p = Object.fromEntries(table.partitionKey.map((k) => [k, row[k] ?? null]));
    out.set(JSON.stringify(p), p);
  }
  return [...out.values()];
}

/**
 * Rewrites each partition without the user's rows through compaction's swap (the remaining rows written
 * under the name of their ids, then the old files deleted). A partition holding none of them is left as
 * it is. A file vanishing under a concurrent compaction makes it list the partition again.
 */
async function rewritePartitions(
  lake: ObjectStore,
  partitions: readonly Partition[],
  ids: ReadonlySet<string>,
) {
  for (const p of partitions) {
    const table = tableNamed(p.table);
    const mine = rowMatcher(table, ids);
    const prefix = `${table.prefix}date=${p.date}/hour=${p.hour}/`;
    for (let attempt = 1; ; attempt++) {
      const keys = (await lake.list(prefix)).map((o) => o.key).filter((k) => k.endsWith('.parquet'));
      let holds = false;
      const without: CompactableTable = {
        ...table,
        decode: async (bytes) => {
          const rows = await table.decode(bytes);
          const kept = rows.filter((r) => !mine(r));
          if (kept.length < rows.length) holds = true;
          return kept;
        },
      };
      // Read first to see whether the partition still holds the user's rows: otherwise leave it alone.
      const check = await Promise.all(keys.map((k) => lake.get(k)));
      for (const bytes of check) if (bytes) await without.decode(bytes);
      if (!holds) break;
      const done = await compactPartition(lake, without, { ...p, keys });
      if (done !== undefined) break;
      if (attempt === 3) throw new Error(`files of ${prefix} kept vanishing while it was rewritten`);
    }
  }
}

async function deleteViewRows(views: ViewStore, survey: Survey, ids: ReadonlySet<string>) {
  const keyed = new Map(userKeyedViews().map((k) => [k.table.name, k]));
  for (const entry of survey.views) {
    if (entry.rows === 0) continue;
    const { table, column } = keyed.get(entry.view)!;
    if (entry.partitions === 'user') {
      await views.deletePartitions(
        table,
        [...ids].map((id) => ({ [column]: id })),
      );
      continue;
    }
    const rows = (await views.readPartitions(table, entry.partitions)).filter((r) =>
      ids.has(String(r[column])),
    );
    await views.deleteRows(table, rows);
  }
}

async function deleteSpeedFacts(views: ViewStore, survey: Survey, ids: ReadonlySet<string>) {
  for (const entry of survey.speed) {
    const view = speedViews.find((v) => v.name === entry.view)!;
    await views.deleteRows(
      speedTable(view),
      entry.facts.flatMap((f) => [...expandMember(f, ids)]),
    );
  }
}

// ------------------------------------------------------------------------------------------ audit record

function auditRow(report: ErasureReport, run: { runId: string; startedAt: number; finishedAt: number }) {
  return encodeErasureAudit({
    request_id: report.requestId,
    run_id: run.runId,
    started_at: new Date(run.startedAt),
    finished_at: new Date(run.finishedAt),
    events: report.events,
    personal_rows: report.personalRows,
    events_removed: report.eventsRemoved,
    statements_removed: report.statementsRemoved,
    files_rewritten: report.filesRewritten,
    view_rows: JSON.stringify(report.viewRows),
    speed_rows: JSON.stringify(report.speedRows),
    days_recomputed: report.daysRecomputed,
    aggregates_recomputed: report.aggregatesRecomputed,
  });
}

/** A finished request's report, read back from its audit record. */
export async function decodeAudit(bytes: Uint8Array): Promise<Omit<ErasureReport, 'alreadyDone' | 'ms'>> {
  const r = await decodeErasureAudit(bytes);
  return {
    requestId: r.request_id,
    events: r.events,
    personalRows: r.personal_rows,
    eventsRemoved: r.events_removed,
    statementsRemoved: r.statements_removed,
    filesRewritten: r.files_rewritten,
    viewRows: JSON.parse(r.view_rows) as Record<string, number>,
    speedRows: JSON.parse(r.speed_rows) as Record<string, number>,
    daysRecomputed: r.days_recomputed,
    aggregatesRecomputed: r.aggregates_recomputed,
  };
}
