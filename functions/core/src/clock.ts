/**
 * Time as the long-lived parts see it: the wall clock in production, a simulated one in the soak
 * benchmark (scripts/bench/soak), which drives weeks of traffic through the same code in minutes.
 */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): ClockTimer;
  clearTimeout(timer: ClockTimer): void;
}

/** An opaque timer handle. */
export type ClockTimer = { readonly __timer: unique symbol } | object;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

interface VirtualTimer {
  due: number;
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

/**
 * A simulated clock: time moves only by `advanceTo`, which fires the timers due on the way, each at its
 * due time, in order. After each timer it awaits `settle` (default: one turn of the event loop), so the
 * work a timer starts (a flush and what its answer triggers) runs before time moves on.
 */
export class VirtualClock implements Clock {
  private timers: VirtualTimer[] = [];
  private seq = 0;

  constructor(private time: number) {}

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): ClockTimer {
    const timer: VirtualTimer = {
      due: this.time + Math.max(0, ms),
      seq: this.seq++,
      callback,
      cancelled: false,
    };
    // Timers are few (a handful per group commit): a sorted insert is enough.
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.due > timer.due) i--;
    this.timers.splice(i, 0, timer);
    return timer;
  }

  clearTimeout(timer: ClockTimer): void {
    (timer as VirtualTimer).cancelled = true;
    const i = this.timers.indexOf(timer as VirtualTimer);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** The due time of the next timer, if any. */
  nextDue(): number | undefined {
    return this.timers[0]?.due;
  }

  async advanceTo(time: number, settle: () => Promise<void> = () => new Promise((r) => setImmediate(r))) {
    if (time < this.time) throw new Error(`the clock cannot go back (from ${this.time} to ${time})`);
    for (let next = this.timers[0]; next !== undefined && next.due <= time; next = this.timers[0]) {
      this.timers.shift();
      this.time = Math.max(this.time, next.due);
      next.callback();
      await settle();
    }
    this.time = time;
  }
}
