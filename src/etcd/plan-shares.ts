/**
 * Pass 1 in parallel: the `key` bucket's subtrees split into shares, each indexed by its own
 * thread (with its own file handle), and the shares merged into the plan a single pass gives.
 * Pass 1 reads the whole file and runs before any value can be read, so on one thread it was the
 * longest stretch of a scan with nothing else to do.
 */
import { fromClonedError, K8sEncError, toClonedError, type ClonedK8sEncError } from '../errors.ts';
import type { BoltDb, BucketRef } from './bbolt/db.ts';
import { MAX_ORPHANS, type KeyIndex } from './mvcc/key-index.ts';
import { LOCATION_FIELDS, type PackedLocations, type PackedPlan } from './packed-locations.ts';

/** A share's index in a form that crosses threads: keys sorted, their entries' fields packed. */
export interface PlanShare {
  /** The matching keys seen in the share (latin1, one char per byte), sorted. */
  names: string[];
  /** Per key, FIELDS numbers: main, sub, page, index, offset, size, tombstone (1 or 0). */
  numbers: Float64Array;
  /** The keys whose newest entry in the share did not decode: position in `names`, and why. */
  errors: { at: number; error: ClonedK8sEncError }[];
  /** Entries that belong to no key, in page order (at most MAX_ORPHANS), and how many more. */
  orphans: ClonedK8sEncError[];
  droppedOrphans: number;
}

const FIELDS = 7;

/** The share of pass 1 one thread found over its subtrees, sorted and packed. */
export function shareOf(index: KeyIndex): PlanShare {
  const names = [...index.slots.keys()].sort();
  const numbers = new Float64Array(names.length * FIELDS);
  const errors: PlanShare['errors'] = [];
  names.forEach((name, at) => {
    const slot = index.slots.get(name)!;
    const o = at * FIELDS;
    numbers[o] = index.main[slot]!;
    numbers[o + 1] = index.sub[slot]!;
    numbers[o + 2] = index.page[slot]!;
    numbers[o + 3] = index.index[slot]!;
    numbers[o + 4] = index.offset[slot]!;
    numbers[o + 5] = index.valueSize[slot]!;
    numbers[o + 6] = index.tombstone[slot]!;
    const error = index.errors.get(slot);
    if (error !== undefined) errors.push({ at, error: toClonedError(error) });
  });
  const orphans = index.orphans.map(toClonedError);
  return { names, numbers, errors, orphans, droppedOrphans: index.droppedOrphans };
}

/**
 * The key bucket's root's children split into `count` runs of about equal size, in key order (as
 * many runs as children when there are fewer); null when the bucket is a single leaf or its root
 * has one child.
 */
export function splitRoots(db: BoltDb, bucket: BucketRef, count: number): number[][] | null {
  if (bucket.inline !== undefined) return null;
  const root = db.node(bucket.root);
  if (root.isLeaf || root.count < 2) return null;
  const children = Array.from({ length: root.count }, (_, i) => root.child(i));
  count = Math.min(count, children.length);
  return Array.from({ length: count }, (_, s) =>
    children.slice(Math.floor((s * children.length) / count), Math.floor(((s + 1) * children.length) / count)),
  );
}

/**
 * The plan from all shares, identical to one pass over the whole bucket: per key the newest entry
 * of any share (a later share wins a tie, as a later leaf does in one pass), tombstoned keys left
 * out, orphans in page order with the same cap. Packed: see packed-locations.ts.
 */
export function mergeShares(shares: readonly PlanShare[]): PackedPlan {
  const problems: K8sEncError[] = [];
  let dropped = 0;
  for (const s of shares) {
    for (const o of s.orphans) {
      if (problems.length < MAX_ORPHANS) problems.push(fromClonedError(o));
      else dropped++;
    }
    dropped += s.droppedOrphans;
  }
  if (dropped > 0) problems.push(new K8sEncError('ERR_ETCD_CORRUPT', `${dropped} more key bucket entries could not be read`));
  const errorAt = shares.map((s) => new Map(s.errors.map((e) => [e.at, e])));
  const next = shares.map(() => 0);
  const names: string[] = [];
  // Room for every share's every key: the merged plan has at most that many (cut to size below).
  const numbers = new Float64Array(shares.reduce((sum, s) => sum + s.names.length, 0) * LOCATION_FIELDS);
  const errors: PackedLocations['errors'] = [];
  for (;;) {
    // The smallest key at the heads; among equal keys, the newest entry (the later share on a tie).
    let name: string | undefined;
    let from = -1;
    for (let s = 0; s < shares.length; s++) {
      const n = shares[s]!.names[next[s]!];
      if (n === undefined) continue;
      if (name === undefined || n < name) [name, from] = [n, s];
      else if (n === name && !olderThan(shares[s]!, next[s]!, shares[from]!, next[from]!)) from = s;
    }
    if (name === undefined) break;
    const at = next[from]!;
    for (let s = 0; s < shares.length; s++) if (shares[s]!.names[next[s]!] === name) next[s]!++;
    const n = shares[from]!.numbers;
    const o = at * FIELDS;
    if (n[o + 6] === 1) continue; // deleted
    const i = names.length;
    // Share fields (main, sub, page, index, offset, size) to location fields (page, index, offset, size, main, sub).
    numbers.set([n[o + 2]!, n[o + 3]!, n[o + 4]!, n[o + 5]!, n[o]!, n[o + 1]!], i * LOCATION_FIELDS);
    names.push(name);
    const e = errorAt[from]!.get(at);
    if (e !== undefined) errors.push({ at: i, error: e.error });
  }
  return { problems, locations: { names, numbers: numbers.slice(0, names.length * LOCATION_FIELDS), errors } };
}

function olderThan(a: PlanShare, i: number, b: PlanShare, j: number): boolean {
  const [am, as, bm, bs] = [a.numbers[i * FIELDS]!, a.numbers[i * FIELDS + 1]!, b.numbers[j * FIELDS]!, b.numbers[j * FIELDS + 1]!];
  return am < bm || (am === bm && as < bs);
}
