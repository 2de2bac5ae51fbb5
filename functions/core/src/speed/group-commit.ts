/**
 * Group commit: items submitted by concurrent callers are gathered for at most `lingerMs` (or until
 * `maxItems`) and handed to `flush` together; each caller's promise settles when the flush holding its
 * items does, so a caller is answered only after its items are durable, and a failed flush fails every
 * caller in it. At most `maxInFlight` flushes run at once; while they do, items keep gathering into the
 * next batch (which grows instead of queueing many small writes).
 */
export interface GroupCommitOptions {
  lingerMs: number;
  maxItems: number;
  maxInFlight: number;
}

interface Pending<T> {
  items: T[];
  size: number;
  waiters: { resolve: () => void; reject: (error: unknown) => void }[];
}

export class GroupCommit<T> {
  private pending: Pending<T> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private readonly idle: (() => void)[] = [];

  constructor(
    private readonly flush: (items: T[]) => Promise<void>,
    private readonly options: GroupCommitOptions,
  ) {}

  /** Adds items (of total `size`, e.g. fact rows) and resolves once they are flushed. */
  submit(items: readonly T[], size = items.length): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending ??= { items: [], size: 0, waiters: [] };
      this.pending.items.push(...items);
      this.pending.size += size;
      this.pending.waiters.push({ resolve, reject });
      if (this.pending.size >= this.options.maxItems) this.release();
      else this.timer ??= setTimeout(() => this.release(), this.options.lingerMs);
    });
  }

  /** Number of flushes running now. */
  get flushing(): number {
    return this.inFlight;
  }

  /** Flushes what is pending and waits for every running flush (shutdown). */
  async drain(): Promise<void> {
    this.release(true);
    while (this.inFlight > 0 || this.pending) {
      await new Promise<void>((resolve) => this.idle.push(resolve));
      this.release(true);
    }
  }

  private release(force = false): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.pending;
    if (!batch) return;
    if (this.inFlight >= this.options.maxInFlight && !force) return; // released when a flush finishes
    this.pending = undefined;
    this.inFlight++;
    this.flush(batch.items).then(
      () => this.settle(batch, (w) => w.resolve()),
      (error: unknown) => this.settle(batch, (w) => w.reject(error)),
    );
  }

  private settle(batch: Pending<T>, each: (waiter: Pending<T>['waiters'][number]) => void): void {
    this.inFlight--;
    for (const waiter of batch.waiters) each(waiter);
    if (this.pending) {
      if (this.pending.size >= this.options.maxItems || !this.timer) this.release();
    }
    for (const resolve of this.idle.splice(0)) resolve();
  }
}
