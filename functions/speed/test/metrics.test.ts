/** The speed layer's freshness metrics move when events are applied (unit: in-memory SQLite view store). */
import { openSqliteViewStore, speedTable, speedViews, toHttpBinary } from '@ula/core';
import { describe, expect, it } from 'vitest';
import { speedRegistry } from '../src/metrics.ts';
import { loadSpeedSettings } from '../src/settings.ts';
import { SpeedHandler } from '../src/speed-handler.ts';
import { SpeedWriter } from '../src/speed-writer.ts';
import { mixedEvents } from './events.ts';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

describe('speed metrics', () => {
  it('reports the newest applied event time, when it was applied and the event-to-stored lag', async () => {
    const store = openSqliteViewStore(':memory:');
    await store.ensureTables(speedViews.map(speedTable));
    const now = Date.parse('2026-11-02T12:00:10.000Z');
    const settings = loadSpeedSettings({ ULA_DATA_DIR: ':memory:' });
    const handler = new SpeedHandler(new SpeedWriter(store, settings), settings, quiet, () => now);
    const events = mixedEvents(20, now - 120_000, now - 60_000, 3);
    for (const e of events) {
      const message = toHttpBinary(e);
      const answer = await handler.handle({
        method: 'POST',
        headers: message.headers as Record<string, string>,
        body: message.body,
      });
      expect(answer.statusCode).toBe(200);
    }
    await store.close();
    const newest = Math.max(...events.map((e) => Date.parse(e.time)));
    const text = await speedRegistry.metrics();
    const value = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('ula_speed_newest_event_timestamp_seconds')).toBeGreaterThanOrEqual(newest / 1000);
    expect(value('ula_speed_last_applied_timestamp_seconds')).toBe(now / 1000);
    expect(value('ula_speed_event_lag_seconds_count')).toBeGreaterThanOrEqual(events.length);
    expect(value('ula_speed_event_lag_seconds_sum')).toBeGreaterThanOrEqual(60 * events.length);
    expect(value('ula_speed_events_total')).toBeGreaterThan(0);
  });
});
