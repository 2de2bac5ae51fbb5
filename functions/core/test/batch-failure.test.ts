import { describe, expect, it } from 'vitest';
import type { ObjectStore } from '../src/adapters/object-store.ts';
import { openSqliteViewStore } from '../src/adapters/sqlite.ts';
import type { ViewStore } from '../src/adapters/view-store.ts';
import { BatchRunError } from '../src/batch/job.ts';
import { batchRuns } from '../src/views/system-tables.ts';
import { expectViewsMatchOracle, scenario } from './batch-scenario.ts';
import { batchFixture, writeLake } from './batch-support.ts';

/** Wraps a store so that, while `down` is true, every call after the first `okCalls` throws. */
function flaky<T extends object>(target: T, okCalls: number, message: string) {
  const control = { calls: 0, down: true };
  const proxy = new Proxy(target, {
    get(t, prop, receiver) {
      const value = Reflect.get(t, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (control.down && ++control.calls > okCalls && prop !== 'close') throw new Error(message);
        return (value as (...a: unknown[]) => unknown).apply(t, args);
      };
    },
  });
  return { proxy, control };
}

describe('batch run failures', () => {
  // Failing at call 61 once hit only daily writes; 90 and 120 hit the all-time writes, which the
  // all-time states saved before the rows made a retry skip (its days counted as included).
  it.each([30, 61, 90, 120])(
    'a view store failing from call %i fails the run clearly; a retry gives the oracle rows',
    async (okCalls) => {
      const sqlite = openSqliteViewStore(':memory:');
      const { proxy, control } = flaky<ViewStore>(sqlite, okCalls, 'connect ECONNREFUSED 127.0.0.1:9042');
      const fixture = batchFixture(proxy);
      try {
        const s = scenario(7, 150);
        await writeLake(fixture.lake, s.phase1);
        await expect(
          fixture.run({ job: 'all', from: '2026-03-01', to: '2026-03-03' }, { runId: 'r1' }),
        ).rejects.toThrow(/view store error: connect ECONNREFUSED.*rerun/);
        control.down = false;
        await fixture.run({ job: 'all', from: '2026-03-01', to: '2026-03-03' }, { runId: 'r2' });
        await expectViewsMatchOracle(fixture, s.phase1);
        const [run] = await sqlite.readPartition(batchRuns, { run_id: 'r2' });
        expect(run?.['status']).toBe('succeeded');
      } finally {
        await fixture.close();
      }
    },
    60_000,
  );

  it('a lake failing while state is being written never double counts after the retry', async () => {
    const fixture = batchFixture();
    const s = scenario(8, 150);
    await writeLake(fixture.lake, s.phase1);
    await fixture.run({ job: 'all', from: '2026-03-01', to: '2026-03-03' }, { runId: 'a' });
    // Late events, then a run whose lake dies part-way through writing states, then a clean retry.
    await writeLake(fixture.lake, s.late);
    for (const okCalls of [40, 120, 200]) {
      const { proxy, control } = flaky<ObjectStore>(fixture.lake, okCalls, 'socket hang up');
      const broken = batchFixture(fixture.store, proxy);
      const error = await broken
        .run({ job: 'all', from: '2026-03-03', to: '2026-03-03' }, { runId: `b${okCalls}` })
        .catch((e: unknown) => e);
      control.down = false;
      if (error !== undefined) {
        expect(error).toBeInstanceOf(BatchRunError);
        expect(String(error)).toMatch(/lake error: socket hang up/);
      }
    }
    await fixture.run({ job: 'all', from: '2026-03-03', to: '2026-03-03' }, { runId: 'c' });
    await expectViewsMatchOracle(fixture, [...s.phase1, ...s.late]);
    const [run] = await fixture.store.readPartition(batchRuns, { run_id: 'b40' });
    expect(run?.['status']).toBe('failed');
    await fixture.close();
  }, 120_000);
});
