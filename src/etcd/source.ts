import type { K8sEncError } from '../errors.ts';

/** One live etcd key as mvccpb.KeyValue describes it. Revisions are int64 upstream; numbers here. */
export interface EtcdEntry {
  key: Uint8Array;
  value: Uint8Array;
  createRevision: number;
  modRevision: number;
  version: number;
  /** Lease IDs are random int64s: above 2^53 this number is rounded (only display uses it). */
  lease: number;
  /** The lease ID exactly, when not 0: what a rewrite must keep. */
  leaseId?: bigint;
}

/**
 * One item of an {@link EtcdSource} scan: a live entry, or a per-entry error (with the raw key when
 * known) that does not stop the scan.
 */
export type ScanItem =
  | {
      ok: true;
      entry: EtcdEntry;
      /** Salvage only: a damaged page could have held a newer revision (or the delete) of this key. */
      mayBeSuperseded?: true;
    }
  | { ok: false; error: K8sEncError; key?: Uint8Array };

/**
 * The revision range an {@link EtcdSource} can be read at.
 */
export interface EtcdRevisionInfo {
  /** The store's current revision. */
  revision: number;
  /** Reads below this revision fail with `required revision has been compacted`; 0 = never compacted. */
  compactRevision: number;
}

export interface ScanOptions {
  revision?: number;
  /** Told how many items the scan will yield, when the source knows before it yields them (a snapshot's pass 1). */
  onTotal?: (items: number) => void;
}

/**
 * Read access to etcd's keys, whatever holds them: a snapshot or member db file
 * ({@link openSnapshot}, {@link openSalvage}) or live endpoints ({@link openEndpoints}).
 */
export interface EtcdSource {
  /**
   * Live keys (latest, or at `revision`) whose key starts with `prefix`, in ascending key byte order.
   * Per-entry problems come as `{ok:false}` items and the scan goes on; fatal problems (unreadable
   * file, compacted revision) throw.
   */
  scan(prefix: Uint8Array, opts?: ScanOptions): AsyncIterable<ScanItem>;
  get(key: Uint8Array, opts?: { revision?: number }): Promise<EtcdEntry | null>;
  info(): Promise<EtcdRevisionInfo>;
  close(): Promise<void>;
}
