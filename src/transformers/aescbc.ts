import { K8sEncError } from '../errors.ts';
import type { CryptoBackend } from '../crypto/backend.ts';
import { aesCbcDecryptMany } from '../crypto/batch.ts';
import { checkAesKey } from './aes-key.ts';
import { readRandom } from './random.ts';
import type { RandomSource, ReadItem, ReadResult, Transformer } from './types.ts';

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
 * fallback (docs/FORMATS.md#aescbc, #kms-v1): checks in upstream order, and the lax padding rule that accepts any
 * pad value from 1 to the decrypted length, because upstream checks nothing stricter.
 */
export function cbcOpen(backend: CryptoBackend, key: Uint8Array, body: Uint8Array): Uint8Array {
  const bad = checkCbcBody(body);
  if (bad !== null) throw bad;
  const plain = unpad(backend.aesCbcDecrypt(key, body.subarray(0, BLOCK), body.subarray(BLOCK)));
  if (plain instanceof K8sEncError) throw plain;
  return plain;
}

/** The upstream checks made before decrypting; null when the body can be decrypted. */
function checkCbcBody(body: Uint8Array): K8sEncError | null {
  if (body.length < BLOCK) {
    return new K8sEncError('ERR_DATA_TOO_SHORT', 'the stored data was shorter than the required size');
  }
  if ((body.length - BLOCK) % BLOCK !== 0) {
    return new K8sEncError('ERR_DATA_BLOCK_SIZE', 'the stored data is not a multiple of the block size');
  }
  if (body.length === BLOCK) {
    // Upstream indexes the last byte of an empty plaintext and crashes the request.
    return new K8sEncError('ERR_UPSTREAM_PANIC', 'the stored data holds an AES-CBC IV but no ciphertext', {
      upstreamPanic: 'runtime error: index out of range [-1]',
    });
  }
  return null;
}

/** The lax padding check on the decrypted blocks `r` (never empty). */
function unpad(r: Uint8Array): Uint8Array | K8sEncError {
  const c = r[r.length - 1]!;
  if (c === 0 || c > r.length) {
    return new K8sEncError('ERR_PADDING', 'invalid PKCS7 data (empty or not padded)');
  }
  for (let i = r.length - c; i < r.length; i++) {
    if (r[i] !== c) return new K8sEncError('ERR_PADDING', 'invalid padding on input');
  }
  return r.subarray(0, r.length - c);
}

/** cbcOpen over many bodies with one batched decryption for all those that pass the checks. */
function cbcOpenMany(backend: CryptoBackend, key: Uint8Array, bodies: readonly Uint8Array[]): (ReadResult | K8sEncError)[] {
  const rejected = bodies.map(checkCbcBody);
  const raw = aesCbcDecryptMany(
    backend,
    key,
    bodies.filter((_, i) => rejected[i] === null),
  );
  let k = 0;
  return rejected.map((e) => {
    if (e !== null) return e;
    const plain = unpad(raw[k++]!);
    return plain instanceof K8sEncError ? plain : { data: plain, stale: false };
  });
}

/** One aescbc key: the bytes after `k8s:enc:aescbc:v1:<keyName>:`. No AD, no MAC. */
export function createAescbcTransformer(key: Uint8Array, backend: CryptoBackend, random: RandomSource): Transformer {
  checkAesKey(key);
  return {
    async fromStorage(stored: Uint8Array): Promise<ReadResult> {
      return { data: cbcOpen(backend, key, stored), stale: false };
    },
    async fromStorageMany(items: readonly ReadItem[]): Promise<(ReadResult | K8sEncError)[]> {
      return cbcOpenMany(
        backend,
        key,
        items.map((it) => it.stored),
      );
    },
    async toStorage(data: Uint8Array): Promise<Uint8Array> {
      const iv = readRandom(random, BLOCK, () => new K8sEncError('ERR_WRITE', 'unable to read sufficient random bytes'));
      return cbcSeal(backend, key, iv, data);
    },
  };
}
