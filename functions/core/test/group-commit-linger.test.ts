/**
 * The linger policy of the group commit on a simulated clock: live traffic (a trickle of independent
 * arrivals) lingers into large batches; senders waiting on their answers (a closed loop at saturation,
 * or a dispatcher at its in-flight limit) get batches closed within milliseconds; size and age bounds.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../src/clock.ts';
import { GroupCommit, type Outcome } from '../src/group-commit.ts';

const ok = <T>(items: T[]): Outcome<void>[] => items.map(() => ({ ok: true, value: undefined }));

interface Flush {
  at: number;
  size: number;
  oldestWaitMs: number;
}

/** A group commit whose flush takes `writeMs` of simulated time and records each batch. */
function setup(options: { lingerMs: number; maxAgeMs?: number; maxItems?: number; writeMs?: number }) {
  const clock = new VirtualClock(Date.UTC(2030, 0, 1));
  const flushes: Flush[] = [];
  const submittedAt = new Map<number, number>();
  const gc = new GroupCommit<number>({
    maxItems: options.maxItems ?? 5000,
    maxAgeMs: options.maxAgeMs ?? 4000,
    lingerMs: options.lingerMs,
    clock,
    flush: (items) => {
      const at = clock.now();
      flushes.push({
        at,
        size: items.length,
        oldestWaitMs: at - Math.min(...items.map((i) => submittedAt.get(i)!)),
      });
      return new Promise((resolve) => clock.setTimeout(() => resolve(ok(items)), options.writeMs ?? 5));
    },
  });
  let next = 0;
  const submit = () => {
    const id = next++;
    submittedAt.set(id, clock.now());
    return gc.submit(id);
  };
  return { clock, gc, flushes, submit };
}

describe('group commit linger (simulated clock)', () => {
  it('live traffic at 50/s lingers: batches of about rate × linger, none older than the linger', async () => {
    const { clock, flushes, submit, gc } = setup({ lingerMs: 3000 });
    const start = clock.now();
    const acks: Promise<void>[] = [];
    for (let i = 0; i < 50 * 60; i++) {
      await clock.advanceTo(start + i * 20);
      acks.push(submit());
    }
    await clock.advanceTo(start + 70_000);
    await Promise.all(acks);
    await gc.close();
    const sizes = flushes.map((f) => f.size);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(3000);
    // Every batch but the last holds a full linger's worth (150 at 50/s), give or take an arrival.
    for (const size of sizes.slice(0, -1)) expect(size).toBeGreaterThanOrEqual(149);
    for (const f of flushes) expect(f.oldestWaitMs).toBeLessThanOrEqual(3000);
  });

  it('live traffic with pauses between bursts still lingers (a pause is not a sender waiting)', async () => {
    const { clock, flushes, submit } = setup({ lingerMs: 3000 });
    const start = clock.now();
    const acks: Promise<void>[] = [];
    // Bursts of 10 every 200 ms (a consumer polling): 50/s on average.
    for (let b = 0; b < 100; b++) {
      await clock.advanceTo(start + b * 200);
      for (let i = 0; i < 10; i++) acks.push(submit());
    }
    await clock.advanceTo(start + 30_000);
    await Promise.all(acks);
    for (const f of flushes.slice(0, -1)) expect(f.size).toBeGreaterThanOrEqual(140);
  });

  it('a closed loop at saturation closes batches within milliseconds, not at the linger', async () => {
    const { clock, flushes, submit } = setup({ lingerMs: 3000, writeMs: 5 });
    const start = clock.now();
    let answered = 0;
    const sender = async () => {
      while (clock.now() < start + 10_000) {
        await submit();
        answered++;
      }
    };
    const senders = Array.from({ length: 128 }, sender);
    await clock.advanceTo(start + 10_500);
    await clock.advanceTo(start + 20_000);
    await Promise.all(senders);
    // After a warm-up batch (no rate known yet), each round trip is the write plus a few ms of silence.
    const steady = flushes.filter((f) => f.at > start + 5000);
    expect(steady.length).toBeGreaterThan(100);
    for (const f of steady) expect(f.oldestWaitMs).toBeLessThan(20);
    expect(answered).toBeGreaterThan(128 * 300);
  });

  it('a dispatcher at an in-flight limit of 100 is not held at the linger once its rate is known', async () => {
    const { clock, flushes, submit } = setup({ lingerMs: 3000, writeMs: 20 });
    const start = clock.now();
    const sender = async () => {
      while (clock.now() < start + 30_000) await submit();
    };
    const senders = Array.from({ length: 100 }, sender);
    await clock.advanceTo(start + 31_000);
    await clock.advanceTo(start + 40_000);
    await Promise.all(senders);
    const late = flushes.filter((f) => f.at > start + 20_000);
    expect(late.length).toBeGreaterThan(50);
    for (const f of late) expect(f.oldestWaitMs).toBeLessThan(100);
  });

  it('flushes at the size bound without waiting for the linger', async () => {
    const { clock, flushes, submit } = setup({ lingerMs: 3000, maxItems: 100 });
    const acks = Array.from({ length: 250 }, submit);
    await clock.advanceTo(clock.now() + 10);
    expect(flushes.slice(0, 2).map((f) => f.size)).toEqual([100, 100]);
    await clock.advanceTo(clock.now() + 5000);
    await Promise.all(acks);
    expect(flushes.reduce((a, f) => a + f.size, 0)).toBe(250);
  });

  it('a lone event waits the linger, then is written', async () => {
    const { clock, flushes, submit } = setup({ lingerMs: 3000 });
    const start = clock.now();
    const ack = submit();
    await clock.advanceTo(start + 2999);
    expect(flushes).toHaveLength(0);
    await clock.advanceTo(start + 3000);
    expect(flushes).toHaveLength(1);
    await clock.advanceTo(start + 3100);
    await ack;
  });

  it('the age bound starts a flush while the writer is still busy', async () => {
    const { clock, flushes, submit } = setup({ lingerMs: 1000, maxAgeMs: 1500, writeMs: 5000 });
    const start = clock.now();
    const first = submit(); // flushed at the linger, then the write takes 5 s
    await clock.advanceTo(start + 1100);
    const second = submit();
    await clock.advanceTo(start + 2000); // the linger passed but a write runs: the batch waits
    expect(flushes).toHaveLength(1);
    await clock.advanceTo(start + 2600); // 1.5 s old: the age bound fires anyway
    expect(flushes).toHaveLength(2);
    expect(flushes[1]!.oldestWaitMs).toBe(1500);
    await clock.advanceTo(start + 20_000);
    await Promise.all([first, second]);
  });

  it('without a linger a short silence closes a batch, as before', async () => {
    const { clock, flushes, submit } = setup({ lingerMs: 0 });
    const start = clock.now();
    const acks = [submit(), submit()];
    await clock.advanceTo(start + 2);
    expect(flushes).toHaveLength(1);
    await clock.advanceTo(start + 100);
    await Promise.all(acks);
  });
});
