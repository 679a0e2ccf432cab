/**
 * Value locations as columns rather than objects: pass 1's merged plan (plan-shares.ts) and the
 * chunks the scan threads are sent. 100,000 location objects cost the merge ~0.1 s of collection
 * on the thread every other waits for, and cloning them between threads ~1 µs each.
 */
import { fromClonedError, toClonedError, type ClonedK8sEncError, type K8sEncError } from '../errors.ts';
import type { ValueLocation } from './snapshot.ts';

/** `numbers` holds page, index, offset, size, main, sub per location; `errors` are sorted by `at`. */
export interface PackedLocations {
  names: string[];
  numbers: Float64Array;
  errors: { at: number; error: ClonedK8sEncError }[];
}

/** Pass 1's answer packed: problems to report first, then the live keys' locations in key order. */
export interface PackedPlan {
  problems: K8sEncError[];
  locations: PackedLocations;
}

export const LOCATION_FIELDS = 6;
const SIZE = 3;

export function packLocations(locs: readonly ValueLocation[]): PackedLocations {
  const numbers = new Float64Array(locs.length * LOCATION_FIELDS);
  const errors: PackedLocations['errors'] = [];
  locs.forEach((loc, i) => {
    numbers.set([loc.page, loc.index, loc.offset, loc.size, loc.main, loc.sub], i * LOCATION_FIELDS);
    if (loc.error !== undefined) errors.push({ at: i, error: toClonedError(loc.error) });
  });
  return { names: locs.map((l) => l.name), numbers, errors };
}

export function unpackLocations(p: PackedLocations): ValueLocation[] {
  const n = p.numbers;
  const locs = p.names.map((name, i): ValueLocation => {
    const at = i * LOCATION_FIELDS;
    return { name, page: n[at]!, index: n[at + 1]!, offset: n[at + 2]!, size: n[at + 3]!, main: n[at + 4]!, sub: n[at + 5]! };
  });
  for (const { at, error } of p.errors) locs[at]!.error = fromClonedError(error);
  return locs;
}

/** Locations [from, to) as their own columns (copied: a chunk's numbers are transferred away). */
function sliceLocations(p: PackedLocations, from: number, to: number, errors: PackedLocations['errors']): PackedLocations {
  return {
    names: p.names.slice(from, to),
    numbers: p.numbers.slice(from * LOCATION_FIELDS, to * LOCATION_FIELDS),
    errors: errors.map((e) => ({ at: e.at - from, error: e.error })),
  };
}

/**
 * Cuts `p` into runs of at most `count` locations and about `bytes` stored bytes (a location that
 * failed to decode weighs nothing): the scan's chunks.
 */
export function* runsOf(p: PackedLocations, count: number, bytes: number): Generator<PackedLocations> {
  let from = 0;
  let weight = 0;
  let e = 0; // p.errors[e] is the first error at or after `from`
  const cut = (to: number) => {
    const first = e;
    while (e < p.errors.length && p.errors[e]!.at < to) e++;
    return sliceLocations(p, from, to, p.errors.slice(first, e));
  };
  for (let i = 0, next = 0; i < p.names.length; i++) {
    while (next < p.errors.length && p.errors[next]!.at < i) next++;
    weight += p.errors[next]?.at === i ? 0 : p.numbers[i * LOCATION_FIELDS + SIZE]!;
    if (i + 1 - from === count || weight >= bytes) {
      yield cut(i + 1);
      [from, weight] = [i + 1, 0];
    }
  }
  if (from < p.names.length) yield cut(p.names.length);
}
