/**
 * Events without the optional assessment fields (docs/events.md, "Optional fields") through the raw lake:
 * validated as ingest validates them, written as ingest writes them, read back by both Parquet readers and
 * by the batch source: the absent fields stay absent (not null, not empty strings), the present ones intact.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalDirStore } from '../src/adapters/local-dir.ts';
import { utcPartitionsOfLocalDay } from '../src/batch/plan.ts';
import { decodeRawFile } from '../src/batch/raw-decoder.ts';
import { type BatchEvent, DataParsing, RawListing, readDay } from '../src/batch/source.ts';
import { EventValidationError, validateEvent } from '../src/events/catalogue.ts';
import { cloudEventSource, cloudEventType, type LmsEvent } from '../src/events/envelope.ts';
import { decodeRawParquet, encodeRawParquet } from '../src/lake/parquet.ts';
import { fromRawRow, toRawRow } from '../src/lake/raw-schema.ts';
import { localCalendar } from '../src/views/time.ts';
import { writeLake } from './batch-support.ts';

const time = '2026-03-02T03:04:05.678Z';
const cloudEvent = (
  id: number,
  type: 'QUIZ_COMPLETED' | 'SUBMIT_ASSIGNMENT',
  data: Record<string, unknown>,
) =>
  validateEvent({
    specversion: '1.0',
    id: `0192f3a4-5b6c-7d8e-9f01-${String(id).padStart(12, '0')}`,
    type: cloudEventType('assessment', type),
    source: cloudEventSource('assessment'),
    subject: 'SV001',
    time: new Date(Date.parse(time) + id * 1000).toISOString(),
    data: { user_id: 'SV001', role: 'student', course_id: 'COURSE001', ...data },
  });

/** A plain xAPI quiz result and submission (no counts, no type, due date or file), and a full submission. */
const events: LmsEvent[] = [
  cloudEvent(1, 'QUIZ_COMPLETED', { quiz_id: 'QUIZ1', score: 45, max_score: 100 }),
  cloudEvent(2, 'SUBMIT_ASSIGNMENT', { assignment_id: 'ASM1' }),
  cloudEvent(3, 'SUBMIT_ASSIGNMENT', {
    assignment_id: 'ASM2',
    assignment_type: 'lab',
    due_date: '2026-03-05T16:59:00.000Z',
    file_url: 's3://submissions/SV001_ASM2.pdf',
  }),
];
const optional = ['correct_answers', 'total_questions', 'assignment_type', 'due_date', 'file_url'];

describe('optional assessment fields in the raw lake', () => {
  it('are validated strictly when present: a wrong value is still rejected naming the field', () => {
    for (const [type, field, value] of [
      ['SUBMIT_ASSIGNMENT', 'due_date', '2026-03-05 16:59'],
      ['SUBMIT_ASSIGNMENT', 'assignment_type', 'exam'],
      ['SUBMIT_ASSIGNMENT', 'file_url', ''],
      ['SUBMIT_ASSIGNMENT', 'due_date', null],
      ['QUIZ_COMPLETED', 'total_questions', 0],
      ['QUIZ_COMPLETED', 'correct_answers', -1],
    ] as const) {
      const base =
        type === 'QUIZ_COMPLETED' ? { quiz_id: 'Q', score: 1, max_score: 2 } : { assignment_id: 'A' };
      const attempt = () => cloudEvent(9, type, { ...base, [field]: value });
      expect(attempt, `${field} = ${JSON.stringify(value)}`).toThrow(EventValidationError);
      expect(attempt, `${field} = ${JSON.stringify(value)}`).toThrow(field);
    }
  });

  it('round-trip through raw Parquet with both readers: absent stays absent', async () => {
    const bytes = encodeRawParquet(events.map((e) => toRawRow(e, new Date(time))));
    const general = (await decodeRawParquet(bytes)).map(fromRawRow);
    expect(general.map(({ ingestTime: _, ...event }) => event)).toEqual(events);
    const own = decodeRawFile(bytes);
    if (own === undefined) throw new Error("the lake's own decoder refused the file");
    expect(own.data.map((d) => JSON.parse(d))).toEqual(events.map((e) => e.data));
    const plain = JSON.parse(own.data[1]!) as Record<string, unknown>;
    for (const field of optional) expect(plain, field).not.toHaveProperty(field);
  });

  it('the batch source reads them back with the fields undefined, lazily and eagerly parsed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ula-optional-'));
    try {
      const lake = new LocalDirStore(dir);
      await writeLake(lake, events);
      const calendar = localCalendar('Asia/Ho_Chi_Minh');
      const day = '2026-03-02';
      const files = await new RawListing(lake).files(['assessment'], utcPartitionsOfLocalDay(calendar, day));
      for (const parsing of [new DataParsing(), new DataParsing(0, 0)]) {
        const read: BatchEvent[] = [];
        await readDay(lake, files, day, calendar, (e) => read.push(e), parsing);
        const byId = new Map(read.map((e) => [e.id, e]));
        const [quiz, plain, full] = events.map((e) => byId.get(e.id)!);
        expect(quiz!.data['score']).toBe(45);
        for (const field of optional) {
          expect(quiz!.data[field], field).toBeUndefined();
          expect(plain!.data[field], field).toBeUndefined();
        }
        expect([full!.data['due_date'], full!.data['assignment_type']]).toEqual([
          '2026-03-05T16:59:00.000Z',
          'lab',
        ]);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
