/**
 * Group commit: concurrent submissions coalesce into one batch, written by one `flush` call; each
 * submission's promise settles only with the outcome of the write that carried it.
 *
 * When a batch is flushed:
 * - as soon as the writer is idle: the first submission after a quiet period is flushed after `lingerMs`
 *   (0 = on the next turn of the event loop, which still collects every request parsed in the same I/O
 *   phase), so a lone request is never held for the age bound;
 * - while `maxInFlight` flushes are running, submissions wait; when one finishes, everything pending is
 *   flushed at once (so batches grow with load: batch ≈ arrival rate × write latency);
 * - regardless, when `maxItems` are pending or the oldest pending item is `maxAgeMs` old.
 */
export interface GroupCommitOptions<T, R> {
  /** Writes one batch; returns the outcome of each item (same order), or throws to fail them all. */
  flush(items: T[]): Promise<Outcome<R>[]>;
  maxItems: number;
  maxAgeMs: number;
  /** Concurrent flushes (default 2). */
  maxInFlight?: number;
  /** Delay before flushing when the writer is idle (default 0: next event-loop turn). */
  lingerMs?: number;
}

export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

interface Pending<T, R> {
  item: T;
  since: number;
  resolve(value: R): void;
  reject(error: unknown): void;
}

export class ClosedError extends Error {
  override readonly name = 'ClosedError';
}

export class GroupCommit<T, R = void> {
  private pending: Pending<T, R>[] = [];
  private inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private closed = false;
  private readonly maxInFlight: number;
  private readonly lingerMs: number;

  constructor(private readonly options: GroupCommitOptions<T, R>) {
    this.maxInFlight = options.maxInFlight ?? 2;
    this.lingerMs = options.lingerMs ?? 0;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  get flushing(): number {
    return this.inFlight.size;
  }

  submit(item: T): Promise<R> {
    if (this.closed) return Promise.reject(new ClosedError('shutting down'));
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, since: Date.now(), resolve, reject });
      this.schedule();
    });
  }

  /** Flushes everything pending and waits for every running flush. */
  async drain(): Promise<void> {
    this.clearTimers();
    while (this.pending.length > 0 || this.inFlight.size > 0) {
      if (this.pending.length > 0) this.startFlush(true);
      await Promise.allSettled([...this.inFlight]);
    }
  }

  /** Refuses new submissions, then drains. */
  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
  }

  private schedule(): void {
    const n = this.pending.length;
    if (n === 0) return;
    if (n >= this.options.maxItems) {
      this.startFlush(true);
      return;
    }
    if (this.inFlight.size === 0) {
      if (this.lingerMs <= 0) {
        this.immediate ??= setImmediate(() => {
          this.immediate = undefined;
          this.startFlush(false);
        });
      } else {
        this.armTimer(this.lingerMs);
      }
      return;
    }
    // Writer busy: wait for a running flush to finish, or for the age bound.
    const age = Date.now() - this.pending[0]!.since;
    this.armTimer(Math.max(0, this.options.maxAgeMs - age));
  }

  private armTimer(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.startFlush(true);
    }, ms);
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  /** Starts a flush of up to maxItems pending items; `force` ignores the in-flight limit (bounds reached). */
  private startFlush(force: boolean): void {
    if (this.pending.length === 0) return;
    if (!force && this.inFlight.size >= this.maxInFlight) return;
    if (this.inFlight.size >= this.maxInFlight * 4) return; // hard cap; the next completion flushes
    this.clearTimers();
    const batch = this.pending.splice(0, this.options.maxItems);
    const run = this.run(batch);
    this.inFlight.add(run);
    void run.finally(() => {
      this.inFlight.delete(run);
      this.schedule();
      if (this.pending.length > 0 && this.inFlight.size < this.maxInFlight) this.startFlush(false);
    });
    if (this.pending.length > 0) this.schedule();
  }

  private async run(batch: Pending<T, R>[]): Promise<void> {
    let outcomes: Outcome<R>[];
    try {
      outcomes = await this.options.flush(batch.map((p) => p.item));
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    batch.forEach((p, i) => {
      const o = outcomes[i];
      if (o?.ok) p.resolve(o.value);
      else p.reject(o ? o.error : new Error('flush returned no outcome'));
    });
  }
}
