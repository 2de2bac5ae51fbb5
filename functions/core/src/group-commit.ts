import { type Clock, type ClockTimer, systemClock } from './clock.ts';

/**
 * Group commit: concurrent submissions coalesce into one batch, written by one `flush` call; each
 * submission's promise settles only with the outcome of the write that carried it.
 *
 * A batch is flushed when the first of these happens (and, for quiet and linger, fewer than
 * `maxInFlight` flushes run):
 * - **quiet**: the senders are waiting for their answers. Senders that wait (HTTP clients, Knative's
 *   dispatcher at its in-flight limit) all submit and then go quiet, so a batch holds everything in
 *   flight. Without a linger any silence of `idleMs` (default 2 ms) counts. With a linger, a silence
 *   counts only for a batch of at least `waitingArrivals` (32) items, once it has lasted as long as that
 *   many more would have taken at the pace the batch filled: live traffic at tens of events per second
 *   pauses between events without waiting on us, so its batch lingers; a closed loop at saturation
 *   stops dead after a burst, so its batch closes within milliseconds, as without a linger. Senders
 *   must therefore allow at least `waitingArrivals` requests in flight (and rate × linger to fill a
 *   batch): with fewer, every batch waits the linger;
 * - **linger**: the oldest pending item has waited `lingerMs` (live traffic: a file holds a linger's worth
 *   of events instead of one request's);
 * - **size**: `maxItems` are pending;
 * - **age**: the oldest pending item is `maxAgeMs` old, even if `maxInFlight` flushes are already running.
 */
export interface GroupCommitOptions<T, R> {
  /** Writes one batch; returns the outcome of each item (same order), or throws to fail them all. */
  flush(items: T[]): Promise<Outcome<R>[]>;
  maxItems: number;
  maxAgeMs: number;
  /** Concurrent flushes started by the quiet rule (default 1); size and age bounds may exceed it. */
  maxInFlight?: number;
  /** Quiet period that closes a batch (default 2 ms); with a linger, the shortest such silence. */
  idleMs?: number;
  /** How long a batch waits for more items under low load (default 0: no linger). */
  lingerMs?: number;
  /** With a linger: the arrivals a silence must have missed, at the pace the batch filled, to close it (32). */
  waitingArrivals?: number;
  clock?: Clock;
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
  private timer: ClockTimer | undefined;
  private timerDue = 0;
  private lastArrival = 0;
  private closed = false;
  private readonly maxInFlight: number;
  private readonly idleMs: number;
  private readonly lingerMs: number;
  private readonly waitingArrivals: number;
  private readonly clock: Clock;

  constructor(private readonly options: GroupCommitOptions<T, R>) {
    this.maxInFlight = options.maxInFlight ?? 1;
    this.idleMs = options.idleMs ?? 2;
    this.lingerMs = options.lingerMs ?? 0;
    this.waitingArrivals = options.waitingArrivals ?? 32;
    this.clock = options.clock ?? systemClock;
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
      const now = this.clock.now();
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
    const due = this.clock.now() + ms;
    if (this.timer) {
      if (this.timerDue <= due) return;
      this.clock.clearTimeout(this.timer);
    }
    this.timerDue = due;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.evaluate();
    }, ms);
  }

  private disarm(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * The silence that closes a batch: `idleMs`; with a linger, the time `waitingArrivals` more would have
   * taken at the pace the batch filled, and only once it holds that many (fewer may be a trickle).
   */
  private quietMs(): number {
    if (this.lingerMs <= this.idleMs) return this.idleMs;
    const n = this.pending.length;
    if (n < this.waitingArrivals) return Number.POSITIVE_INFINITY;
    const meanGap = (this.lastArrival - this.pending[0]!.since) / (n - 1);
    return Math.max(this.idleMs, this.waitingArrivals * meanGap);
  }

  /** Applies the quiet, linger and age rules; re-arms the timer for whichever comes next. */
  private evaluate(): void {
    if (this.pending.length === 0) return;
    const now = this.clock.now();
    const age = now - this.pending[0]!.since;
    const quietFor = now - this.lastArrival;
    const quietMs = this.quietMs();
    // Without a linger, only silence closes a batch early.
    const lingerMs = this.lingerMs > this.idleMs ? this.lingerMs : Number.POSITIVE_INFINITY;
    const canStart = this.inFlight.size < this.maxInFlight;
    if (age >= this.options.maxAgeMs || (canStart && (quietFor >= quietMs || age >= lingerMs))) {
      this.startFlush();
      return;
    }
    const untilAge = this.options.maxAgeMs - age;
    // Busy writer: a finishing flush re-evaluates; meanwhile only the age bound can fire.
    const untilNext = canStart ? Math.min(quietMs - quietFor, lingerMs - age) : untilAge;
    // Whole milliseconds, at least one (as timers fire): a fraction left by rounding would re-arm forever.
    this.arm(Math.max(1, Math.ceil(Math.min(untilAge, untilNext))));
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
