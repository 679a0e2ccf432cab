/**
 * Varint bits, shared by the gogo-style reader and the protobuf-go-style consume functions: those
 * differ in what they accept and how they fail, not in how the bits add up. A uint64 is handled as
 * two uint32 halves so the hot paths stay on numbers (no bigint, and never BigInt.asUintN, which
 * crashes Node 20's optimizing compiler in loops).
 */

/** varintEnd's answer when the buffer ends inside the varint. */
export const VARINT_TRUNCATED = -1;
/** varintEnd's answer when ten bytes all have the continuation bit. */
export const VARINT_TOO_LONG = -2;

/** The index just past the varint starting at `pos`, or one of the negative answers above. */
export function varintEnd(buf: Uint8Array, pos: number): number {
  const limit = pos + 10;
  for (let i = pos; i < limit; i++) {
    if (i >= buf.length) return VARINT_TRUNCATED;
    if (buf[i]! < 0x80) return i + 1;
  }
  return VARINT_TOO_LONG;
}

/** Bits 0..31 of the varint in [start, end), unsigned. */
export function varintLow32(buf: Uint8Array, start: number, end: number): number {
  const stop = Math.min(end, start + 5);
  let lo = 0;
  // the fifth byte contributes bits 28..31; `<<` drops the rest, which varintHigh32 takes
  for (let i = start, shift = 0; i < stop; i++, shift += 7) lo |= (buf[i]! & 0x7f) << shift;
  return lo >>> 0;
}

/** Bits 32..63 of the varint in [start, end), unsigned; a tenth byte's bits past 63 are dropped, as Go drops them. */
export function varintHigh32(buf: Uint8Array, start: number, end: number): number {
  if (end - start < 5) return 0;
  let hi = (buf[start + 4]! & 0x7f) >>> 4;
  for (let i = start + 5, shift = 3; i < end; i++, shift += 7) hi |= (buf[i]! & 0x7f) << shift;
  return hi >>> 0;
}

/** The uint64 from two halves as a bigint, exact. */
export function uint64FromHalves(lo: number, hi: number): bigint {
  return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
}
