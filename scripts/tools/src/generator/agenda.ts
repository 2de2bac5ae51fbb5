/**
 * The scheduled simulation steps: a 4-ary min-heap ordered by time, then by insertion (deterministic
 * ties). Times, insertion numbers and kinds sit in typed arrays, payloads in a parallel array: a
 * sift compares a few neighbouring doubles instead of loading one object per child.
 */
export class Agenda<Payload> {
  private times = new Float64Array(1024);
  private seqs = new Float64Array(1024);
  private kinds = new Uint8Array(1024);
  private readonly payloads: Payload[] = [];
  private count = 0;
  private seq = 0;
  /** Kind and payload of the item last taken by `pop`. */
  kind = 0;
  payload: Payload | undefined = undefined;

  get size(): number {
    return this.count;
  }

  push(time: number, kind: number, payload: Payload): void {
    if (this.count === this.times.length) this.grow();
    const times = this.times;
    const seqs = this.seqs;
    const kinds = this.kinds;
    const payloads = this.payloads;
    const seq = this.seq++;
    let i = this.count++;
    while (i > 0) {
      const parent = (i - 1) >> 2;
      const t = times[parent]!;
      if (t < time || (t === time && seqs[parent]! < seq)) break;
      times[i] = t;
      seqs[i] = seqs[parent]!;
      kinds[i] = kinds[parent]!;
      payloads[i] = payloads[parent]!;
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    kinds[i] = kind;
    payloads[i] = payload;
  }

  peekTime(): number {
    return this.count > 0 ? this.times[0]! : Number.POSITIVE_INFINITY;
  }

  /**
   * Takes the earliest item: returns its time (`Infinity` when empty) and leaves its kind and payload
   * in `kind` and `payload`.
   */
  pop(): number {
    if (this.count === 0) return Number.POSITIVE_INFINITY;
    const times = this.times;
    const seqs = this.seqs;
    const kinds = this.kinds;
    const payloads = this.payloads;
    const top = times[0]!;
    this.kind = kinds[0]!;
    this.payload = payloads[0];
    const n = --this.count;
    if (n === 0) {
      payloads[0] = undefined as Payload;
      return top;
    }
    // Sift the last item down from the root.
    const time = times[n]!;
    const seq = seqs[n]!;
    const kind = kinds[n]!;
    const payload = payloads[n]!;
    payloads[n] = undefined as Payload;
    let i = 0;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      let c = first;
      let ct = times[first]!;
      const last = Math.min(first + 4, n);
      for (let j = first + 1; j < last; j++) {
        const t = times[j]!;
        if (t < ct || (t === ct && seqs[j]! < seqs[c]!)) {
          c = j;
          ct = t;
        }
      }
      if (time < ct || (time === ct && seq < seqs[c]!)) break;
      times[i] = ct;
      seqs[i] = seqs[c]!;
      kinds[i] = kinds[c]!;
      payloads[i] = payloads[c]!;
      i = c;
    }
    times[i] = time;
    seqs[i] = seq;
    kinds[i] = kind;
    payloads[i] = payload;
    return top;
  }

  private grow(): void {
    const size = this.times.length * 2;
    const times = new Float64Array(size);
    const seqs = new Float64Array(size);
    const kinds = new Uint8Array(size);
    times.set(this.times);
    seqs.set(this.seqs);
    kinds.set(this.kinds);
    this.times = times;
    this.seqs = seqs;
    this.kinds = kinds;
  }
}
