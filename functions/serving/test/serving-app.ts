// biome-ignore-all lint/suspicious/noExplicitAny: tests read untyped JSON answers
/**
 * The serving app over a test's view store, as the route tests build it: the reader with the default
 * freshness thresholds, no batch or answer cache (every request reads the store), and a `get` that sends a
 * GET (query string split off the path) and parses the JSON answer.
 */
import type { LocalCalendar } from '@ula/core';
import type { ViewStore } from '@ula/core/adapters/view-store';
import { ServingReader } from '@ula/core/serving/reader';
import { createApp } from '../src/app.ts';

export function servingApp(store: ViewStore, calendar: LocalCalendar) {
  const reader = new ServingReader(store, {
    calendar,
    thresholds: { speedStaleSeconds: 300, speedDownSeconds: 900, batchStaleHours: 30, batchDownHours: 54 },
    batchTtlMs: 0,
  });
  const app = createApp({ reader, corsOrigins: [], cacheMs: 0 });
  const get = async (path: string) => {
    const [p, query = ''] = path.split('?');
    const res = await app.handle({
      method: 'GET',
      path: p!,
      query: Object.fromEntries(new URLSearchParams(query)),
      headers: {},
    });
    return { status: res.statusCode, json: JSON.parse(res.body) as any };
  };
  return { app, get };
}
