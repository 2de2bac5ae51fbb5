/**
 * The xAPI path gives the same analytics as the native events: a small simulated university (150 students,
 * 3 days, no faults) converted event → statements (the generator's `--xapi` form) → StatementMapper →
 * events; every stored batch view (the real batch job on a local-dir lake and SQLite) and every speed view
 * computed from the mapped events equals the one computed from the native events, and each mapped event
 * carries the native data field by field (ids aside, and the contact fields xAPI never carries).
 */
import type { LmsEvent } from '@ula/core/events/envelope';
import { type Row, type SpeedGroup, speedFacts, speedRows } from '@ula/core/index';
import { speedViews } from '@ula/core/views/speed-catalogue';
import { localCalendar } from '@ula/core/views/time';
import { StatementMapper } from '@ula/core/xapi/mapping';
import { withheldFields } from '@ula/core/xapi/vocabulary';
import { beforeAll, describe, expect, it } from 'vitest';
import { storedViews } from '../../../functions/core/test/batch-scenario.ts';
import { computeViews, sortRows } from '../../../functions/core/test/batch-support.ts';
import { createUniversity, simulate } from '../src/generator/index.ts';
import { toXapiStatements, xapiHomePage } from '../src/generator/xapi.ts';

const context = { calendar: localCalendar('Asia/Ho_Chi_Minh') };
const end = Date.parse('2026-03-05T00:00:00+07:00');
const start = end - 3 * 86_400_000;

let native: LmsEvent[] = [];
/** The mapped events of each native event, in order. */
let mapped: LmsEvent[][] = [];
const unmapped: string[] = [];

beforeAll(() => {
  const university = createUniversity({ students: 150, teachers: 8, courses: 16, seed: 'xapi-equality' });
  native = [...simulate(university, { start, end })];
  const mapper = new StatementMapper({ homePage: xapiHomePage, defaultRole: 'student' });
  mapped = native.map((event) =>
    toXapiStatements(event).flatMap((statement) => {
      const result = mapper.map(statement);
      if (result.rule === undefined) unmapped.push(`${event.eventType}: ${result.reason}`);
      return result.events;
    }),
  );
});

/** Speed view rows from events: facts deduplicated per member, grouped as a store does. */
function speedViewRows(events: readonly LmsEvent[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const view of speedViews) {
    const facts = new Map<string, Row>();
    for (const event of events) {
      for (const fact of speedFacts(view, event, context)) {
        const { member, value, ...grain } = fact;
        facts.set(JSON.stringify([grain, member]), fact);
      }
    }
    const groups = new Map<string, SpeedGroup>();
    for (const fact of facts.values()) {
      const { window_start, metric, member: _member, value, ...keys } = fact;
      const id = JSON.stringify([window_start, keys, metric]);
      const group = groups.get(id) ?? {
        windowStart: Number(window_start),
        keys,
        metric: String(metric),
        facts: 0,
        total: 0,
      };
      group.facts++;
      group.total += Number(value);
      groups.set(id, group);
    }
    out[view.name] = speedRows(view, groups.values())
      .map((r) => JSON.stringify(r))
      .sort();
  }
  return out;
}

describe('xAPI statements of the simulated university map back onto the native events', () => {
  it('every statement maps, one event per native event, of the same type and time', () => {
    expect(native.length).toBeGreaterThan(3000);
    expect(unmapped).toEqual([]);
    const types = new Set(native.map((e) => e.eventType));
    expect(types.size).toBeGreaterThanOrEqual(24);
    for (const [i, event] of native.entries()) {
      expect(mapped[i]?.map((m) => [m.eventType, m.category, m.time])).toEqual([
        [event.eventType, event.category, event.time],
      ]);
    }
  });

  it('each mapped event carries the native data field by field (ids and withheld contact fields aside)', () => {
    const mismatches: string[] = [];
    for (const [i, event] of native.entries()) {
      const got = mapped[i]?.[0];
      if (!got) continue;
      const fields = new Set([...Object.keys(event.data), ...Object.keys(got.data)]);
      for (const field of fields) {
        if (field in withheldFields) continue;
        if (JSON.stringify(event.data[field]) !== JSON.stringify(got.data[field])) {
          mismatches.push(
            `${event.eventType}.${field}: ${JSON.stringify(event.data[field])} vs ${JSON.stringify(got.data[field])}`,
          );
        }
      }
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
  });

  it('every speed view computed from the mapped events equals the native one', () => {
    const want = speedViewRows(native);
    const got = speedViewRows(mapped.flat());
    for (const view of speedViews) {
      expect(want[view.name]?.length, `${view.name} is empty`).toBeGreaterThan(0);
      expect(got[view.name], view.name).toEqual(want[view.name]);
    }
  });

  it('every stored batch view computed from the mapped events equals the native one', async () => {
    const range = {
      from: context.calendar.date(start),
      to: context.calendar.date(end - 1),
    };
    const want = await computeViews('all', native, storedViews, range);
    const got = await computeViews('all', mapped.flat(), storedViews, range);
    const nonEmpty = storedViews.filter((view) => (want[view]?.length ?? 0) > 0);
    expect(nonEmpty.length).toBeGreaterThan(storedViews.length / 2);
    for (const view of storedViews)
      expect(sortRows(got[view] ?? []), view).toEqual(sortRows(want[view] ?? []));
  }, 120_000);
});
