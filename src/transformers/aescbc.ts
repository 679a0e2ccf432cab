import { K8sEncError } from '../errors.ts';
import type { CryptoBackend } from '../crypto/backend.ts';
import { checkAesKey } from './aes-key.ts';
import { readRandom } from './random.ts';
import type { RandomSource, ReadResult, Transformer } from './types.ts';

const BLOCK = 16;

/** Pads with p = 16 − len mod 16 bytes of value p, so aligned input gets a whole extra block. */
export function cbcSeal(backend: CryptoBackend, key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const pad = BLOCK - (plaintext.length % BLOCK);
  const padded = new Uint8Array(plaintext.length + pad);
  padded.set(plaintext);
  padded.fill(pad, plaintext.length);
  const ct = backend.aesCbcEncrypt(key, iv, padded);
  const out = new Uint8Array(BLOCK + ct.length);
  out.set(iv);
  out.set(ct, BLOCK);
  return out;
}

/**
 * `IV(16) ‖ AES-CBC(pad(plaintext))` read exactly as the apiserver does, which is also the KMS v1
 * fallback (SPEC §3.3, §3.6): checks in upstream order, and the lax padding rule that accepts any
 * pad value from 1 to the decrypted length, because upstream checks nothing stricter.
 */
export function cbcOpen(backend: CryptoBackend, key: Uint8Array, body: Uint8Array): Uint8Array {
  if (body.length < BLOCK) {
    throw new K8sEncError('ERR_DATA_TOO_SHORT', 'the stored data was shorter than the required size');
  }
  if ((body.length - BLOCK) % BLOCK !== 0) {
    throw new K8sEncError('ERR_DATA_BLOCK_SIZE', 'the stored data is not a multiple of the block size');
  }
  if (body.length === BLOCK) {
    // Upstream indexes the last byte of an empty plaintext and crashes the request.
    throw new K8sEncError('ERR_UPSTREAM_PANIC', 'the stored data holds an AES-CBC IV but no ciphertext', {
      upstreamPanic: 'runtime error: index out of range [-1]',
    });
  }
  const r = backend.aesCbcDecrypt(key, body.subarray(0, BLOCK), body.subarray(BLOCK));
  const c = r[r.length - 1]!;
  if (c === 0 || c > r.length) {
    throw new K8sEncError('ERR_PADDING', 'invalid PKCS7 data (empty or not padded)');
  }
  for (let i = r.length - c; i < r.length; i++) {
    if (r[i] !== c) throw new K8sEncError('ERR_PADDING', 'invalid padding on input');
  }
  return r.subarray(0, r.length - c);
}

/** One aescbc key: the bytes after `k8s:enc:aescbc:v1:<keyName>:`. No AD, no MAC. */
export function createAescbcTransformer(key: Uint8Array, backend: CryptoBackend, random: RandomSource): Transformer {
  checkAesKey(key);
  return {
    async fromStorage(stored: Uint8Array): Promise<ReadResult> {
      return { data: cbcOpen(backend, key, stored), stale: false };
    },
    async toStorage(data: Uint8Array): Promise<Uint8Array> {
      const iv = readRandom(
        random,
        BLOCK,
        () => new K8sEncError('ERR_WRITE', 'unable to read sufficient random bytes'),
      );
      return cbcSeal(backend, key, iv, data);
    },
  };
}
