/**
 * Inputs for the fuzz targets: a small seeded generator (one per input, from the campaign seed and
 * the input's index, so any input can be made again from `--seed S --target T --index I`) and
 * byte-level mutations of real seed inputs.
 */

/** xorshift128+ over 32-bit halves: fast, and the same sequence on every machine. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, index: number, salt = 0) {
    // splitmix-style scrambling so neighbouring indexes give unrelated streams.
    let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 0x632be5ab, 0xc2b2ae35) ^ salt;
    const step = () => {
      h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
      h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
      h ^= h >>> 16;
      h = (h + 0x6d2b79f5) | 0;
      return h | 1;
    };
    this.a = step();
    this.b = step();
    this.c = step();
    this.d = step();
  }

  u32(): number {
    let t = this.a ^ (this.a << 11);
    this.a = this.b;
    this.b = this.c;
    this.c = this.d;
    this.d = (this.d ^ (this.d >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    t = this.d;
    return t >>> 0;
  }

  /** 0 ≤ int(n) < n */
  int(n: number): number {
    return n <= 1 ? 0 : this.u32() % n;
  }

  chance(p: number): boolean {
    return this.u32() < p * 0x100000000;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x12, 0x1a, 0x22, 0x08];
const INTERESTING_U32 = [0, 1, 0x7f, 0x80, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

/** 1–4 random edits of `base` (a copy): flips, interesting values, inserts, deletes, repeats, truncation. */
export function mutate(rng: Rng, base: Uint8Array, maxLength = base.length * 2 + 64): Uint8Array {
  let b: Uint8Array = base.slice();
  const edits = 1 + rng.int(4);
  for (let e = 0; e < edits; e++) {
    const at = rng.int(b.length + 1);
    switch (rng.int(9)) {
      case 0:
        if (b.length > 0) b[Math.min(at, b.length - 1)]! ^= 1 << rng.int(8);
        break;
      case 1:
        if (b.length > 0) b[Math.min(at, b.length - 1)] = rng.pick(INTERESTING_BYTES);
        break;
      case 2:
        if (b.length > 0) b[Math.min(at, b.length - 1)] = rng.int(256);
        break;
      case 3: {
        const ins = rng.chance(0.5) ? rng.bytes(1 + rng.int(8)) : new Uint8Array(1 + rng.int(64)).fill(rng.pick(INTERESTING_BYTES));
        b = concat(b.subarray(0, at), ins, b.subarray(at));
        break;
      }
      case 4:
        b = concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rng.int(32))));
        break;
      case 5: {
        const from = rng.int(b.length + 1);
        b = concat(b.subarray(0, at), b.subarray(from, from + 1 + rng.int(64)), b.subarray(at));
        break;
      }
      case 6:
        b = b.subarray(0, at).slice();
        break;
      case 7: {
        if (b.length >= 4) {
          const o = Math.min(at, b.length - 4);
          new DataView(b.buffer, b.byteOffset).setUint32(o, rng.pick(INTERESTING_U32), rng.chance(0.5));
        }
        break;
      }
      case 8:
        // A varint that never ends or claims a huge length.
        b = concat(b.subarray(0, at), new Uint8Array(1 + rng.int(11)).fill(0xff), b.subarray(at));
        break;
    }
  }
  return b.length > maxLength ? b.subarray(0, maxLength) : b;
}

export function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A seed mutated, or now and then plain random bytes. */
export function seedOrNoise(rng: Rng, seeds: readonly Uint8Array[], maxNoise = 256): Uint8Array {
  if (seeds.length === 0 || rng.chance(0.08)) return rng.bytes(rng.int(maxNoise));
  const s = rng.pick(seeds);
  return rng.chance(0.05) ? s : mutate(rng, s);
}
