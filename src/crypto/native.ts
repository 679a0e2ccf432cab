/**
 * The optional OpenSSL batch addon (native/k8s_enc_native.c, built by scripts/build-native.js):
 * AES-GCM and AES-CBC for a whole batch per call with one cipher context, where node:crypto pays
 * ~3 µs per value. Each wrapper sizes one output buffer and hands back views of it, so a batch's
 * results share one allocation. Node-only (loaded from batch-node.ts); absent addon → null and the
 * callers keep their node:crypto paths. `K8S_ENC_NATIVE=0` turns it off, to compare both paths.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The addon's functions; layouts are described in native/k8s_enc_native.c. */
interface Addon {
  gcmOpen(key: Uint8Array, bodies: readonly Uint8Array[], ads: readonly Uint8Array[], out: Uint8Array, ok: Uint8Array): void;
  gcmSeal(key: Uint8Array, nonces: readonly Uint8Array[], plaintexts: readonly Uint8Array[], ads: readonly Uint8Array[], prefix: Uint8Array, out: Uint8Array): void;
  cbcDecrypt(key: Uint8Array, bodies: readonly Uint8Array[], out: Uint8Array): void;
  cbcEncrypt(key: Uint8Array, ivs: readonly Uint8Array[], plaintexts: readonly Uint8Array[], prefix: Uint8Array, out: Uint8Array): void;
}

/** Where node-gyp puts it; src/crypto and dist/crypto are both two levels below the package root. */
const ADDON_URL = new URL('../../native/build/Release/k8s_enc_native.node', import.meta.url);

let loaded: Addon | null | undefined;
let enabled = true;

/** Turns the addon off (or back on) in this thread, to compare both paths in one process (bench, tests). */
export function setNativeEnabled(on: boolean): void {
  enabled = on;
}

/** An invalid key size falls back too, so node:crypto's own error is what callers see. */
function load(key: Uint8Array): Addon | null {
  if (!enabled || (key.length !== 16 && key.length !== 24 && key.length !== 32)) return null;
  return loadAddon();
}

function loadAddon(): Addon | null {
  if (loaded === undefined) {
    loaded = null;
    if (process.env.K8S_ENC_NATIVE !== '0') {
      try {
        loaded = createRequire(import.meta.url)(fileURLToPath(ADDON_URL)) as Addon;
      } catch {
        // Not built (no compiler at install time, or an unsupported platform): node:crypto it is.
      }
    }
  }
  return loaded;
}

/** True when the addon is loaded and enabled in this thread. */
export function nativeAvailable(): boolean {
  return loadAddon() !== null;
}

/** Uninitialised memory: the addon writes every byte the views expose. */
function output(n: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

function at(out: Uint8Array, off: number, n: number): Uint8Array {
  return new Uint8Array(out.buffer, out.byteOffset + off, n);
}

/** As batch.ts's aesGcmOpenMany; null when the addon is absent. */
export function nativeAesGcmOpenMany(key: Uint8Array, bodies: readonly Uint8Array[], ads: readonly Uint8Array[]): (Uint8Array | null)[] | null {
  const addon = load(key);
  if (addon === null) return null;
  let total = 0;
  for (const b of bodies) if (b.length >= 28) total += b.length - 28;
  const out = output(total);
  const ok = new Uint8Array(bodies.length);
  addon.gcmOpen(key, bodies, ads, out, ok);
  const results: (Uint8Array | null)[] = new Array(bodies.length);
  let off = 0;
  for (let i = 0; i < bodies.length; i++) {
    const n = Math.max(0, bodies[i]!.length - 28);
    results[i] = ok[i] === 1 ? at(out, off, n) : null;
    off += n;
  }
  return results;
}

/** As batch.ts's aesGcmSealMany; null when the addon is absent. */
export function nativeAesGcmSealMany(
  key: Uint8Array,
  nonces: readonly Uint8Array[],
  plaintexts: readonly Uint8Array[],
  ads: readonly Uint8Array[],
  prefix: Uint8Array,
): Uint8Array[] | null {
  const addon = load(key);
  if (addon === null) return null;
  const extra = prefix.length + 12 + 16;
  let total = 0;
  for (const p of plaintexts) total += p.length + extra;
  const out = output(total);
  addon.gcmSeal(key, nonces, plaintexts, ads, prefix, out);
  const results: Uint8Array[] = new Array(plaintexts.length);
  let off = 0;
  for (let i = 0; i < plaintexts.length; i++) {
    const n = plaintexts[i]!.length + extra;
    results[i] = at(out, off, n);
    off += n;
  }
  return results;
}

/** As batch.ts's aesCbcDecryptMany (raw blocks, no unpadding); null when the addon is absent. */
export function nativeAesCbcDecryptMany(key: Uint8Array, bodies: readonly Uint8Array[]): Uint8Array[] | null {
  const addon = load(key);
  if (addon === null) return null;
  let total = 0;
  for (const b of bodies) total += b.length - 16;
  const out = output(total);
  addon.cbcDecrypt(key, bodies, out);
  const results: Uint8Array[] = new Array(bodies.length);
  let off = 0;
  for (let i = 0; i < bodies.length; i++) {
    const n = bodies[i]!.length - 16;
    results[i] = at(out, off, n);
    off += n;
  }
  return results;
}

/** As batch.ts's aesCbcEncryptMany; null when the addon is absent. */
export function nativeAesCbcEncryptMany(
  key: Uint8Array,
  ivs: readonly Uint8Array[],
  plaintexts: readonly Uint8Array[],
  prefix: Uint8Array,
): Uint8Array[] | null {
  const addon = load(key);
  if (addon === null) return null;
  const padded = (p: Uint8Array) => p.length + 16 - (p.length % 16);
  let total = 0;
  for (const p of plaintexts) total += prefix.length + 16 + padded(p);
  const out = output(total);
  addon.cbcEncrypt(key, ivs, plaintexts, prefix, out);
  const results: Uint8Array[] = new Array(plaintexts.length);
  let off = 0;
  for (let i = 0; i < plaintexts.length; i++) {
    const n = prefix.length + 16 + padded(plaintexts[i]!);
    results[i] = at(out, off, n);
    off += n;
  }
  return results;
}
