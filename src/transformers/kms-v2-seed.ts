/**
 * The KMS v2 seed layer (HKDF_SHA256_XNONCE_AES_GCM_SEED, `aes/aes_extended_nonce.go`):
 * `info(32) ‖ nonce(12) ‖ ct ‖ tag(16)`, each write keyed by HKDF-Expand(SHA-256, seed, info).
 */
import type { CryptoBackend } from '../crypto/backend.ts';
import { K8sEncError } from '../errors.ts';
import { gcmOpen, gcmSeal } from './gcm.ts';
import { readRandom } from './random.ts';
import type { RandomSource } from './types.ts';

export const SEED_INFO_SIZE = 32;
export const MIN_SEED_SIZE = 32;

/**
 * HKDF-Expand only, for one 32-byte block: HMAC-SHA256(PRK = seed, info ‖ 0x01). Upstream skips
 * the Extract step, so Node's hkdf or WebCrypto HKDF would derive a different key.
 */
export function deriveSeedKey(backend: CryptoBackend, seed: Uint8Array, info: Uint8Array): Uint8Array {
  const msg = new Uint8Array(info.length + 1);
  msg.set(info);
  msg[info.length] = 1;
  return backend.hmacSha256(seed, msg);
}

export function checkSeed(seed: Uint8Array): void {
  if (seed.length < MIN_SEED_SIZE) {
    throw new K8sEncError('ERR_INVALID_KEY', `invalid seed length ${seed.length} used for key generation`);
  }
}

/** Upstream's per-AD key cache panics on an empty AD, crashing the request. */
function emptyAdPanic(): K8sEncError {
  return new K8sEncError('ERR_UPSTREAM_PANIC', 'KMS v2 seed mode needs non-empty authenticated data (the etcd key)', {
    upstreamPanic: 'authenticated data must not be empty',
  });
}

export function seedOpen(backend: CryptoBackend, seed: Uint8Array, data: Uint8Array, ad: Uint8Array): Uint8Array {
  if (data.length < SEED_INFO_SIZE) {
    throw new K8sEncError('ERR_DATA_TOO_SHORT', 'the stored data was shorter than the required size');
  }
  if (ad.length === 0) throw emptyAdPanic();
  const key = deriveSeedKey(backend, seed, data.subarray(0, SEED_INFO_SIZE));
  return gcmOpen(backend, key, data.subarray(SEED_INFO_SIZE), ad);
}

export function seedSeal(
  backend: CryptoBackend,
  seed: Uint8Array,
  random: RandomSource,
  plaintext: Uint8Array,
  ad: Uint8Array,
): Uint8Array {
  if (ad.length === 0) throw emptyAdPanic();
  const info = readRandom(random, SEED_INFO_SIZE, (reason) => new K8sEncError('ERR_WRITE', `failed to generate info for KDF: ${reason}`));
  const sealed = gcmSeal(backend, deriveSeedKey(backend, seed, info), random, plaintext, ad);
  const out = new Uint8Array(SEED_INFO_SIZE + sealed.length);
  out.set(info);
  out.set(sealed, SEED_INFO_SIZE);
  return out;
}
