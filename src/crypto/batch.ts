/**
 * Batch forms of the provider primitives, for scans that read or write many values with one key.
 * Results are identical to one backend call per value (test/batch.test.ts); on Node they take the
 * fast paths of batch-node.ts, elsewhere they loop over the backend.
 *
 * These work on the bytes after the `k8s:enc:<type>:v1:<key>:` prefix and leave every upstream
 * error message to the transformers: a body a transformer would reject before decrypting (too
 * short, not block-aligned, the 16-byte aescbc body that panics upstream) is a caller bug here.
 */
import type { CryptoBackend } from './backend.ts';
import * as nodeBatch from './batch-node.ts';

const EMPTY = new Uint8Array(0);

/** The node backend exists only on Node, so its batch paths (node:crypto, addon) are safe to use. */
function fast(backend: CryptoBackend): typeof nodeBatch | undefined {
  return backend.name === 'node' ? nodeBatch : undefined;
}

function sameLength(what: string, a: readonly unknown[], b: readonly unknown[]): void {
  if (a.length !== b.length) throw new RangeError(`${what}: ${a.length} vs ${b.length} entries`);
}

function withPrefix(prefix: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  let n = prefix.length;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  out.set(prefix);
  let o = prefix.length;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * AES-CBC decryption of `IV(16) ‖ ciphertext` bodies WITHOUT unpadding: returns the raw
 * decrypted blocks R of each body, for the caller's lax padding check (docs/FORMATS.md#aescbc, read step 4).
 * Each body must be at least 32 bytes and a multiple of 16.
 */
export function aesCbcDecryptMany(backend: CryptoBackend, key: Uint8Array, bodies: readonly Uint8Array[]): Uint8Array[] {
  for (const b of bodies) {
    if (b.length < 32 || b.length % 16 !== 0) throw new RangeError(`aescbc body of ${b.length} bytes cannot be decrypted`);
  }
  const f = fast(backend);
  if (f) return f.aesCbcDecryptMany(key, bodies);
  return bodies.map((b) => backend.aesCbcDecrypt(key, b.subarray(0, 16), b.subarray(16)));
}

/**
 * What the aescbc provider writes for each plaintext: `prefix ‖ iv ‖ AES-CBC(key, iv, pad(p))`,
 * padded with 1..16 bytes of the pad length as upstream does. `ivs[i]` is 16 bytes.
 */
export function aesCbcEncryptMany(
  backend: CryptoBackend,
  key: Uint8Array,
  ivs: readonly Uint8Array[],
  plaintexts: readonly Uint8Array[],
  prefix: Uint8Array = EMPTY,
): Uint8Array[] {
  sameLength('aesCbcEncryptMany ivs/plaintexts', ivs, plaintexts);
  for (const iv of ivs) if (iv.length !== 16) throw new RangeError(`aescbc IV of ${iv.length} bytes`);
  const f = fast(backend);
  if (f) return f.aesCbcEncryptMany(key, ivs, plaintexts, prefix);
  return plaintexts.map((p, i) => {
    const pad = 16 - (p.length % 16);
    const padded = new Uint8Array(p.length + pad).fill(pad, p.length);
    padded.set(p);
    const iv = ivs[i]!;
    return withPrefix(prefix, iv, backend.aesCbcEncrypt(key, iv, padded));
  });
}

/**
 * AES-GCM open of `nonce(12) ‖ ct ‖ tag(16)` bodies with `ads[i]` as additional data; null where
 * authentication fails (bodies of 12–27 bytes included). Each body must be at least 12 bytes.
 */
export function aesGcmOpenMany(
  backend: CryptoBackend,
  key: Uint8Array,
  bodies: readonly Uint8Array[],
  ads: readonly Uint8Array[],
): (Uint8Array | null)[] {
  sameLength('aesGcmOpenMany bodies/ads', bodies, ads);
  for (const b of bodies) if (b.length < 12) throw new RangeError(`aesgcm body of ${b.length} bytes cannot be opened`);
  const f = fast(backend);
  if (f) return f.aesGcmOpenMany(key, bodies, ads);
  return bodies.map((b, i) => backend.aesGcmOpen(key, b.subarray(0, 12), b.subarray(12), ads[i]!));
}

/** What the aesgcm provider writes: `prefix ‖ nonce ‖ ct ‖ tag`. `nonces[i]` is 12 bytes. */
export function aesGcmSealMany(
  backend: CryptoBackend,
  key: Uint8Array,
  nonces: readonly Uint8Array[],
  plaintexts: readonly Uint8Array[],
  ads: readonly Uint8Array[],
  prefix: Uint8Array = EMPTY,
): Uint8Array[] {
  sameLength('aesGcmSealMany nonces/plaintexts', nonces, plaintexts);
  sameLength('aesGcmSealMany ads/plaintexts', ads, plaintexts);
  for (const n of nonces) if (n.length !== 12) throw new RangeError(`aesgcm nonce of ${n.length} bytes`);
  const f = fast(backend);
  if (f) return f.aesGcmSealMany(key, nonces, plaintexts, ads, prefix);
  return plaintexts.map((p, i) => withPrefix(prefix, nonces[i]!, backend.aesGcmSeal(key, nonces[i]!, p, ads[i]!)));
}

function checkSecretboxKey(key: Uint8Array): void {
  if (key.length !== 32) throw new RangeError(`secretbox key of ${key.length} bytes`);
}

/**
 * Secretbox open of `nonce(24) ‖ tag(16) ‖ ct` bodies; null where authentication fails (bodies of
 * 24–39 bytes included). Each body must be at least 24 bytes. On Node this uses libsodium when
 * the optional sodium-native addon is installed.
 */
export function secretboxOpenMany(backend: CryptoBackend, key: Uint8Array, bodies: readonly Uint8Array[]): (Uint8Array | null)[] {
  checkSecretboxKey(key);
  for (const b of bodies) if (b.length < 24) throw new RangeError(`secretbox body of ${b.length} bytes cannot be opened`);
  const viaSodium = fast(backend)?.secretboxOpenMany(key, bodies);
  if (viaSodium) return viaSodium;
  return bodies.map((b) => backend.secretboxOpen(key, b.subarray(0, 24), b.subarray(24)));
}

/** What the secretbox provider writes: `prefix ‖ nonce ‖ tag ‖ ct`. `nonces[i]` is 24 bytes. */
export function secretboxSealMany(
  backend: CryptoBackend,
  key: Uint8Array,
  nonces: readonly Uint8Array[],
  plaintexts: readonly Uint8Array[],
  prefix: Uint8Array = EMPTY,
): Uint8Array[] {
  checkSecretboxKey(key);
  sameLength('secretboxSealMany nonces/plaintexts', nonces, plaintexts);
  for (const n of nonces) if (n.length !== 24) throw new RangeError(`secretbox nonce of ${n.length} bytes`);
  const viaSodium = fast(backend)?.secretboxSealMany(key, nonces, plaintexts, prefix);
  if (viaSodium) return viaSodium;
  return plaintexts.map((p, i) => withPrefix(prefix, nonces[i]!, backend.secretboxSeal(key, nonces[i]!, p)));
}
