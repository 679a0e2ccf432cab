/** What the scan workers (scan-worker.ts) and the main thread (scan-parallel.ts) say to each other. */
import type { EncryptionConfig } from '../config/types.ts';
import type { PlanShare } from '../etcd/plan-shares.ts';
import type { PackedLocations } from '../etcd/packed-locations.ts';
import type { ClonedK8sEncError } from '../errors.ts';
import type { RestoreOptions } from '../storage/output.ts';
import type { LineFormat, MarkCount, VerifyFormat } from './scan-format.ts';

/** The worker's whole task, its first message. The parsed config is plain data: it clones as is. */
export type ScanJob = { snapshot: string; config: EncryptionConfig; etcdPrefix: string } & (
  | { kind: 'verify'; format: VerifyFormat; failuresOnly?: boolean }
  | { kind: 'get'; format: LineFormat; resource: string; forRestore: false | RestoreOptions }
);

/** The first message to a scan worker: its job. */
export interface JobMessage {
  job: ScanJob;
}

export interface ChunkMessage {
  id: number;
  /** Pass 1's problems, printed before the chunk's values (only in the first chunk). */
  problems: ClonedK8sEncError[];
  /** The chunk's value locations as columns (numbers transferred). */
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
