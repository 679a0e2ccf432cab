/**
 * Go's int64/int32 wrap-around on bigints. Written with plain arithmetic because BigInt.asIntN and
 * asUintN in hot loops crash Node 20's optimizing compiler (V8 RepresentationChangerError).
 */
const TWO_64 = 1n << 64n;

export function wrapInt(v: bigint, bits: 32 | 64): bigint {
  const modulus = bits === 64 ? TWO_64 : 1n << 32n;
  let r = v % modulus;
  if (r < 0n) r += modulus;
  return r >= modulus / 2n ? r - modulus : r;
}

export function fitsInt(v: bigint, bits: 32 | 64): boolean {
  const half = 1n << BigInt(bits - 1);
  return v >= -half && v < half;
}
