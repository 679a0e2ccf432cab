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
  const hi = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) | 0;
  const lo = ((b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!) >>> 0;
  return hi * 0x100000000 + lo;
}
