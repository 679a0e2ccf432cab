/**
 * node:crypto fast paths for batches. OpenSSL's per-call cost (3–5 µs for a cipher context and
 * the output buffer) dominates small values, so these paths cut the number of calls rather than
 * the work per byte. The AES ones first try the optional native addon (native.ts), which removes
 * that per-call cost altogether.
 */
import { nodeCrypto } from '../node-only.ts';
import { loadSodium } from './batch-sodium.ts';
import { nativeAesCbcDecryptMany, nativeAesCbcEncryptMany, nativeAesGcmOpenMany, nativeAesGcmSealMany, piecewise } from './native.ts';

const CBC = ['aes-128-cbc', 'aes-192-cbc', 'aes-256-cbc'] as const;
const GCM = ['aes-128-gcm', 'aes-192-gcm', 'aes-256-gcm'] as const;

/**
 * Input per OpenSSL CBC call. About 256 KiB stays in cache and lets malloc reuse freed memory;
 * one call over 200 MB was 5× slower here, from faulting in fresh pages.
 */
const CBC_CHUNK_BYTES = 256 * 1024;
const ZERO_BLOCK = new Uint8Array(16);

function aesAlgo<T extends readonly string[]>(names: T, key: Uint8Array): T[number] {
  const n = names[(key.length >> 3) - 2];
  if (key.length % 8 !== 0 || n === undefined) throw new RangeError(`invalid AES key size ${key.length}`);
  return n;
}

function view(b: Buffer, start = 0, end = b.length): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset + start, end - start);
}

/** Allocated on first use: this module is loaded outside Node too (where Buffer does not exist). */
let scratch: Buffer | undefined;
function scratchOf(n: number): Buffer {
  if (scratch === undefined || scratch.length < n) scratch = Buffer.allocUnsafe(Math.max(n, CBC_CHUNK_BYTES));
  return scratch;
}

/**
 * CBC decryption of `iv‖ct` bodies laid end to end in one call: each value's IV is the block
 * before its first ciphertext block, exactly what CBC chains on, so every ciphertext block
 * decrypts correctly and only the block decrypted from each IV is junk, skipped when slicing.
 */
export function aesCbcDecryptMany(key: Uint8Array, bodies: readonly Uint8Array[]): Uint8Array[] {
  const viaNative = nativeAesCbcDecryptMany(key, bodies);
  if (viaNative) return viaNative;
  const algo = aesAlgo(CBC, key);
  const keyObject = nodeCrypto().createSecretKey(key);
  const out: Uint8Array[] = new Array(bodies.length);
  let start = 0;
  while (start < bodies.length) {
    let end = start;
    let bytes = 0;
    while (end < bodies.length && (end === start || bytes + bodies[end]!.length <= CBC_CHUNK_BYTES)) {
      bytes += bodies[end]!.length;
      end++;
    }
    const joined = scratchOf(bytes);
    let off = 0;
    for (let i = start; i < end; i++) {
      joined.set(bodies[i]!, off);
      off += bodies[i]!.length;
    }
    const d = nodeCrypto().createDecipheriv(algo, keyObject, ZERO_BLOCK).setAutoPadding(false);
    const plain = d.update(joined.subarray(0, bytes));
    d.final();
    off = 0;
    for (let i = start; i < end; i++) {
      const n = bodies[i]!.length;
      out[i] = view(plain, off + 16, off + n);
      off += n;
    }
    start = end;
  }
  return out;
}

/**
 * CBC encryption cannot be laid end to end (each value chains from its own IV), but one cipher
 * context can serve every value: XOR-ing the first plaintext block with `chain ⊕ iv`, where chain
 * is the context's last ciphertext block, makes the context encrypt as if it had started from iv.
 * That trades a context per value for a 16-byte XOR.
 */
export function aesCbcEncryptMany(
  key: Uint8Array,
  ivs: readonly Uint8Array[],
  plaintexts: readonly Uint8Array[],
  prefix: Uint8Array,
): Uint8Array[] {
  const viaNative = nativeAesCbcEncryptMany(key, ivs, plaintexts, prefix);
  if (viaNative) return viaNative;
  const c = nodeCrypto().createCipheriv(aesAlgo(CBC, key), nodeCrypto().createSecretKey(key), ZERO_BLOCK).setAutoPadding(false);
  let chain: Uint8Array = ZERO_BLOCK;
  const out: Uint8Array[] = new Array(plaintexts.length);
  for (let i = 0; i < plaintexts.length; i++) {
    const p = plaintexts[i]!;
    const iv = ivs[i]!;
    const pad = 16 - (p.length % 16);
    const n = p.length + pad;
    const block = scratchOf(n);
    block.set(p);
    block.fill(pad, p.length, n);
    for (let j = 0; j < 16; j++) block[j] = block[j]! ^ chain[j]! ^ iv[j]!;
    const ct = c.update(block.subarray(0, n));
    const stored = new Uint8Array(prefix.length + 16 + n);
    stored.set(prefix);
    stored.set(iv, prefix.length);
    stored.set(ct, prefix.length + 16);
    out[i] = stored;
    chain = ct.subarray(n - 16);
  }
  c.final();
  return out;
}

