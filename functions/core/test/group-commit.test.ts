import { describe, expect, it } from 'vitest';
import { ClosedError, GroupCommit, type Outcome } from '../src/group-commit.ts';

const ok = <T>(items: T[]): Outcome<void>[] => items.map(() => ({ ok: true, value: undefined }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('group commit', () => {
  it('coalesces concurrent submissions into one flush', async () => {
    const batches: number[][] = [];
    const gc = new GroupCommit<number>({
      maxItems: 1000,
      maxAgeMs: 1000,
      flush: async (items) => {
        batches.push(items);
        return ok(items);
      },
    });
    await Promise.all(Array.from({ length: 100 }, (_, i) => gc.submit(i)));
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(100);
  });

  it('does not hold a lone submission for the age bound', async () => {
    const gc = new GroupCommit<number>({ maxItems: 1000, maxAgeMs: 5000, flush: async (items) => ok(items) });
    const started = Date.now();
    await gc.submit(1);
    expect(Date.now() - started).toBeLessThan(100);
  });

  it('batches what arrives while a flush is running, and flushes at the size bound', async () => {
    const batches: number[] = [];
    const gc = new GroupCommit<number>({
      maxItems: 10,
      maxAgeMs: 10_000,
      maxInFlight: 1,
      flush: async (items) => {
        batches.push(items.length);
        await sleep(30);
        return ok(items);
      },
    });
    const first = gc.submit(0);
    await sleep(15); // the first flush (after the 2 ms quiet period) is running
    const rest = Array.from({ length: 25 }, (_, i) => gc.submit(i + 1));
    await Promise.all([first, ...rest]);
    expect(batches[0]).toBe(1);
    expect(batches.slice(1).every((b) => b <= 10)).toBe(true);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(26);
  });

  it('flushes at the age bound while the writer is busy', async () => {
    const times: number[] = [];
    const start = Date.now();
    const gc = new GroupCommit<number>({
      maxItems: 1000,
      maxAgeMs: 50,
      maxInFlight: 1,
      flush: async (items) => {
        times.push(Date.now() - start);
        if (times.length === 1) await sleep(500);
        return ok(items);
      },
    });
    const first = gc.submit(0);
    await sleep(5);
    await gc.submit(1); // the first flush is still running: the age bound starts a second one
    expect(times[1]).toBeLessThan(300);
    await first;
  });

  it('closes a batch after the quiet period once a long write finishes, not at the age bound', async () => {
    const times: number[] = [];
    const start = Date.now();
    let c: Promise<void> | undefined;
    const gc: GroupCommit<number> = new GroupCommit<number>({
      maxItems: 1000,
      maxAgeMs: 5000,
      flush: async (items) => {
        times.push(Date.now() - start);
        if (c === undefined) {
          await sleep(100);
          c = gc.submit(2); // arrives just as the write ends: not yet quiet when it finishes
        }
        return ok(items);
      },
    });
    const a = gc.submit(0);
    await sleep(10);
    const b = gc.submit(1); // arrives during the 100 ms write: waits, with the age bound armed
    await Promise.all([a, b]);
    await c;
    expect(times).toHaveLength(2);
    expect(times[1]).toBeLessThan(300);
  });

  it('fails every submission of a failed flush, and only those', async () => {
    let fail = true;
    const gc = new GroupCommit<number>({
      maxItems: 1000,
      maxAgeMs: 1000,
      flush: async (items) => {
        if (fail) throw new Error('store down');
        return ok(items);
      },
    });
    const results = await Promise.allSettled([gc.submit(1), gc.submit(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(gc.submit(3)).resolves.toBeUndefined();
  });

  it('settles each submission with its own outcome', async () => {
    const gc = new GroupCommit<number, number>({
      maxItems: 1000,
      maxAgeMs: 1000,
      flush: async (items) =>
        items.map((i) => (i % 2 ? { ok: false, error: new Error(`odd ${i}`) } : { ok: true, value: i * 10 })),
    });
    const results = await Promise.allSettled([1, 2, 3, 4].map((i) => gc.submit(i)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseFulfilledResult<number>).value).toBe(20);
  });

  it('close() flushes what is pending and refuses new submissions', async () => {
    const written: number[] = [];
    const gc = new GroupCommit<number>({
      maxItems: 1000,
      maxAgeMs: 60_000,
      idleMs: 60_000,
      flush: async (items) => {
        written.push(...items);
        return ok(items);
      },
    });
    const pending = [gc.submit(1), gc.submit(2)];
    await gc.close();
    await Promise.all(pending);
    expect(written).toEqual([1, 2]);
    await expect(gc.submit(3)).rejects.toBeInstanceOf(ClosedError);
  });
});
