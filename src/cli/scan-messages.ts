/** What the scan workers (scan-worker.ts) and the main thread (scan-parallel.ts) say to each other. */
import type { EncryptionConfig } from '../config/types.ts';
import type { ValueLocation } from '../etcd/snapshot.ts';
import { K8sEncError, type K8sEncErrorCode } from '../errors.ts';
import type { RestoreOptions } from '../storage/output.ts';
import type { LineFormat, VerifyFormat, VerifyMark } from './scan-format.ts';

/** The worker's whole task, fixed at start. The parsed config is plain data: it clones as is. */
export type ScanJob = { snapshot: string; config: EncryptionConfig; etcdPrefix: string } & (
  | { kind: 'verify'; format: VerifyFormat; failuresOnly?: boolean }
  | { kind: 'get'; format: LineFormat; resource: string; forRestore: false | RestoreOptions }
);

/** A K8sEncError loses its class when cloned to another thread: code and message are what is printed. */
export interface ClonedError {
  code: K8sEncErrorCode;
  message: string;
}

export type ClonedLocation = Omit<ValueLocation, 'error'> & { error?: ClonedError };

export interface ChunkMessage {
  id: number;
  /** Pass 1's problems, printed before the chunk's values (only in the first chunk). */
  problems: ClonedError[];
  locations: ClonedLocation[];
}

/**
 * Output text travels as UTF-8 bytes, transferred: a cloned string would land in the main thread's
 * old generation (MBs per chunk) and stay there until a full collection.
 */
export type ChunkReply =
  | { id: number; ok: true; verify?: { text: Uint8Array; marks: VerifyMark[] }; get?: { text: Uint8Array; notes: string[]; found: number } }
  | { id: number; ok: false; error: ClonedError };

export function toClonedError(e: K8sEncError): ClonedError {
  return { code: e.code, message: e.message };
}

export function toCloned(loc: ValueLocation): ClonedLocation {
  const { error, ...rest } = loc;
  return error === undefined ? rest : { ...rest, error: toClonedError(error) };
}

export function fromCloned(loc: ClonedLocation): ValueLocation {
  const { error, ...rest } = loc;
  return error === undefined ? rest : { ...rest, error: new K8sEncError(error.code, error.message) };
}
