/** What the scan workers (scan-worker.ts) and the main thread (scan-parallel.ts) say to each other. */
import type { EncryptionConfig } from '../config/types.ts';
import type { PlanShare } from '../etcd/plan-shares.ts';
import type { ValueLocation } from '../etcd/snapshot.ts';
import { fromClonedError, toClonedError, type ClonedK8sEncError } from '../errors.ts';
import type { RestoreOptions } from '../storage/output.ts';
import type { LineFormat, MarkCount, VerifyFormat } from './scan-format.ts';

/** The worker's whole task, fixed at start. The parsed config is plain data: it clones as is. */
export type ScanJob = { snapshot: string; config: EncryptionConfig; etcdPrefix: string } & (
  | { kind: 'verify'; format: VerifyFormat; failuresOnly?: boolean }
  | { kind: 'get'; format: LineFormat; resource: string; forRestore: false | RestoreOptions }
);

/**
 * A chunk's locations as columns: cloning 512 location objects per chunk cost ~1 µs each, on both
 * threads. `numbers` holds page, index, offset, size, main, sub per location (transferred).
 */
export interface PackedLocations {
  names: string[];
  numbers: Float64Array;
  errors: { at: number; error: ClonedK8sEncError }[];
}

const FIELDS = 6;

export interface ChunkMessage {
  id: number;
  /** Pass 1's problems, printed before the chunk's values (only in the first chunk). */
  problems: ClonedK8sEncError[];
  locations: PackedLocations;
}

/** Pass 1 over some of the key bucket's subtrees (SnapshotSource.planShare), answered with a PlanShare. */
export interface ShareMessage {
  id: number;
  share: { prefix: Uint8Array; revision: number; subtrees: number[] };
}

/**
 * Output text travels as UTF-8 bytes, transferred: a cloned string would land in the main thread's
 * old generation (MBs per chunk) and stay there until a full collection.
 */
export type ChunkReply =
  | {
      id: number;
      ok: true;
      verify?: { text: Uint8Array; marks: MarkCount[] };
      get?: { text: Uint8Array; notes: string[]; found: number };
      share?: PlanShare;
    }
  | { id: number; ok: false; error: ClonedK8sEncError };

export function packLocations(locs: readonly ValueLocation[]): PackedLocations {
  const numbers = new Float64Array(locs.length * FIELDS);
  const errors: PackedLocations['errors'] = [];
  locs.forEach((loc, i) => {
    numbers.set([loc.page, loc.index, loc.offset, loc.size, loc.main, loc.sub], i * FIELDS);
    if (loc.error !== undefined) errors.push({ at: i, error: toClonedError(loc.error) });
  });
  return { names: locs.map((l) => l.name), numbers, errors };
}

export function unpackLocations(p: PackedLocations): ValueLocation[] {
  const n = p.numbers;
  const locs = p.names.map((name, i): ValueLocation => {
    const at = i * FIELDS;
    return { name, page: n[at]!, index: n[at + 1]!, offset: n[at + 2]!, size: n[at + 3]!, main: n[at + 4]!, sub: n[at + 5]! };
  });
  for (const { at, error } of p.errors) locs[at]!.error = fromClonedError(error);
  return locs;
}