export function aesGcmOpenMany(key: Uint8Array, bodies: readonly Uint8Array[], ads: readonly Uint8Array[]): (Uint8Array | null)[] {
  const viaNative = nativeAesGcmOpenMany(key, bodies, ads);
  if (viaNative) return viaNative;
  const algo = aesGcmAlgo(key);
  const keyObject = nodeCrypto().createSecretKey(key);
  const out: (Uint8Array | null)[] = new Array(bodies.length);
  for (let i = 0; i < bodies.length; i++) {
    const body = bodies[i]!;
    if (body.length < 12 + 16) {
      out[i] = null;
      continue;
    }
    const d = nodeCrypto().createDecipheriv(algo, keyObject, body.subarray(0, 12), { authTagLength: 16 });
    d.setAAD(ads[i]!);
    d.setAuthTag(body.subarray(body.length - 16));
    const plain = d.update(body.subarray(12, body.length - 16));
    try {
      d.final();
      out[i] = view(plain);
    } catch {
      out[i] = null;
    }
  }
  return out;
}

export function aesGcmSealMany(
  key: Uint8Array,
  nonces: readonly Uint8Array[],
  plaintexts: readonly Uint8Array[],
  ads: readonly Uint8Array[],
  prefix: Uint8Array,
): Uint8Array[] {
  const viaNative = nativeAesGcmSealMany(key, nonces, plaintexts, ads, prefix);
  if (viaNative) return viaNative;
  const algo = aesGcmAlgo(key);
  const keyObject = nodeCrypto().createSecretKey(key);
  const out: Uint8Array[] = new Array(plaintexts.length);
  for (let i = 0; i < plaintexts.length; i++) {
    const p = plaintexts[i]!;
    const nonce = nonces[i]!;
    const c = nodeCrypto().createCipheriv(algo, keyObject, nonce, { authTagLength: 16 });
    c.setAAD(ads[i]!);
    const ct = c.update(p);
    c.final();
    const stored = new Uint8Array(prefix.length + 12 + p.length + 16);
    stored.set(prefix);
    stored.set(nonce, prefix.length);
    stored.set(ct, prefix.length + 12);
    stored.set(c.getAuthTag(), prefix.length + 12 + p.length);
    out[i] = stored;
  }
  return out;
}

function aesGcmAlgo(key: Uint8Array): (typeof GCM)[number] {
  return aesAlgo(GCM, key);
}

/** null when the sodium-native addon is not available. */
export function secretboxOpenMany(key: Uint8Array, bodies: readonly Uint8Array[]): (Uint8Array | null)[] | null {
  const sodium = loadSodium();
  if (sodium === null) return null;
  // Plaintexts share one uninitialised piece per run (a zeroed allocation per value cost ~1.5 µs of
  // the ~6 µs a 2 KiB value took); one that fails to open is never handed out.
  const opened = new Uint8Array(bodies.length);
  const size = (i: number) => Math.max(0, bodies[i]!.length - 24 - 16);
  const plains = piecewise(bodies.length, size, (start, end, out) => {
    for (let i = start, off = 0; i < end; off += size(i), i++) {
      const body = bodies[i]!;
      if (body.length < 24 + 16) continue;
      const plain = out.subarray(off, off + size(i));
      opened[i] = sodium.crypto_secretbox_open_easy(plain, body.subarray(24), body.subarray(0, 24), key) ? 1 : 0;
    }
  });
  return plains.map((p, i) => (opened[i] === 1 ? p : null));
}

/** null when the sodium-native addon is not available. */
export function secretboxSealMany(
  key: Uint8Array,
  nonces: readonly Uint8Array[],
  plaintexts: readonly Uint8Array[],
  prefix: Uint8Array,
): Uint8Array[] | null {
  const sodium = loadSodium();
  if (sodium === null) return null;
  const out: Uint8Array[] = new Array(plaintexts.length);
  for (let i = 0; i < plaintexts.length; i++) {
    const p = plaintexts[i]!;
    const stored = new Uint8Array(prefix.length + 24 + 16 + p.length);
    stored.set(prefix);
    stored.set(nonces[i]!, prefix.length);
    sodium.crypto_secretbox_easy(stored.subarray(prefix.length + 24), p, nonces[i]!, key);
    out[i] = stored;
  }
  return out;
}
