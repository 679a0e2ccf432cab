/**
 * Varint decoding, shared by the gogo-style reader and the protobuf-go-style consume functions:
 * those differ in what they accept and how they fail, not in how the bits add up. A uint64 is
 * kept as two uint32 halves so the hot paths stay on numbers (no bigint, and never BigInt.asUintN,
 * which crashes Node 20's optimizing compiler in loops).
 */

/** decodeVarint's answer when the buffer ends inside the varint. */
export const VARINT_TRUNCATED = -1;
/** decodeVarint's answer when ten bytes all have the continuation bit. */
export const VARINT_TOO_LONG = -2;

/** A uint64 as two unsigned 32-bit halves. */
export interface Halves {
  lo: number;
  hi: number;
}

/**
 * Decodes the varint at `pos` into `out` (a tenth byte's bits past 63 dropped, as Go drops them)
 * and returns the index just past it, or one of the negative answers above; `len` is where the
 * message being read ends.
 */
export function decodeVarint(buf: Uint8Array, pos: number, out: Halves, len = buf.length): number {
  let lo = 0;
  let hi = 0;
  for (let i = 0, shift = 0; i < 10; i++, shift += 7) {
    if (pos + i >= len) return VARINT_TRUNCATED;
    const b = buf[pos + i]!;
    if (shift < 28) lo |= (b & 0x7f) << shift;
    else if (shift === 28) {
      lo |= (b & 0x0f) << 28;
      hi = (b & 0x7f) >>> 4;
    } else hi |= (b & 0x7f) << (shift - 32);
    if (b < 0x80) {
      out.lo = lo >>> 0;
      out.hi = hi >>> 0;
      return pos + i + 1;
    }
  }
  return VARINT_TOO_LONG;
}

/** The uint64 from two halves as a bigint, exact. */
export function uint64FromHalves(lo: number, hi: number): bigint {
  return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
}
