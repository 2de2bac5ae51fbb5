/**
 * Batch views may read only the data fields the event catalogue declares, and only by name: the batch
 * reader parses `data` lazily (source.ts `LazyData`, a getter per catalogue field), so any other field,
 * an enumeration (`{...data}`, `Object.keys`) or an `in` test would see something else there than on a
 * parsed object. This runs every view over generated events whose `data` records each access.
 */
import { describe, expect, it } from 'vitest';
import { dataFields } from '../src/events/catalogue.ts';
import type { LmsEvent } from '../src/events/envelope.ts';
import { count } from '../src/views/aggregates.ts';
import { batchViews } from '../src/views/batch-catalogue.ts';
import type { BatchViewDefinition } from '../src/views/define.ts';
import { addInput, newAggregation } from '../src/views/engine.ts';
import { generateDays } from './batch-oracle.ts';
import { calendar } from './batch-support.ts';

const declared = new Set(dataFields);
const context = { calendar };

/** Catalogue fields some view read (to show the recorder sees the views' reads at all). */
const fieldsRead = new Set<string>();

/** The accesses to events' `data` that lazy parsing would not show as a parsed object does. */
function undeclaredReads(view: BatchViewDefinition<never>, events: readonly LmsEvent[]): Set<string> {
  const bad = new Set<string>();
  const aggregation = newAggregation(view);
  const recorder: ProxyHandler<Record<string, unknown>> = {
    get(target, key, receiver) {
      if (typeof key === 'string') {
        if (declared.has(key)) fieldsRead.add(key);
        else bad.add(`reads ${key}`);
      }
      return Reflect.get(target, key, receiver);
    },
    has(target, key) {
      bad.add(`tests ${String(key)} in data`);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      bad.add('enumerates data');
      return Reflect.ownKeys(target);
    },
  };
  for (const event of events) {
    if (!view.sources.includes(event.category)) continue;
    const data = new Proxy({ ...event.data } as Record<string, unknown>, recorder);
    addInput(aggregation, { ...event, data } as never, context);
  }
  return bad;
}

const events = generateDays(11, '2026-03-02', 3, 2000);

describe('batch views and lazily parsed data', () => {
  it('read catalogue fields only, by name', () => {
    const rawViews = batchViews.filter((v) => v.from === undefined);
    expect(rawViews.length).toBeGreaterThan(20);
    const offenders = Object.fromEntries(
      rawViews
        .map((v) => [v.name, [...undeclaredReads(v, events)]] as const)
        .filter(([, bad]) => bad.length > 0),
    );
    expect(offenders).toEqual({});
    // The views' keys, filters and values did go through the recorder.
    expect([...fieldsRead]).toEqual(
      expect.arrayContaining(['session_id', 'assignment_id', 'video_id', 'watch_duration_seconds', 'score']),
    );
  });

  it('catches a view that reads an undeclared field or spreads data', () => {
    const sneaky = {
      ...batchViews.find((v) => v.name === 'auth_daily_active_users')!,
      name: 'sneaky',
      keys: { device: { type: 'text', value: (e: LmsEvent) => String((e.data as never)['device'] ?? '-') } },
      metrics: {
        n: count(),
        fields: count<LmsEvent>({ where: (e) => Object.keys({ ...e.data }).length > 2 }),
      },
    } as unknown as BatchViewDefinition<never>;
    expect([...undeclaredReads(sneaky, events)].sort()).toEqual(['enumerates data', 'reads device']);
  });
});
