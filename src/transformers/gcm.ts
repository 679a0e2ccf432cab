import { K8sEncError } from '../errors.ts';
import type { CryptoBackend } from '../crypto/backend.ts';
import { readRandom } from './random.ts';
import type { RandomSource } from './types.ts';

/** The GCM core shared by aesgcm and both KMS envelopes (docs/FORMATS.md#aes-gcm-core): `nonce(12) ‖ ct ‖ tag(16)`. */
export const GCM_NONCE_SIZE = 12;

export function gcmSealWithNonce(
  backend: CryptoBackend,
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  ad: Uint8Array,
): Uint8Array {
  const sealed = backend.aesGcmSeal(key, nonce, plaintext, ad);
  const out = new Uint8Array(GCM_NONCE_SIZE + sealed.length);
  out.set(nonce);
  out.set(sealed, GCM_NONCE_SIZE);
  return out;
}

export function gcmSeal(backend: CryptoBackend, key: Uint8Array, random: RandomSource, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
  const nonce = readRandom(
    random,
    GCM_NONCE_SIZE,
    (reason) => new K8sEncError('ERR_WRITE', `failed to write nonce for AES-GCM: ${reason}`),
  );
  return gcmSealWithNonce(backend, key, nonce, plaintext, ad);
}

/** Throws the apiserver's errors; stale is the caller's business (the GCM core never sets it). */
export function gcmOpen(backend: CryptoBackend, key: Uint8Array, data: Uint8Array, ad: Uint8Array): Uint8Array {
  if (data.length < GCM_NONCE_SIZE) {
    throw new K8sEncError('ERR_DATA_TOO_SHORT', 'the stored data was shorter than the required size');
  }
  const plain = backend.aesGcmOpen(key, data.subarray(0, GCM_NONCE_SIZE), data.subarray(GCM_NONCE_SIZE), ad);
  if (plain === null) throw new K8sEncError('ERR_AUTH_FAILED', 'cipher: message authentication failed');
  return plain;
}
