/** A min-heap of scheduled simulation steps ordered by time, then by insertion (deterministic ties). */

export class AgendaItem<Payload> {
  constructor(
    public time: number,
    public seq: number,
    public kind: number,
    public payload: Payload,
  ) {}
}

export class Agenda<Payload> {
  private readonly heap: AgendaItem<Payload>[] = [];
  private seq = 0;
  private readonly pool: AgendaItem<Payload>[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(time: number, kind: number, payload: Payload): void {
    let item = this.pool.pop();
    if (item === undefined) item = new AgendaItem(time, this.seq++, kind, payload);
    else {
      item.time = time;
      item.seq = this.seq++;
      item.kind = kind;
      item.payload = payload;
    }
    const heap = this.heap;
    let i = heap.length;
    heap.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (p.time < time || (p.time === time && p.seq < item.seq)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = item;
  }

  /** Returns a popped item for reuse (the caller must not keep a reference to it). */
  release(item: AgendaItem<Payload>): void {
    item.payload = null as Payload;
    if (this.pool.length < 4096) this.pool.push(item);
  }

  peekTime(): number {
    return this.heap.length > 0 ? this.heap[0]!.time : Number.POSITIVE_INFINITY;
  }

  pop(): AgendaItem<Payload> | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    const n = heap.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      const left = heap[l]!;
      if (r < n) {
        const right = heap[r]!;
        if (right.time < left.time || (right.time === left.time && right.seq < left.seq)) c = r;
      }
      const child = heap[c]!;
      if (last.time < child.time || (last.time === child.time && last.seq < child.seq)) break;
      heap[i] = child;
      i = c;
    }
    heap[i] = last;
    return top;
  }
}
