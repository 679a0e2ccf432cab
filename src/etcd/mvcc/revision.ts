/**
 * A `key` bucket key (etcd server/storage/mvcc/revision.go): BE64(main) ‖ '_' ‖ BE64(sub), plus 't'
 * for a tombstone. Bucket order is therefore revision order.
 */
export interface RevisionKey {
  main: number;
  sub: number;
  tombstone: boolean;
}

const UNDERSCORE = 0x5f;
const TOMBSTONE = 0x74;

/** Any other shape is corruption: upstream panics on it, a reader reports it. */
export function isRevisionKey(k: Uint8Array): boolean {
  return (k.length === 17 || (k.length === 18 && k[17] === TOMBSTONE)) && k[8] === UNDERSCORE;
}

export function parseRevisionKey(k: Uint8Array): RevisionKey | null {
  if (!isRevisionKey(k)) return null;
  return { main: be64(k, 0), sub: be64(k, 9), tombstone: k.length === 18 };
}

/** A big-endian int64 as a number (revisions stay far below 2^53). */
export function be64(b: Uint8Array, o: number): number {
  const hi = (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]! | 0;
  const lo = ((b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!) >>> 0;
  return hi * 0x100000000 + lo;
}

/** The `key` bucket key of revision main_sub (a tombstone gets the extra 't'). */
export function revisionKey(main: number, sub: number, tombstone = false): Uint8Array {
  const k = new Uint8Array(tombstone ? 18 : 17);
  const dv = new DataView(k.buffer);
  dv.setBigUint64(0, BigInt(main));
  k[8] = UNDERSCORE;
  dv.setBigUint64(9, BigInt(sub));
  if (tombstone) k[17] = TOMBSTONE;
  return k;
}
