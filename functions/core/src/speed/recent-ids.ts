/**
 * The ids of the most recent events written, to detect redeliveries cheaply. Detection is an
 * optimisation and a metric, not the correctness guarantee: a redelivered event that is not detected
 * (another pod, after a restart, evicted) rewrites the same fact rows, which changes nothing.
 */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity: number) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    if (this.capacity <= 0 || this.ids.has(id)) return;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
  }

  get size(): number {
    return this.ids.size;
  }
}
