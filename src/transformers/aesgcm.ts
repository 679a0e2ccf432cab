import type { CryptoBackend } from '../crypto/backend.ts';
import { toBytes } from '../bytes.ts';
import { checkAesKey } from './aes-key.ts';
import { gcmOpen, gcmSeal } from './gcm.ts';
import type { RandomSource, ReadResult, Transformer } from './types.ts';

/** One aesgcm key: the bytes after `k8s:enc:aesgcm:v1:<keyName>:`, authenticated with the etcd key. */
export function createAesgcmTransformer(key: Uint8Array, backend: CryptoBackend, random: RandomSource): Transformer {
  checkAesKey(key);
  return {
    async fromStorage(stored: Uint8Array, ad: Uint8Array | string): Promise<ReadResult> {
      return { data: gcmOpen(backend, key, stored, toBytes(ad)), stale: false };
    },
    async toStorage(data: Uint8Array, ad: Uint8Array | string): Promise<Uint8Array> {
      return gcmSeal(backend, key, random, data, toBytes(ad));
    },
  };
}
