/**
 * KMS v1 envelope (docs/FORMATS.md#kms-v1): the bytes after `k8s:enc:kms:v1:<name>:` are
 * `BE16(len encDEK) ‖ encDEK ‖ payload`, the payload AES-GCM since 1.25 and AES-CBC before.
 */
import { toBase64, toBytes } from '../bytes.ts';
import type { BackendName, CryptoBackend } from '../crypto/backend.ts';
import { resolveBackend } from '../crypto/select.ts';
import { K8sEncError } from '../errors.ts';
import { checkAesKey } from './aes-key.ts';
import { cbcOpen } from './aescbc.ts';
import { gcmOpen, gcmSeal } from './gcm.ts';
import { pluginError, wrappedPluginError } from './kms-errors.ts';
import { LruCache } from './lru.ts';
import { aggregateErrors } from './prefix.ts';
import { readRandom } from './random.ts';
import type { KmsV1Service, RandomSource, ReadResult, Transformer } from './types.ts';

const DEK_SIZE = 32;
const MAX_ENCRYPTED_DEK_SIZE = 0xffff;

/** Options of createKmsV1Transformer; `backend` and `random` as in createTransformer's options. */
export interface KmsV1Params {
  /** The provider's name in the configuration: it is part of every value's prefix. */
  name: string;
  service: KmsV1Service;
  /** DEK cache entries; zero or negative disables the cache (default 1000, as upstream). */
  cacheSize?: number;
  backend?: BackendName | CryptoBackend;
  /** Draws each new DEK and IV; the backend's randomBytes by default. */
  random?: RandomSource;
}

/**
 * The KMS v1 (envelope) provider as the apiserver builds it: a fresh DEK per write, encrypted by
 * the plugin, the value under AES-GCM with it (AES-CBC values of clusters before 1.25 read as
 * stale); reads cache decrypted DEKs. createTransformer builds this for `kms` providers with
 * `apiVersion: v1`; use it directly with your own service. Fails with `ERR_KMS` (the plugin) or
 * `ERR_KMS_DATA` (a malformed stored value).
 */
export function createKmsV1Transformer(p: KmsV1Params): Transformer {
  const { service } = p;
  const backend = resolveBackend(p.backend);
  const random = p.random ?? backend.randomBytes;
  const cacheSize = p.cacheSize ?? 1000;
  const cache = cacheSize > 0 ? new LruCache<Uint8Array>(cacheSize) : null;

  async function dekFor(encDEK: Uint8Array): Promise<Uint8Array> {
    const cacheKey = toBase64(encDEK);
    const cached = cache?.get(cacheKey);
    if (cached !== undefined) return cached;
    let dek: Uint8Array;
    try {
      dek = await service.decrypt(encDEK);
    } catch (e) {
      throw pluginError(e);
    }
    checkAesKey(dek);
    cache?.set(cacheKey, dek);
    return dek;
  }

  return {
    async fromStorage(stored: Uint8Array, authenticatedData: Uint8Array | string): Promise<ReadResult> {
      const len = stored.length < 2 ? -1 : (stored[0]! << 8) | stored[1]!;
      if (len < 0 || stored.length - 2 < len) {
        throw new K8sEncError(
          'ERR_KMS_DATA',
          'invalid data encountered by envelope transformer: failed to read uint16 length prefixed data',
        );
      }
      const dek = await dekFor(stored.subarray(2, 2 + len));
      return openPayload(backend, dek, stored.subarray(2 + len), toBytes(authenticatedData));
    },

    async toStorage(data: Uint8Array, authenticatedData: Uint8Array | string): Promise<Uint8Array> {
      // A fresh DEK for every write: v1 has no DEK reuse, hence a plugin call per write.
      const dek = readRandom(random, DEK_SIZE, (reason) => new K8sEncError('ERR_WRITE', reason));
      let encDEK: Uint8Array;
      try {
        encDEK = await service.encrypt(dek);
      } catch (e) {
        throw wrappedPluginError('failed to encrypt DEK', e);
      }
      if (encDEK.length > MAX_ENCRYPTED_DEK_SIZE) {
        throw new K8sEncError('ERR_WRITE', `cryptobyte: pending child length ${encDEK.length} exceeds 2-byte length prefix`);
      }
      cache?.set(toBase64(encDEK), dek);
      const payload = gcmSeal(backend, dek, random, data, toBytes(authenticatedData));
      const out = new Uint8Array(2 + encDEK.length + payload.length);
      out[0] = encDEK.length >> 8;
      out[1] = encDEK.length & 0xff;
      out.set(encDEK, 2);
      out.set(payload, 2 + encDEK.length);
      return out;
    },
  };
}

/**
 * GCM first, then the pre-1.25 CBC layout (stale). Both failing gives the aggregate of the two
 * errors; CBC's IV-only input crashes upstream, so that one is not folded into the aggregate.
 */
function openPayload(backend: CryptoBackend, dek: Uint8Array, payload: Uint8Array, ad: Uint8Array): ReadResult {
  let gcmError: K8sEncError;
  try {
    return { data: gcmOpen(backend, dek, payload, ad), stale: false };
  } catch (e) {
    if (!(e instanceof K8sEncError)) throw e;
    gcmError = e;
  }
  try {
    return { data: cbcOpen(backend, dek, payload), stale: true };
  } catch (e) {
    if (!(e instanceof K8sEncError) || e.code === 'ERR_UPSTREAM_PANIC') throw e;
    throw aggregateErrors([gcmError, e]);
  }
}
