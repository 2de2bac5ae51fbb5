import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDirStore } from '../src/adapters/local-dir.ts';
import { utcPartitionsOfLocalDay } from '../src/batch/plan.ts';
import { type BatchEvent, DataParsing, RawListing, readDay } from '../src/batch/source.ts';
import { dataFields } from '../src/events/catalogue.ts';
import { categories, type LmsEvent } from '../src/events/envelope.ts';
import { localCalendar } from '../src/views/time.ts';
import { generateDays } from './batch-oracle.ts';
import { writeLake } from './batch-support.ts';

const calendar = localCalendar('Asia/Ho_Chi_Minh');
const day = '2026-03-02';
let dir: string;
let lake: LocalDirStore;
let events: LmsEvent[];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ula-source-'));
  lake = new LocalDirStore(dir);
  events = generateDays(7, day, 1, 3000);
  await writeLake(lake, events);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every catalogue field of every event read, as a view would see it. */
async function fieldsSeen(parsing: DataParsing): Promise<Map<string, unknown[]>> {
  const files = await new RawListing(lake).files(categories, utcPartitionsOfLocalDay(calendar, day));
  const seen = new Map<string, unknown[]>();
  await readDay(
    lake,
    files,
    day,
    calendar,
    (e: BatchEvent) => seen.set(e.id, [e.eventType, e.ms, ...dataFields.map((f) => e.data[f])]),
    parsing,
  );
  return seen;
}

describe('batch reading of event data', () => {
  it('shows views the same fields whether data is parsed lazily or as read', async () => {
    const lazy = await fieldsSeen(new DataParsing(Number.POSITIVE_INFINITY));
    const eager = await fieldsSeen(new DataParsing(1, 0));
    const local = (e: LmsEvent) => new Date(Date.parse(e.time) + 7 * 3_600_000).toISOString().slice(0, 10);
    const expected = new Map(
      events
        .filter((e) => local(e) === day)
        .map((e) => [e.id, [e.eventType, Date.parse(e.time), ...dataFields.map((f) => e.data[f])]]),
    );
    expect(expected.size).toBeGreaterThan(2000);
    expect(lazy).toEqual(expected);
    expect(eager).toEqual(expected);
  });

  it('turns to parsing as read once most of a category sample needed parsing', async () => {
    const parsing = new DataParsing(64, 0.75);
    const files = await new RawListing(lake).files(
      ['video', 'course'],
      utcPartitionsOfLocalDay(calendar, day),
    );
    // Video events read a data field (parsed), course events only the lake's columns (never parsed).
    await readDay(lake, files, day, calendar, (e) => e.category === 'video' && e.data['video_id'], parsing);
    expect(parsing.of('video').eager).toBe(true);
    expect(parsing.of('course')).toMatchObject({ eager: false, parsed: 0 });
    expect(parsing.of('course').lazy).toBeGreaterThan(64);
  });
});
