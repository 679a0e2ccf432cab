import type { CryptoBackend } from '../crypto/backend.ts';
import { aesGcmOpenMany } from '../crypto/batch.ts';
import type { K8sEncError } from '../errors.ts';
import { toBytes } from '../bytes.ts';
import { checkAesKey } from './aes-key.ts';
import { openInBatch } from './batch.ts';
import { GCM_NONCE_SIZE, gcmOpen, gcmSeal } from './gcm.ts';
import type { RandomSource, ReadItem, ReadResult, Transformer } from './types.ts';

/** One aesgcm key: the bytes after `k8s:enc:aesgcm:v1:<keyName>:`, authenticated with the etcd key. */
export function createAesgcmTransformer(key: Uint8Array, backend: CryptoBackend, random: RandomSource): Transformer {
  checkAesKey(key);
  return {
    async fromStorage(stored: Uint8Array, ad: Uint8Array | string): Promise<ReadResult> {
      return { data: gcmOpen(backend, key, stored, toBytes(ad)), stale: false };
    },
    async fromStorageMany(items: readonly ReadItem[]): Promise<(ReadResult | K8sEncError)[]> {
      const ads = items.map((it) => toBytes(it.authenticatedData));
      return openInBatch(
        items,
        GCM_NONCE_SIZE,
        (indices) =>
          aesGcmOpenMany(
            backend,
            key,
            indices.map((i) => items[i]!.stored),
            indices.map((i) => ads[i]!),
          ),
        (i) => gcmOpen(backend, key, items[i]!.stored, ads[i]!),
      );
    },
    async toStorage(data: Uint8Array, ad: Uint8Array | string): Promise<Uint8Array> {
      return gcmSeal(backend, key, random, data, toBytes(ad));
    },
  };
}
