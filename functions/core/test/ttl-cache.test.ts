import { describe, expect, it } from 'vitest';
import { TtlCache } from '../src/serving/reader.ts';

describe('serving TtlCache', () => {
  it('drops expired entries within a minute, however few there are (a long-lived reader meets new keys)', async () => {
    let now = 0;
    const cache = new TtlCache<number>(() => now);
    // A reader polled every 5 minutes for a week, each poll reading the windows of that moment.
    for (let poll = 0; poll < 2016; poll++) {
      now = poll * 300_000;
      for (let w = 0; w < 12; w++) await cache.get(`window-${poll}-${w}`, 1_000, async () => w);
    }
    // Only the last poll's keys can be alive (plus those swept at most a minute ago).
    expect(cache.size).toBeLessThanOrEqual(12);
  });

  it('serves a live entry from the cache and reloads an expired one', async () => {
    let now = 0;
    let loads = 0;
    const cache = new TtlCache<number>(() => now);
    const load = async () => ++loads;
    expect(await cache.get('k', 1_000, load)).toBe(1);
    now = 999;
    expect(await cache.get('k', 1_000, load)).toBe(1);
    now = 1_000;
    expect(await cache.get('k', 1_000, load)).toBe(2);
  });
});
