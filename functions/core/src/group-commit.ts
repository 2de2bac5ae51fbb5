/**
 * Group commit: concurrent submissions coalesce into one batch, written by one `flush` call; each
 * submission's promise settles only with the outcome of the write that carried it.
 *
 * A batch is flushed when the first of these happens:
 * - **quiet**: no submission arrived for `idleMs` (default 2 ms) and fewer than `maxInFlight` flushes run.
 *   Senders that wait for their answer (HTTP, Knative's dispatcher) all submit and then go quiet, so a
 *   batch holds everything in flight, and a lone request waits only `idleMs`;
 * - **size**: `maxItems` are pending;
 * - **age**: the oldest pending item is `maxAgeMs` old (under continuous arrivals), even if
 *   `maxInFlight` flushes are already running.
 */
export interface GroupCommitOptions<T, R> {
  /** Writes one batch; returns the outcome of each item (same order), or throws to fail them all. */
  flush(items: T[]): Promise<Outcome<R>[]>;
  maxItems: number;
  maxAgeMs: number;
  /** Concurrent flushes started by the quiet rule (default 1); size and age bounds may exceed it. */
  maxInFlight?: number;
  /** Quiet period that closes a batch (default 2 ms). */
  idleMs?: number;
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
  private timerDue = 0;
  private lastArrival = 0;
  private closed = false;
  private readonly maxInFlight: number;
  private readonly idleMs: number;

  constructor(private readonly options: GroupCommitOptions<T, R>) {
    this.maxInFlight = options.maxInFlight ?? 1;
    this.idleMs = options.idleMs ?? 2;
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
      const now = Date.now();
      this.lastArrival = now;
      this.pending.push({ item, since: now, resolve, reject });
      if (this.pending.length >= this.options.maxItems) this.startFlush();
      else this.arm(this.idleMs);
    });
  }

  /** Flushes everything pending and waits for every running flush. */
  async drain(): Promise<void> {
    this.disarm();
    while (this.pending.length > 0 || this.inFlight.size > 0) {
      if (this.pending.length > 0) this.startFlush();
      await Promise.allSettled([...this.inFlight]);
    }
  }

  /** Refuses new submissions, then drains. */
  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
  }

  /** Ensures an evaluation within `ms` (an earlier pending one is kept, a later one is replaced). */
  private arm(ms: number): void {
    const due = Date.now() + ms;
    if (this.timer) {
      if (this.timerDue <= due) return;
      clearTimeout(this.timer);
    }
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.evaluate();
    }, ms);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Applies the quiet and age rules; re-arms the timer for whichever comes next. */
  private evaluate(): void {
    if (this.pending.length === 0) return;
    const now = Date.now();
    const age = now - this.pending[0]!.since;
    const quietFor = now - this.lastArrival;
    if (age >= this.options.maxAgeMs || (quietFor >= this.idleMs && this.inFlight.size < this.maxInFlight)) {
      this.startFlush();
      return;
    }
    const untilAge = this.options.maxAgeMs - age;
    // Busy writer: a finishing flush re-evaluates; meanwhile only the age bound can fire.
    const untilQuiet = this.inFlight.size < this.maxInFlight ? this.idleMs - quietFor : untilAge;
    this.arm(Math.max(0, Math.min(untilAge, untilQuiet)));
  }

  private startFlush(): void {
    if (this.pending.length === 0) return;
    this.disarm();
    const batch = this.pending.splice(0, this.options.maxItems);
    const run = this.run(batch);
    this.inFlight.add(run);
    void run.finally(() => {
      this.inFlight.delete(run);
      this.evaluate();
    });
    if (this.pending.length >= this.options.maxItems) this.startFlush();
    else if (this.pending.length > 0) this.evaluate();
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
