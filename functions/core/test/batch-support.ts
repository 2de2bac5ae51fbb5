/**
 * Helpers for batch tests: a tiny event builder, writing events into a lake, running a batch job on a
 * temporary local-dir lake + in-memory SQLite, and reading a view's rows back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDirStore } from '../src/adapters/local-dir.ts';
import type { ObjectStore } from '../src/adapters/object-store.ts';
import { openSqliteViewStore } from '../src/adapters/sqlite.ts';
import type { ViewStore } from '../src/adapters/view-store.ts';
import { type BatchRunReport, runBatch } from '../src/batch/job.ts';
import type { BatchRequest } from '../src/batch/request.ts';
import type { BaseEventData, Category, LmsEvent, Role } from '../src/events/envelope.ts';
import { groupRawEvents, writeRawGroup } from '../src/lake/raw-lake.ts';
import { batchViewNamed } from '../src/views/batch-catalogue.ts';
import type { Row, TableDefinition } from '../src/views/columns.ts';
import { batchTable } from '../src/views/tables.ts';
import { type LocalCalendar, localCalendar } from '../src/views/time.ts';

export const calendar: LocalCalendar = localCalendar('Asia/Ho_Chi_Minh');

const categoryOf: Record<string, Category> = {
  LOGIN: 'auth',
  LOGOUT: 'auth',
  SIGNUP: 'auth',
  VIEW_ASSIGNMENT_FIRST_TIME: 'assessment',
  SUBMIT_ASSIGNMENT: 'assessment',
  EDIT_ASSIGNMENT: 'assessment',
  DELETE_ASSIGNMENT: 'assessment',
  QUIZ_COMPLETED: 'assessment',
  VIEW_STUDENT_WORK: 'assessment',
  GRADE_ASSIGNMENT: 'assessment',
  ASSIGNMENT_REOPENED: 'assessment',
  VIDEO_WATCHED: 'video',
  COURSE_CREATED: 'course',
  COURSE_DELETED: 'course',
  COURSE_VIEW: 'course',
  ITEM_CLICK: 'course',
  DOWNLOAD_MATERIAL: 'course',
  COURSE_ENROLLED: 'course',
  COURSE_DROPPED: 'course',
  CREATE_PROFILE: 'profile',
  UPDATE_PROFILE: 'profile',
  PROFILE_PICTURE_UPDATED: 'profile',
  PASSWORD_CHANGED: 'profile',
  NOTIFICATION_SENT: 'notification',
  NOTIFICATION_OPENED: 'notification',
  NOTIFICATION_CLICKED: 'notification',
};

let counter = 0;
/** A unique, sortable, UUID-shaped event id. */
export const nextId = (): string => {
  counter++;
  const hex = counter.toString(16).padStart(12, '0');
  return `01900000-0000-7000-8000-${hex}`;
};

/**
 * An event: `ev('LOGIN', '2026-03-02T09:00', 'SV001', { session_id })`. Times without a zone are local
 * (Asia/Ho_Chi_Minh, UTC+7); the role defaults to student for SV ids and teacher for GV ids.
 */
export function ev(
  eventType: string,
  time: string,
  user: string,
  data: Record<string, unknown> = {},
  options: { id?: string; role?: Role } = {},
): LmsEvent {
  const category = categoryOf[eventType];
  if (!category) throw new Error(`unknown event type ${eventType}`);
  const iso = /Z$|[+-]\d\d:\d\d$/.test(time) ? time : `${time}${time.length === 16 ? ':00' : ''}+07:00`;
  return {
    id: options.id ?? nextId(),
    category,
    eventType,
    time: new Date(iso).toISOString(),
    data: {
      user_id: user,
      role: options.role ?? (user.startsWith('GV') ? 'teacher' : 'student'),
      ...data,
    } as BaseEventData,
  };
}

/** Writes events to the raw lake as ingest does (one file per category and UTC hour per call). */
export async function writeLake(lake: ObjectStore, events: readonly LmsEvent[], ingestTime = new Date()) {
  for (const group of groupRawEvents(events).values()) await writeRawGroup(lake, group, ingestTime);
}

export interface BatchFixture {
  lake: ObjectStore;
  store: ViewStore;
  dir: string;
  run(
    request: BatchRequest,
    options?: { runId?: string; now?: number; lookbackDays?: number; stateRetentionDays?: number },
  ): Promise<BatchRunReport>;
  rows(view: string): Promise<Row[]>;
  close(): Promise<void>;
}

let runs = 0;
/** A temporary local-dir lake and an in-memory SQLite view store (or the given ones). */
export function batchFixture(
  store: ViewStore = openSqliteViewStore(':memory:'),
  lakeStore?: ObjectStore,
): BatchFixture {
  const dir = mkdtempSync(join(tmpdir(), 'ula-batch-'));
  const lake = lakeStore ?? new LocalDirStore(dir);
  return {
    lake,
    store,
    dir,
    run: (request, options = {}) =>
      runBatch({
        request,
        runId: options.runId ?? `test-run-${++runs}`,
        lake,
        views: store,
        calendar,
        now: () => options.now ?? Date.parse('2030-01-01T00:00:00Z'),
        ...(options.lookbackDays !== undefined ? { lookbackDays: options.lookbackDays } : {}),
        ...(options.stateRetentionDays !== undefined
          ? { stateRetentionDays: options.stateRetentionDays }
          : {}),
      }),
    rows: (view) => readRows(store, view),
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every row of a table, paged through. */
export async function scanAll(store: ViewStore, table: TableDefinition): Promise<Row[]> {
  const rows: Row[] = [];
  let pageState: string | undefined;
  do {
    const page = await store.scan(table, { limit: 5000, ...(pageState ? { pageState } : {}) });
    rows.push(...page.rows);
    pageState = page.pageState;
  } while (pageState);
  return rows;
}

/** Every row of a view's table, in primary-key order. */
export async function readRows(store: ViewStore, view: string): Promise<Row[]> {
  return sortRows(await scanAll(store, batchTable(batchViewNamed(view))));
}

export const sortRows = (rows: Row[]): Row[] =>
  [...rows].sort((a, b) => {
    const x = JSON.stringify(Object.values(a));
    const y = JSON.stringify(Object.values(b));
    return x < y ? -1 : x > y ? 1 : 0;
  });

/** Epoch ms of a local time string (UTC+7), for expected timestamp columns. */
export const at = (local: string): number => Date.parse(`${local}${local.length === 16 ? ':00' : ''}+07:00`);

/** Runs one job over the given events in a fresh fixture and returns the rows of the named views. */
export async function computeViews(
  job: BatchRequest['job'],
  events: readonly LmsEvent[],
  views: readonly string[],
  range: { from: string; to: string },
): Promise<Record<string, Row[]>> {
  const fixture = batchFixture();
  try {
    await writeLake(fixture.lake, events);
    await fixture.run({ job, ...range });
    const out: Record<string, Row[]> = {};
    for (const view of views) out[view] = await fixture.rows(view);
    return out;
  } finally {
    await fixture.close();
  }
}

/** Picks columns of rows (for focused expectations). */
export const pick = (rows: Row[], columns: readonly string[]): Row[] =>
  rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? null])));
