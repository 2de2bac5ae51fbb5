/**
 * A small seeded pseudo-random generator (sfc32, seeded through a string hash and splitmix32) and the
 * draws the simulation needs. Never `Math.random`: every output of the generator follows from the seed.
 */

/** 32-bit FNV-1a of a string: turns a seed and a stream name into an initial state. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

// Character codes of each byte's two hex digits.
const HEX_HI = Uint8Array.from(HEX, (h) => h.charCodeAt(0));
const HEX_LO = Uint8Array.from(HEX, (h) => h.charCodeAt(1));
const DASH = 45;
/** Scratch bytes of `uuid4` (a Uint8Array keeps the low 8 bits of what is stored). */
const uuidBytes = new Uint8Array(16);

/**
 * Formats 16 bytes as a UUID string. One `fromCharCode` gives a flat string: concatenating 20 pieces
 * gives a rope of 19 nodes, garbage that every reader (a regexp, JSON) first has to flatten.
 */
export function formatUuid(b: Uint8Array): string {
  const h = HEX_HI;
  const l = HEX_LO;
  return String.fromCharCode(
    h[b[0]!]!,
    l[b[0]!]!,
    h[b[1]!]!,
    l[b[1]!]!,
    h[b[2]!]!,
    l[b[2]!]!,
    h[b[3]!]!,
    l[b[3]!]!,
    DASH,
    h[b[4]!]!,
    l[b[4]!]!,
    h[b[5]!]!,
    l[b[5]!]!,
    DASH,
    h[b[6]!]!,
    l[b[6]!]!,
    h[b[7]!]!,
    l[b[7]!]!,
    DASH,
    h[b[8]!]!,
    l[b[8]!]!,
    h[b[9]!]!,
    l[b[9]!]!,
    DASH,
    h[b[10]!]!,
    l[b[10]!]!,
    h[b[11]!]!,
    l[b[11]!]!,
    h[b[12]!]!,
    l[b[12]!]!,
    h[b[13]!]!,
    l[b[13]!]!,
    h[b[14]!]!,
    l[b[14]!]!,
    h[b[15]!]!,
    l[b[15]!]!,
  );
}

/** sfc32: fast, small state, passes PractRand to 2^40+; plenty for a simulation. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** A generator for one named stream of a seed: streams are independent of each other. */
  constructor(seed: string | number, stream = '') {
    const mix = splitmix32(hash32(`${seed}/${stream}`));
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** Uniform 32-bit unsigned integer. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Uniform integer in [min, max] inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Index drawn with the given (non-negative) weights; -1 when they sum to zero. */
  weightedIndex(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i] as number;
    if (!(total > 0)) return -1;
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i] as number;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Standard normal (Box-Muller). */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal given the median and the spread (sigma of the underlying normal). */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(this.normal(0, sigma));
  }

  /** Fills `bytes` with random bytes (used for the random part of UUIDs). */
  fill(bytes: Uint8Array): Uint8Array {
    for (let i = 0; i < bytes.length; i += 4) {
      const x = this.uint32();
      bytes[i] = x & 0xff;
      bytes[i + 1] = (x >>> 8) & 0xff;
      bytes[i + 2] = (x >>> 16) & 0xff;
      bytes[i + 3] = x >>> 24;
    }
    return bytes;
  }

  /** A random (version 4) UUID drawn from this stream. */
  uuid4(): string {
    const a = this.uint32();
    const b = this.uint32();
    const c = this.uint32();
    const d = this.uint32();
    const u = uuidBytes;
    u[0] = a >>> 24;
    u[1] = a >>> 16;
    u[2] = a >>> 8;
    u[3] = a;
    u[4] = b >>> 24;
    u[5] = b >>> 16;
    u[6] = 0x40 | ((b >>> 8) & 0x0f);
    u[7] = b;
    u[8] = 0x80 | ((c >>> 24) & 0x3f);
    u[9] = c >>> 16;
    u[10] = c >>> 8;
    u[11] = c;
    u[12] = d >>> 24;
    u[13] = d >>> 16;
    u[14] = d >>> 8;
    u[15] = d;
    return formatUuid(u);
  }
}

/** Walker's alias table: O(1) draws from a fixed discrete distribution (e.g. user activity). */
export class AliasTable {
  private readonly prob: Float64Array;
  private readonly alias: Uint32Array;

  constructor(weights: readonly number[]) {
    const n = weights.length;
    this.prob = new Float64Array(n);
    this.alias = new Uint32Array(n);
    const total = weights.reduce((s, w) => s + w, 0);
    const scaled = weights.map((w) => (w * n) / total);
    const small: number[] = [];
    const large: number[] = [];
    scaled.forEach((p, i) => {
      (p < 1 ? small : large).push(i);
    });
    while (small.length > 0 && large.length > 0) {
      const s = small.pop()!;
      const l = large.pop()!;
      this.prob[s] = scaled[s]!;
      this.alias[s] = l;
      scaled[l] = scaled[l]! + scaled[s]! - 1;
      (scaled[l]! < 1 ? small : large).push(l);
    }
    for (const i of [...small, ...large]) this.prob[i] = 1;
  }

  draw(random: Random): number {
    const i = Math.floor(random.next() * this.prob.length);
    return random.next() < this.prob[i]! ? i : this.alias[i]!;
  }
}
