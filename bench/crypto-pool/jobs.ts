/** The batch operations a crypto worker runs: one name per function of batch.ts. */
import type { BackendName } from '../../src/crypto/backend.ts';
import {
  aesCbcDecryptMany,
  aesCbcEncryptMany,
  aesGcmOpenMany,
  aesGcmSealMany,
  secretboxOpenMany,
  secretboxSealMany,
} from '../../src/crypto/batch.ts';
import { getBackend } from '../../src/crypto/select.ts';

export type BatchOp = 'aescbc-decrypt' | 'aescbc-encrypt' | 'aesgcm-open' | 'aesgcm-seal' | 'secretbox-open' | 'secretbox-seal';

/**
 * One batch. Reads take `bodies` (and `ads` for aesgcm); writes take `ivs` (IVs or nonces),
 * `plaintexts`, `ads` for aesgcm and an optional stored-value `prefix`.
 */
export interface BatchJob {
  op: BatchOp;
  key: Uint8Array;
  bodies?: readonly Uint8Array[];
  ivs?: readonly Uint8Array[];
  plaintexts?: readonly Uint8Array[];
  ads?: readonly Uint8Array[];
  prefix?: Uint8Array;
}

function need<T>(v: T | undefined, what: string, op: BatchOp): T {
  if (v === undefined) throw new TypeError(`${op} needs ${what}`);
  return v;
}

/** Runs a job here, on this thread: what a worker does with each message, and the pool-less fallback. */
export function runBatchJob(job: BatchJob, backendName?: BackendName): (Uint8Array | null)[] {
  const backend = getBackend(backendName);
  const { op, key } = job;
  switch (op) {
    case 'aescbc-decrypt':
      return aesCbcDecryptMany(backend, key, need(job.bodies, 'bodies', op));
    case 'aesgcm-open':
      return aesGcmOpenMany(backend, key, need(job.bodies, 'bodies', op), need(job.ads, 'ads', op));
    case 'secretbox-open':
      return secretboxOpenMany(backend, key, need(job.bodies, 'bodies', op));
    case 'aescbc-encrypt':
      return aesCbcEncryptMany(backend, key, need(job.ivs, 'ivs', op), need(job.plaintexts, 'plaintexts', op), job.prefix);
    case 'aesgcm-seal':
      return aesGcmSealMany(
        backend,
        key,
        need(job.ivs, 'ivs', op),
        need(job.plaintexts, 'plaintexts', op),
        need(job.ads, 'ads', op),
        job.prefix,
      );
    case 'secretbox-seal':
      return secretboxSealMany(backend, key, need(job.ivs, 'ivs', op), need(job.plaintexts, 'plaintexts', op), job.prefix);
  }
}
